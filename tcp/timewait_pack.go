package tcp

import "github.com/synack-net/synack/clock"

// PackedTimeWait is a TimeWaitEntry as a host's TIME_WAIT table stores it,
// in 40 bytes aligned to 4, so that with its key it fills a 56-byte slot:
// what the entry holds that the table can rebuild is left out. Last.ACK.sent
// is RCV.NXT once the ACK of the peer's FIN has gone (it is RCV.NXT for
// good: nothing more is accepted), and the timestamp offset is the
// host's, recomputed from the 4-tuple (RFC 7323 §5.4). The two instants
// are split in halves so that nothing needs 8-byte alignment.
//
// The rules stay TimeWaitEntry's: the table unpacks an entry, applies one
// of its methods and packs it again.
type PackedTimeWait struct {
	deadline       [2]uint32 // low and high halves of TimeWaitEntry.deadline
	lastInvalidAck [2]uint32
	sndNxt, rcvNxt Seq
	rcvWnd, maxWnd uint32
	tsRecent       uint32
	window         uint16
	wscale         uint8
	flags          twFlags
}

func splitInstant(t clock.Instant) [2]uint32 { return [2]uint32{uint32(t), uint32(uint64(t) >> 32)} }
func joinInstant(h [2]uint32) clock.Instant  { return clock.Instant(uint64(h[1])<<32 | uint64(h[0])) }

// Pack returns the entry's packed form, or ok=false when a field it leaves
// out cannot be rebuilt: the entry is closed, still owes the first ACK of
// TIME_WAIT (Last.ACK.sent is not yet RCV.NXT), or uses timestamps with an
// offset other than tsOffset, the one Unpack will be given.
func (w *TimeWaitEntry) Pack(tsOffset uint32) (PackedTimeWait, bool) {
	if w.has(twClosed) || w.lastAck != w.rcvNxt || w.has(twTimestamps) && w.tsOffset != tsOffset {
		return PackedTimeWait{}, false
	}
	return PackedTimeWait{
		deadline:       splitInstant(w.deadline),
		lastInvalidAck: splitInstant(w.lastInvalidAck),
		sndNxt:         w.sndNxt,
		rcvNxt:         w.rcvNxt,
		rcvWnd:         w.rcvWnd,
		maxWnd:         w.maxWnd,
		tsRecent:       w.tsRecent,
		window:         w.window,
		wscale:         w.wscale,
		flags:          w.flags,
	}, true
}

// Unpack returns the entry p was packed from, with tsOffset as its
// timestamp offset.
func (p *PackedTimeWait) Unpack(tsOffset uint32) TimeWaitEntry {
	return TimeWaitEntry{
		deadline:       joinInstant(p.deadline),
		lastInvalidAck: joinInstant(p.lastInvalidAck),
		sndNxt:         p.sndNxt,
		rcvNxt:         p.rcvNxt,
		lastAck:        p.rcvNxt,
		rcvWnd:         p.rcvWnd,
		maxWnd:         p.maxWnd,
		tsRecent:       p.tsRecent,
		tsOffset:       tsOffset,
		window:         p.window,
		wscale:         p.wscale,
		flags:          p.flags,
	}
}

// Ended returns the entry p was packed from as it is after End(why), for
// a user who holds the connection after the table let it go: the change
// to CLOSED was recorded when it happened, so no observer is involved.
func (p *PackedTimeWait) Ended(crashed bool) TimeWaitEntry {
	w := p.Unpack(0)
	w.flags |= twClosed
	if crashed {
		w.flags |= twCrashed
	}
	return w
}

// Deadline is when the packed entry's 2×MSL ends.
func (p PackedTimeWait) Deadline() clock.Instant { return joinInstant(p.deadline) }
