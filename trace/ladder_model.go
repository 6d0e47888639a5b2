package trace

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// Ladder is the layout of a ladder (sequence) diagram of one connection
// between two hosts: what every renderer draws, computed once. NewLadder
// builds it from a trace; WriteText, WriteSVG, WriteHTML, WriteJSON and
// WriteStateDiagram render it.
//
// Side 0 is the left lifeline, side 1 the right one. Rows hold every event
// of the connection in time order; Segments holds every segment seen, each
// an arrow from the row where it was sent to the row where it arrived.
type Ladder struct {
	Hosts    [2]LadderHost
	Rows     []LadderRow
	Segments []LadderSegment
}

// LadderHost is one lifeline: a host and its end of the connection.
type LadderHost struct {
	Name string
	Addr netip.AddrPort
	// Initial is the state the host was in before its first state change
	// in the trace; HasInitial is false when it changed state never.
	Initial    tcp.State
	HasInitial bool
}

// StateMark says how a state change shows beside its lifeline.
type StateMark uint8

// The ways a state change shows.
const (
	// MarkEnter: the host enters To from the state shown before.
	MarkEnter StateMark = iota
	// MarkJump: the host enters To from a state other than the one shown
	// (the trace missed a change), so the diagram names From too.
	MarkJump
	// MarkNote: the host's listener changed state after the connection
	// moved on; only a note, the state shown stays.
	MarkNote
)

var markNames = [...]string{"enter", "jump", "note"}

// String returns the mark's name, e.g. "enter".
func (m StateMark) String() string {
	if int(m) < len(markNames) {
		return markNames[m]
	}
	return "unknown"
}

// LadderRow is one event placed on the diagram.
type LadderRow struct {
	Time clock.Instant
	Side int  // the lifeline of the host that recorded it
	Kind Kind // as the Event's

	// KindState:
	From, To tcp.State
	Cause    tcp.Cause
	Mark     StateMark

	// KindTimer:
	Timer tcp.Timer

	// KindSend, KindRecv, KindDrop: the index in Ladder.Segments of the
	// segment sent, received or dropped, or -1 (a drop of a segment whose
	// arrival the trace does not hold).
	Segment int
	// KindDrop: the segment as the host recorded it, and why it dropped it.
	Dropped Segment
	Reason  string
}

// LadderSegment is one segment: an arrow from its sender's lifeline to the
// other one.
type LadderSegment struct {
	From int // the side that sent it

	// SendRow and RecvRow index Ladder.Rows, -1 when absent: a lost
	// segment, or one whose receiver left no event, has no RecvRow; a
	// segment whose sender left no event has no SendRow. A Duplicate shares the SendRow of the segment it copies.
	SendRow, RecvRow int

	// Lost: sent, never received by a receiver that left events.
	// Duplicate: a second arrival of a segment
	// made by the network. Retransmission: it carries sequence space its
	// sender sent before. DroppedBy is the reason the receiver dropped it
	// on arrival, or "".
	Lost, Duplicate, Retransmission bool
	DroppedBy                       string

	// Segment is as the sender recorded it (as the receiver did when the
	// sender left no event), with absolute sequence numbers.
	Segment Segment
	// SeqBase and AckBase turn its numbers into relative ones, as
	// Wireshark shows them: the sender's ISN and the receiver's.
	SeqBase, AckBase uint32
}

// Sent returns the time the segment was sent, if known.
func (s LadderSegment) Sent(l *Ladder) (clock.Instant, bool) {
	if s.SendRow < 0 {
		return 0, false
	}
	return l.Rows[s.SendRow].Time, true
}

// Received returns the time the segment arrived, if it did.
func (s LadderSegment) Received(l *Ladder) (clock.Instant, bool) {
	if s.RecvRow < 0 {
		return 0, false
	}
	return l.Rows[s.RecvRow].Time, true
}

// label is the segment's arrow text with relative numbers (or absolute),
// the window scaled, and a tag for a retransmission or a duplicate.
func (s LadderSegment) label(absolute bool) segmentLabel {
	seq := func(v uint32) uint32 { return v - s.SeqBase }
	ack := func(v uint32) uint32 { return v - s.AckBase }
	if absolute {
		seq = func(v uint32) uint32 { return v }
		ack = seq
	}
	lb := formatSegment(s.Segment, seq, ack)
	switch {
	case s.Duplicate:
		lb.head += " (dup)"
	case s.Retransmission:
		lb.head += " (retransmission)"
	}
	return lb
}

// occupied is how much sequence space seg takes: its payload, and one for
// each of SYN and FIN (RFC 9293 §3.4).
func occupied(seg Segment) uint32 {
	n := uint32(seg.Len)
	if seg.Flags.Has(wire.FlagSYN) {
		n++
	}
	if seg.Flags.Has(wire.FlagFIN) {
		n++
	}
	return n
}

// Phase names the part of a connection's life a state belongs to, which
// the renderers colour alike: "closed", "opening" (LISTEN, SYN_SENT,
// SYN_RCVD), "established", "closing" (FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT,
// CLOSING, LAST_ACK) and "time-wait".
func Phase(s tcp.State) string {
	switch s {
	case tcp.Listen, tcp.SynSent, tcp.SynReceived:
		return "opening"
	case tcp.Established:
		return "established"
	case tcp.FinWait1, tcp.FinWait2, tcp.CloseWait, tcp.Closing, tcp.LastAck:
		return "closing"
	case tcp.TimeWait:
		return "time-wait"
	}
	return "closed"
}
