package drill

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/synack-net/synack/wire"
)

// offsets returns how a packet the host sent maps into script space
// (section 3.5): script seq = wire seq - seqOff, script ack = wire ack -
// ackOff (when the ACK bit is set; SACK blocks always).
func (s *sock) offsets(seg *segment) (seqOff, ackOff uint32) {
	if seg.flags&wire.FlagSYN != 0 {
		return s.liveLocalISN - s.scriptLocalISN, 0
	}
	return s.liveLocalISN, s.remoteISN
}

// expectedAt renders the current outbound line with its scripted time.
func (r *runner) expectedAt(ev *Event) string {
	return seconds(r.start) + " " + formatPacket(ev.Packet)
}

// actualAt renders a packet the host sent, mapped into script space, with
// the time it left.
func (r *runner) actualAt(s *sock, f fragment) string {
	seqOff, ackOff := s.offsets(&f.seg)
	val, _, has := tsOf(f.seg.opts)
	mapped := has && s.ts.anchored
	return seconds(time.Duration(f.at)) + " " + formatActual(&f.seg, seqOff, ackOff, s.ts.toScript(val), mapped)
}

// match compares the packet sniffed for an outbound line with the line
// (section 3.7): IP version, every TCP header field, the options, then the
// time.
func (r *runner) match(ev *Event, s *sock, got []fragment, start, end, tol time.Duration) {
	pk := ev.Packet
	m := merge(got, int(pk.Len))
	seg := &m.seg
	// Record the script's TS value for the live one before comparing, as
	// packetdrill does, so that later inbound echo replies map.
	if live, _, ok := tsOf(seg.opts); ok && !pk.AnyOptions {
		for _, o := range pk.Options {
			if o.Kind == OptTS {
				s.ts.record(o.TSVal, live)
			}
		}
	}
	seqOff, ackOff := s.offsets(seg)
	ack := seg.ack
	if seg.flags&wire.FlagACK != 0 {
		ack -= ackOff
	}
	wantOpts := optionsLen(pk.Options)
	if pk.AnyOptions {
		wantOpts = len(seg.optBytes)
	}
	var msg string
	switch {
	case seg.v6 != (r.fam == IPv6):
		msg = "IP version differs"
	case seg.doff != wire.TCPMinHeaderLen+wantOpts:
		msg = fmt.Sprintf("TCP header length (options): expected %d bytes, actual %d", wire.TCPMinHeaderLen+wantOpts, seg.doff)
	case seg.flags != pk.Flags:
		msg = fmt.Sprintf("flags: expected %s, actual %s", flagString(pk.Flags), flagString(seg.flags))
	case seg.reserved != 0:
		msg = fmt.Sprintf("reserved bits: expected 0, actual %#x", seg.reserved)
	case seg.seq-seqOff != pk.Seq:
		msg = fmt.Sprintf("sequence number: expected %d, actual %d", pk.Seq, seg.seq-seqOff)
	case ack != pk.Ack:
		msg = fmt.Sprintf("acknowledgment number: expected %d, actual %d", pk.Ack, ack)
	case pk.HasWin && seg.win != pk.Win:
		msg = fmt.Sprintf("window: expected %d, actual %d", pk.Win, seg.win)
	case seg.urg != pk.Urg:
		msg = fmt.Sprintf("urgent pointer: expected %d, actual %d", pk.Urg, seg.urg)
	case !pk.AnyOptions:
		msg = r.compareOptions(pk, seg, s, ackOff, start)
	}
	if msg == "" && ev.Time.Kind != TimeAny {
		if at := time.Duration(m.at); at < start-tol || at > end+tol {
			msg = fmt.Sprintf("timing error: expected at %s (tolerance %s), sent at %s", window(start, end), seconds(tol), seconds(at))
		}
	}
	if msg != "" {
		r.fail(ev.Line, r.expectedAt(ev), r.actualAt(s, m), "%s", msg)
		return
	}
	r.logf("line %d: matched %s", ev.Line, formatPacket(pk))
}

// window renders a time or a time range.
func window(start, end time.Duration) string {
	if end == start {
		return seconds(start)
	}
	return seconds(start) + "~" + seconds(end)
}

// compareOptions compares the options kind by kind: the same kinds in the
// same places, the same bytes; SACK blocks in script space; the TS value
// only with --tcp_ts_tick_usecs, within the tolerance counted from the
// script's start; the TS echo reply never.
func (r *runner) compareOptions(pk *Packet, seg *segment, s *sock, ackOff uint32, start time.Duration) string {
	want, _ := splitOptions(appendOptions(nil, pk.Options))
	bad := fmt.Sprintf("TCP options: expected %s, actual %s", formatOptions(pk.Options), formatRawOptions(seg.opts, ackOff, 0, false))
	if len(want) != len(seg.opts) {
		return bad
	}
	for i, w := range want {
		a := seg.opts[i]
		if w.kind != a.kind || w.len != a.len {
			return bad
		}
		switch w.kind {
		case wire.TCPOptionEOL, wire.TCPOptionNOP:
		case wire.TCPOptionTimestamps:
			if r.set.tsTick == 0 {
				continue
			}
			script := binary.BigEndian.Uint32(w.data)
			actual := s.ts.toScript(binary.BigEndian.Uint32(a.data))
			d := int64(int32(actual - script))
			tol := r.set.toleranceFor(start, 0, true)
			if d < 0 {
				d = -d
			}
			if time.Duration(d)*r.set.tsTick > tol {
				return fmt.Sprintf("TS val: expected %d, actual %d (tolerance %s at %s per tick)", script, actual, seconds(tol), r.set.tsTick)
			}
		case wire.TCPOptionSACK:
			for j := 0; j+4 <= len(a.data); j += 4 {
				if binary.BigEndian.Uint32(a.data[j:])-ackOff != binary.BigEndian.Uint32(w.data[j:]) {
					return bad
				}
			}
		default:
			if !bytes.Equal(w.data, a.data) {
				return bad
			}
		}
	}
	return ""
}
