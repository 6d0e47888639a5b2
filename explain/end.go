package explain

import (
	"fmt"
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// tentative says what could later prove a state change wrong: one made on
// the arrival of a segment that its receiver does not acknowledge (a bare
// ACK, an RST), which the capture may have seen although the receiver never
// got it.
type tentative uint8

const (
	certain    tentative = iota
	byAckOfSyn           // SYN_RCVD -> ESTABLISHED: undone if the end resends its SYN-ACK
	byAckOfFin           // FIN_WAIT_1 -> FIN_WAIT_2, CLOSING -> TIME_WAIT, LAST_ACK -> CLOSED: undone if it resends its FIN
	byReset              // any -> CLOSED or LISTEN on an RST: undone if the end sends anything but an RST
)

// change is one inferred state change of an end.
type change struct {
	at       clock.Instant
	from, to tcp.State
	why      tcp.Cause
	tent     tentative
	ev       int // index of its event in the connection's events
}

// end is the observer's model of one end of a connection: its state as the
// capture reveals it, and the sequence numbers it has used.
type end struct {
	addr netip.AddrPort
	name string // "client", "server", or the address

	state   tcp.State
	initial tcp.State
	// fresh is set until the capture shows anything of this end's state:
	// a passive end is known to have been in LISTEN only when it answers
	// a SYN with a SYN-ACK.
	fresh   bool
	changes []change

	synSeen bool
	iss     tcp.Seq // the sequence number of its SYN
	// synTimes and synAckTimes are when it sent its SYN, and its
	// SYN-ACK, each time.
	synTimes, synAckTimes []clock.Instant
	sndMax                tcp.Seq // SEG.SEQ+SEG.LEN of the furthest segment it sent
	sndKnown              bool
	una                   tcp.Seq // the furthest the peer has acknowledged
	finSent               bool
	finSeq                tcp.Seq // the sequence number of its FIN
	finAt                 clock.Instant
	ackMax                tcp.Seq // the furthest it has acknowledged of the peer
	ackKnown              bool
	mss                   uint16 // from its SYN: the largest segment it asked for
	wscale                uint8  // from its SYN, when both SYNs offered scaling
	wsOffer               bool

	// pendSyn and pendFin are the peer's SYN and FIN seen on the wire but
	// not yet acknowledged by this end: their effect on its state waits
	// for the acknowledgment that shows they arrived.
	pendSyn, pendFin *pending

	st endStats
}

// pending is a peer's SYN or FIN waiting for this end's acknowledgment.
type pending struct {
	end tcp.Seq       // the acknowledgment number that covers it
	seg trace.Segment // the segment that carried it (its latest copy)
	at  clock.Instant
}

// observer holds the two ends of one connection and the events that the
// ladder shows.
type observer struct {
	ends [2]*end
	// startedAfterSyn is set when the capture's first segment of the
	// connection is a SYN-ACK.
	startedAfterSyn bool
	events          []trace.Event
	removed         []bool
	// invalid lists inferred transitions that the state diagram does not
	// have; they are not applied.
	invalid []string
}

// setState moves e to the state to, for why, at time at, recording the
// change and its event, if the state diagram (tcp.ValidTransition) has the
// arc; otherwise it notes the anomaly and leaves e as it was.
func (o *observer) setState(e *end, at clock.Instant, to tcp.State, why tcp.Cause, tent tentative) {
	o.known(e, e.state)
	if e.state == to {
		return
	}
	if !tcp.ValidTransition(e.state, to, why) {
		o.invalid = append(o.invalid, fmt.Sprintf("%s %s -> %s (%s) at %s", e.addr, e.state, to, why, at))
		return
	}
	o.events = append(o.events, trace.Event{
		Time: at, Host: e.name, Local: e.addr, Remote: o.peer(e).addr,
		Kind: trace.KindState, From: e.state, To: to, Cause: why,
	})
	o.removed = append(o.removed, false)
	e.changes = append(e.changes, change{at: at, from: e.state, to: to, why: why, tent: tent, ev: len(o.events) - 1})
	e.state = to
}

// known ends e's freshness: the capture has shown that it started in the
// state initial. It does nothing for an end already known.
func (o *observer) known(e *end, initial tcp.State) {
	if e.fresh {
		e.fresh = false
		e.initial, e.state = initial, initial
	}
}

// undo takes back e's last change if it was tentative for reason t: the
// end's own segment has just shown that the segment which caused it never
// reached it.
func (o *observer) undo(e *end, t tentative) {
	n := len(e.changes)
	if n == 0 || e.changes[n-1].tent != t {
		return
	}
	c := e.changes[n-1]
	e.changes = e.changes[:n-1]
	o.removed[c.ev] = true
	e.state = c.from
}

// closedBySending marks e's CLOSE as a shutdown of its sending side only
// (shutdown(SHUT_WR), RFC 9293 §3.10.4 for a half-duplex close): the peer
// went on sending after e's FIN and e took the data.
func (o *observer) closedBySending(e *end) {
	for i, c := range e.changes {
		if c.to == tcp.FinWait1 && c.why.Kind == tcp.CauseCall {
			e.changes[i].why.Call = tcp.CallShutdown
			o.events[c.ev].Cause.Call = tcp.CallShutdown
		}
	}
}

// peer returns the other end of e's connection.
func (o *observer) peer(e *end) *end {
	if o.ends[0] == e {
		return o.ends[1]
	}
	return o.ends[0]
}

// record adds a send event for the sender and a receive event for the
// receiver of p, both at the time of capture.
func (o *observer) record(from, to *end, p *packet) {
	o.events = append(o.events,
		trace.Event{Time: p.at, Host: from.name, Local: from.addr, Remote: to.addr, Kind: trace.KindSend, Segment: p.seg},
		trace.Event{Time: p.at, Host: to.name, Local: to.addr, Remote: from.addr, Kind: trace.KindRecv, Segment: p.seg})
	o.removed = append(o.removed, false, false)
}

// recordDuplicate adds the receive event of a second copy of a packet.
func (o *observer) recordDuplicate(from, to *end, p *packet) {
	o.events = append(o.events, trace.Event{Time: p.at, Host: to.name, Local: to.addr, Remote: from.addr, Kind: trace.KindRecv, Segment: p.seg})
	o.removed = append(o.removed, false)
}

// finalEvents returns the events that stand.
func (o *observer) finalEvents() []trace.Event {
	out := make([]trace.Event, 0, len(o.events))
	for i, e := range o.events {
		if !o.removed[i] {
			out = append(out, e)
		}
	}
	return out
}

// states returns the states e went through, from its first.
func (e *end) states() []tcp.State {
	out := []tcp.State{e.initial}
	if e.fresh {
		out[0] = e.state
	}
	for _, c := range e.changes {
		out = append(out, c.to)
	}
	return out
}
