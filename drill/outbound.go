package drill

import (
	"bytes"
	"fmt"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// outbound waits for the packet a ">" line expects, merges segments into
// it when the line stands for several (section 3.7), and compares it.
func (r *runner) outbound(ev *Event, start time.Duration) {
	pk := ev.Packet
	s := r.sut
	if s == nil || !s.hasTuple {
		r.fail(ev.Line, formatPacket(pk), "", "no connection under test for an outbound packet")
		return
	}
	// The script's SYN or SYN-ACK line tells our ISN as the script writes
	// it; the packet sniffed for it, the live one.
	syn, ack := pk.Flags&wire.FlagSYN != 0, pk.Flags&wire.FlagACK != 0
	switch {
	case syn && ack && s.state == sockPassiveRcvd:
		s.scriptLocalISN, s.learnISN = pk.Seq, true
	case syn && !ack && s.state == sockConnecting:
		s.scriptLocalISN, s.learnISN, s.state = pk.Seq, true, sockSynSent
	}
	end := start
	if ev.Time.HasRange {
		end = endOf(ev.Time, start, ev.Time.RangeEnd)
	}
	tol := r.tolerance(start)
	giveUp := max(end+tol, start+sniffGrace)
	if ev.Time.Kind == TimeAny {
		giveUp = time.Duration(r.now) + sniffGrace
	}
	got, ok := r.collect(ev, s, int(pk.Len), clock.Instant(giveUp))
	if !ok {
		return
	}
	r.match(ev, s, got, start, end, tol)
}

// fragment is one packet sniffed for a line, with when it left.
type fragment struct {
	at  clock.Instant
	seg segment
}

// collect takes the packets for one outbound line: the next packet of the
// connection under test and, while the payload is shorter than the
// line's (and aggregation is on), the packets that continue it.
func (r *runner) collect(ev *Event, s *sock, want int, giveUp clock.Instant) ([]fragment, bool) {
	var got []fragment
	total := 0
	for {
		f, ok := r.nextFor(s, giveUp)
		if !ok {
			if r.failed != nil {
				return nil, false
			}
			if len(got) == 0 {
				r.fail(ev.Line, r.expectedAt(ev), "", "no packet was sent by %s", seconds(time.Duration(giveUp)))
			} else {
				r.fail(ev.Line, r.expectedAt(ev), r.actualAt(s, merge(got, total)),
					"payload: expected %d bytes, only %d were sent by %s", want, total, seconds(time.Duration(giveUp)))
			}
			return nil, false
		}
		if s.learnISN && f.seg.flags&wire.FlagSYN != 0 {
			s.liveLocalISN, s.learnISN = f.seg.seq, false
			if s.state == sockPassiveRcvd {
				s.state = sockPassiveSynAck
			}
		}
		if len(got) > 0 {
			if msg := continues(&got[len(got)-1].seg, &f.seg, want-total); msg != "" {
				got = append(got, f)
				r.fail(ev.Line, r.expectedAt(ev), r.actualAt(s, got[len(got)-1]), "segment %d of an aggregate: %s", len(got), msg)
				return nil, false
			}
		}
		if !allZero(f.seg.payload) {
			r.fail(ev.Line, r.expectedAt(ev), r.actualAt(s, f), "the payload is not the zero bytes the script wrote")
			return nil, false
		}
		got = append(got, f)
		total += len(f.seg.payload)
		if total >= want || r.set.strict {
			break
		}
	}
	if total != want {
		r.fail(ev.Line, r.expectedAt(ev), r.actualAt(s, merge(got, total)), "payload: expected %d bytes, actual %d", want, total)
		return nil, false
	}
	return got, true
}

// nextFor returns the next packet the host sent on the connection under
// test, advancing the clock up to giveUp while there is none. Packets of
// other connections are ignored, as packetdrill ignores them.
func (r *runner) nextFor(s *sock, giveUp clock.Instant) (fragment, bool) {
	for r.failed == nil {
		for len(r.out) > 0 {
			p := r.out[0]
			r.out = r.out[1:]
			seg, err := decodeSegment(p.pkt)
			if err != nil {
				r.fail(0, "", "", "the host sent a bad packet: %v", err)
				return fragment{}, false
			}
			if seg.src == s.tuple.Local && seg.dst == s.tuple.Remote {
				return fragment{at: p.at, seg: seg}, true
			}
			r.logf("ignored a packet of another connection: %s", describeRaw(p.pkt))
		}
		if !r.advanceUntil(giveUp, func() bool { return len(r.out) > 0 }) {
			return fragment{}, false
		}
	}
	return fragment{}, false
}

// continues checks that next can be merged after prev into one line's
// packet (packetdrill's check of TSO/GSO fragments): the same header
// fields, contiguous sequence numbers, and every segment but the last of
// one size. left is the payload still expected before next.
func continues(prev, next *segment, left int) string {
	const same = wire.FlagSYN | wire.FlagRST | wire.FlagACK | wire.FlagURG | wire.FlagECE
	switch {
	case prev.v6 != next.v6 || prev.doff != next.doff:
		return "its header differs from the previous segment's"
	case prev.flags&same != next.flags&same || prev.reserved != next.reserved:
		return fmt.Sprintf("flags %s after %s", flagString(next.flags), flagString(prev.flags))
	case next.seq != prev.seq+uint32(len(prev.payload)):
		return "it does not follow the previous segment"
	case prev.ack != next.ack || prev.win != next.win || prev.urg != next.urg:
		return "its ack, window or urgent pointer differs from the previous segment's"
	case len(next.payload) < left && len(next.payload) != len(prev.payload):
		return fmt.Sprintf("%d bytes after a %d-byte segment", len(next.payload), len(prev.payload))
	}
	return ""
}

// merge makes one packet of the fragments: the first one's header and
// sequence number, the last one's flags and time, total bytes of payload.
func merge(fs []fragment, total int) fragment {
	m := fs[0]
	last := fs[len(fs)-1]
	m.at, m.seg.flags = last.at, last.seg.flags
	if len(fs) > 1 {
		m.seg.payload = make([]byte, total)
	}
	return m
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }
