package trace

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// NewLadder lays out the connection between hosts left and right (named as
// in Event.Host) found in events, which need not be in time order: one row
// per event of the connection, sorted by time, and one segment per arrow.
//
// When the hosts had more than one connection, the layout follows the
// 4-tuple of the first one (and any later connection reusing it); events of
// other connections and of other hosts are left out. A host's listener,
// which has no remote end, counts as part of the connection. A host that
// left no event (right, say, when the trace is one host's) still gets its
// lifeline, named right, with the peer address the other host saw.
//
// A segment sent but never received is lost in the network, unless its
// receiver left no event at all, when its fate is unknown; a received
// segment that matches no send is a copy the network made (a duplicate), or
// one whose sender left no event.
func NewLadder(events []Event, left, right string) (*Ladder, error) {
	if left == right {
		return nil, fmt.Errorf("trace: ladder needs two different hosts, got %q twice", left)
	}
	conn, ok := findConnection(events, left, right)
	if !ok {
		return nil, fmt.Errorf("trace: no connection between hosts %q and %q in the events", left, right)
	}
	evs := conn.events(events)
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(a.Time, b.Time) })

	b := ladderBuilder{
		l:     &Ladder{},
		conn:  conn,
		match: matchSegments(evs, conn),
		segOf: make([]int, len(evs)),
	}
	for side := range 2 {
		b.l.Hosts[side] = LadderHost{Name: conn.host[side], Addr: conn.addr[side]}
	}
	for _, e := range evs {
		if side := conn.side(e); side >= 0 {
			b.observed[side] = true
		}
	}
	for i, e := range evs {
		b.add(i, e)
	}
	return b.l, nil
}

// ladderBuilder accumulates a Ladder, one event at a time.
type ladderBuilder struct {
	l     *Ladder
	conn  connection
	match segmentMatch
	segOf []int // for each event, the segment its row refers to, or -1

	num   numbering
	sent  [2]sequenceSent
	state [2]tcp.State // the state shown for each side
	shown [2]bool      // whether state holds anything yet
	// observed says which sides left events: a segment sent to a side
	// that left none (a trace of one host) is not known to be lost.
	observed [2]bool
}

// add places evs[i], e, on the diagram.
func (b *ladderBuilder) add(i int, e Event) {
	side := b.conn.side(e)
	row := LadderRow{Time: e.Time, Side: side, Kind: e.Kind, Segment: -1}
	switch e.Kind {
	case KindState:
		row.From, row.To, row.Cause = e.From, e.To, e.Cause
		row.Mark = b.stateMark(side, e)
	case KindTimer:
		row.Timer = e.Timer
	case KindSend:
		row.Segment = b.sendSegment(i, side, e.Segment)
	case KindRecv:
		row.Segment = b.recvSegment(i, side, e.Segment)
	case KindDrop:
		row.Dropped, row.Reason = e.Segment, e.Reason
		row.Segment = b.droppedSegment(side, e)
	}
	b.segOf[i] = row.Segment
	b.l.Rows = append(b.l.Rows, row)
}

// stateMark decides how a state change of side shows, and follows it: the
// state beside the lifeline follows the connection, so a change of the
// listener once the connection has moved on (closing it, say) is only a
// note, and any other change that does not start from the state shown
// names the state it came from.
func (b *ladderBuilder) stateMark(side int, e Event) StateMark {
	h := &b.l.Hosts[side]
	if !h.HasInitial {
		h.Initial, h.HasInitial = e.From, true
		b.state[side], b.shown[side] = e.From, true
	}
	mark := MarkEnter
	switch {
	case b.state[side] == e.From:
	case !e.Remote.IsValid():
		return MarkNote
	default:
		mark = MarkJump
	}
	b.state[side] = e.To
	return mark
}

// sendSegment adds the segment side sent in evs[i].
func (b *ladderBuilder) sendSegment(i, side int, seg Segment) int {
	s := b.newSegment(side, seg)
	s.SendRow = i
	s.Lost = !b.match.delivered[i] && b.observed[1-side]
	s.Retransmission = b.sent[side].retransmits(seg)
	b.l.Segments = append(b.l.Segments, s)
	return len(b.l.Segments) - 1
}

// recvSegment adds the arrival of seg at side in evs[i]: the end of the
// arrow of the send it pairs with, or an arrow of its own for a copy the
// network made (which leaves with the segment it copies) or a segment whose
// sender left no event.
func (b *ladderBuilder) recvSegment(i, side int, seg Segment) int {
	if !b.match.orphan[i] {
		k := b.segOf[b.match.sendOf[i]]
		b.l.Segments[k].RecvRow = i
		return k
	}
	s := b.newSegment(1-side, seg)
	s.RecvRow = i
	if b.match.duplicate[i] {
		s.Duplicate = true
		s.SendRow = b.match.sendOf[i]
	}
	b.l.Segments = append(b.l.Segments, s)
	return len(b.l.Segments) - 1
}

// newSegment starts a segment sent by from, numbering it: its sequence
// numbers count from the sender's ISN, its acknowledgment number and SACK
// blocks from the receiver's.
func (b *ladderBuilder) newSegment(from int, seg Segment) LadderSegment {
	b.num.sent(from, seg)
	if seg.Flags.Has(wire.FlagACK) {
		b.num.acked(from, seg.Ack)
	}
	return LadderSegment{From: from, SendRow: -1, RecvRow: -1, Segment: seg,
		SeqBase: b.num.isn[from], AckBase: b.num.isn[1-from]}
}

// droppedSegment marks the segment side dropped on arrival in e: the latest
// one that arrived at side with the same fields. It returns its index, or -1
// when the trace does not hold its arrival.
func (b *ladderBuilder) droppedSegment(side int, e Event) int {
	k := keyOf(1-side, e.Segment)
	for j := len(b.l.Rows) - 1; j >= 0; j-- {
		r := b.l.Rows[j]
		if r.Kind != KindRecv || r.Side != side || r.Segment < 0 {
			continue
		}
		if s := &b.l.Segments[r.Segment]; keyOf(s.From, s.Segment) == k {
			s.DroppedBy = e.Reason
			return r.Segment
		}
	}
	return -1
}

// sequenceSent follows the sequence space one side has sent, to tell a
// retransmission from new data.
type sequenceSent struct {
	known  bool
	synSeq uint32 // the sequence number of the last SYN
	synAck bool   // whether the last SYN carried an ACK
	nxt    uint32 // one past the highest sequence number sent
}

// retransmits notes that seg was sent and reports whether it carries
// sequence space sent before: the same SYN again, or data or a FIN below
// the highest sequence number sent. A SYN with a new sequence number starts
// a new incarnation; the SYN,ACK that follows a SYN in a simultaneous open
// (RFC 9293 Figure 7) repeats its sequence number but is a new segment; and
// a segment that takes no sequence space (a pure ACK) is never a
// retransmission.
func (q *sequenceSent) retransmits(seg Segment) bool {
	n := occupied(seg)
	if n == 0 {
		return false
	}
	end := seg.Seq + n
	if seg.Flags.Has(wire.FlagSYN) {
		withAck := seg.Flags.Has(wire.FlagACK)
		again := q.known && seg.Seq == q.synSeq && withAck == q.synAck
		q.known, q.synSeq, q.synAck = true, seg.Seq, withAck
		if again {
			q.nxt = uint32(tcp.MaxSeq(tcp.Seq(q.nxt), tcp.Seq(end)))
		} else {
			q.nxt = end
		}
		return again
	}
	if !q.known {
		q.known, q.nxt = true, end
		return false
	}
	again := tcp.Seq(seg.Seq).LessThan(tcp.Seq(q.nxt))
	q.nxt = uint32(tcp.MaxSeq(tcp.Seq(q.nxt), tcp.Seq(end)))
	return again
}
