package trace

import "github.com/synack-net/synack/wire"

// segmentMatch pairs the segments one side sent with those the other side
// received. Its slices are indexed like the events they were computed from.
type segmentMatch struct {
	delivered []bool // a send whose segment arrived
	orphan    []bool // a receive that matches no send
	duplicate []bool // an orphan receive of a segment that was sent before
	// sendOf is, for a receive, the send it is paired with or, for a
	// duplicate, the latest send of the segment it copies; else -1.
	sendOf []int
}

// segmentKey identifies a segment in flight: who sent it and its header
// fields that no network in a simulation rewrites.
type segmentKey struct {
	sender int
	seq    uint32
	ack    uint32
	flags  wire.TCPFlags
	window uint16
	len    int
}

// keyOf returns the key of segment s sent by side sender.
func keyOf(sender int, s Segment) segmentKey {
	return segmentKey{sender, s.Seq, s.Ack, s.Flags, s.Window, s.Len}
}

// matchSegments pairs sends and receives in evs, which must be in time
// order. A receive is paired with an unpaired send of the same segment by
// the other side, made before it: the latest with the same options (which
// tell a retransmission from the original when they carry timestamps), else
// the latest. Earlier unpaired copies are then taken as
// lost, since a network rarely delivers a segment after a copy sent later:
// when a segment is lost and retransmitted, the arrow marked lost is the
// first one. Receives left over are copies made by the network (duplicates),
// or come from a sender whose events are missing.
func matchSegments(evs []Event, c connection) segmentMatch {
	m := segmentMatch{
		delivered: make([]bool, len(evs)),
		orphan:    make([]bool, len(evs)),
		duplicate: make([]bool, len(evs)),
		sendOf:    make([]int, len(evs)),
	}
	pending := map[segmentKey][]int{} // unpaired sends, oldest first
	latest := map[segmentKey]int{}    // the latest send of each segment
	for i, e := range evs {
		m.sendOf[i] = -1
		side := c.side(e)
		switch e.Kind {
		case KindSend:
			k := keyOf(side, e.Segment)
			pending[k] = append(pending[k], i)
			latest[k] = i
		case KindRecv:
			k := keyOf(1-side, e.Segment)
			cand := pending[k]
			if len(cand) == 0 {
				m.orphan[i] = true
				if j, ok := latest[k]; ok {
					m.duplicate[i], m.sendOf[i] = true, j
				}
				continue
			}
			pick := len(cand) - 1
			for j := len(cand) - 1; j >= 0; j-- {
				if sameOptions(evs[cand[j]].Segment.Options, e.Segment.Options) {
					pick = j
					break
				}
			}
			// Identical copies sent at the same instant (duplicate ACKs
			// asking for a lost segment) are not a retransmission of one
			// another: the network delivers them in order, so the
			// receive takes the first, and the others stay pending.
			for pick > 0 && evs[cand[pick-1]].Time == evs[cand[pick]].Time &&
				sameOptions(evs[cand[pick-1]].Segment.Options, e.Segment.Options) {
				pick--
			}
			m.delivered[cand[pick]] = true
			m.sendOf[i] = cand[pick]
			pending[k] = cand[pick+1:]
		}
	}
	return m
}

// sameOptions reports whether a and b hold the same options, ignoring SACK
// blocks beyond NumSACK.
func sameOptions(a, b wire.TCPOptions) bool {
	return usedOptions(a) == usedOptions(b)
}

// usedOptions returns o with the unused SACK blocks zeroed.
func usedOptions(o wire.TCPOptions) wire.TCPOptions {
	for i := range o.SACK {
		if i >= o.NumSACK {
			o.SACK[i] = wire.SACKBlock{}
		}
	}
	return o
}
