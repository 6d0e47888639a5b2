package tcp

import "github.com/synack-net/synack/wire"

// The state diagram of RFC 9293 §3.3.2 (Figure 5) as data: every arc a TCB
// may take, each with the causes that may drive it. Tests, fuzzers and the
// simulation explorer check every recorded transition against it, so a
// transition that the diagram does not have, or one taken for the wrong
// reason, is caught wherever it happens.
//
// Beyond Figure 5 the table has the arcs the RFC's text adds (an RST in any
// synchronized state, §3.10.7.4; SYN_RCVD back to LISTEN, §3.10.7.4
// second), the timeouts of §3.8 and RFC 1122 (retransmission, keep-alive,
// user timeout), Linux's FIN_WAIT_2 timeout, ICMP hard errors in SYN_SENT
// (RFC 1122 §4.2.3.9), a host crash, and a TIME_WAIT entry ended early by a
// new incarnation (RFC 6191) or a full table.

// causeRule matches the causes of one kind: for segments, those carrying
// every flag in flags; for timers and calls, the one named (zero: any).
type causeRule struct {
	kind  CauseKind
	flags wire.TCPFlags
	timer Timer
	call  Call
}

func (r causeRule) matches(c Cause) bool {
	if r.kind != c.Kind {
		return false
	}
	switch r.kind {
	case CauseSegment:
		return c.Flags&r.flags == r.flags
	case CauseTimer:
		return r.timer == TimerNone || r.timer == c.Timer
	case CauseCall:
		return r.call == CallNone || r.call == c.Call
	}
	return true
}

// Cause rules used by the arcs below.
var (
	byRST       = causeRule{kind: CauseSegment, flags: wire.FlagRST}
	bySYN       = causeRule{kind: CauseSegment, flags: wire.FlagSYN}
	byACK       = causeRule{kind: CauseSegment, flags: wire.FlagACK}
	byFIN       = causeRule{kind: CauseSegment, flags: wire.FlagFIN}
	byFINACK    = causeRule{kind: CauseSegment, flags: wire.FlagFIN | wire.FlagACK}
	bySYNACK    = causeRule{kind: CauseSegment, flags: wire.FlagSYN | wire.FlagACK}
	byRetrans   = causeRule{kind: CauseTimer, timer: TimerRetransmit}
	byKeepalive = causeRule{kind: CauseTimer, timer: TimerKeepalive}
	byUser      = causeRule{kind: CauseTimer, timer: TimerUser}
	byPersist   = causeRule{kind: CauseTimer, timer: TimerPersist}
	byFinWait2  = causeRule{kind: CauseTimer, timer: TimerFinWait2}
	by2MSL      = causeRule{kind: CauseTimer, timer: TimerTimeWait}
	byOpen      = causeRule{kind: CauseCall, call: CallOpen}
	byClose     = causeRule{kind: CauseCall, call: CallClose}
	byShutdown  = causeRule{kind: CauseCall, call: CallShutdown}
	byAbort     = causeRule{kind: CauseCall, call: CallAbort}
	byICMP      = causeRule{kind: CauseICMP}
	byCrash     = causeRule{kind: CauseCrash}
	byLimit     = causeRule{kind: CauseLimit}
)

// dies lists what ends a connection that has sent data: an RST, giving up
// on retransmissions, keep-alives, zero-window probes or the user timeout,
// an abort, a close that finds unread data (it resets, RFC 2525 §2.17, as
// Linux does), and a crash.
var dies = []causeRule{byRST, byRetrans, byKeepalive, byUser, byPersist, byAbort, byClose, byCrash}

type arcKey struct{ from, to State }

// arcs maps every arc of the diagram to the causes that may drive it.
var arcs = map[arcKey][]causeRule{
	{Closed, SynSent}: {byOpen},
	// A listener's SYN creates the TCB in LISTEN and moves it on at once
	// (RFC 9293 §3.10.7.2).
	{Closed, Listen}: {{kind: CauseCall, call: CallListen}},
	// A SYN, or the final ACK of a handshake answered with a SYN cookie,
	// which rebuilds the half-open connection (RFC 4987 §3.6).
	{Listen, SynReceived}:  {bySYN, byACK},
	{Listen, Closed}:       {byClose, byShutdown, byAbort, byCrash},
	{SynSent, SynReceived}: {bySYN},
	{SynSent, Established}: {bySYNACK},
	{SynSent, Closed}:      {byRST, byRetrans, byUser, byICMP, byClose, byShutdown, byAbort, byCrash},
	// RFC 9293 §3.10.7.4 second and fourth: an RST or SYN sends a passive
	// open back to LISTEN.
	{SynReceived, Listen}:      {byRST, bySYN},
	{SynReceived, Established}: {byACK},
	{SynReceived, FinWait1}:    {byClose, byShutdown},
	// Refused (simultaneous open), SYN-ACK retries exhausted, aborted,
	// discarded with its closing listener, or dropped for a hard ICMP error.
	{SynReceived, Closed}:    {byRST, byRetrans, byUser, byAbort, byClose, byCrash, byICMP},
	{Established, FinWait1}:  {byClose, byShutdown},
	{Established, CloseWait}: {byFIN},
	{Established, Closed}:    dies,
	{FinWait1, FinWait2}:     {byACK},
	{FinWait1, Closing}:      {byFIN},
	{FinWait1, TimeWait}:     {byFINACK},
	// New data for a socket its user closed resets it (RFC 2525 §2.17,
	// as Linux's tcp_rcv_state_process does).
	{FinWait1, Closed}:   append([]causeRule{byACK}, dies...),
	{FinWait2, TimeWait}: {byFIN},
	{FinWait2, Closed}:   append([]causeRule{byFinWait2, byACK}, dies...),
	{CloseWait, LastAck}: {byClose, byShutdown},
	{CloseWait, Closed}:  dies,
	{Closing, TimeWait}:  {byACK},
	{Closing, Closed}:    dies,
	{LastAck, Closed}:    append([]causeRule{byACK}, dies...),
	// RFC 1337 off lets an RST end TIME_WAIT; RFC 6191 reuse and a full
	// table end it early; an ABORT of a TCB in TIME_WAIT closes it.
	{TimeWait, Closed}: {by2MSL, byRST, bySYN, byLimit, byAbort, byCrash},
}

// ValidTransition reports whether the state diagram has an arc from one
// state to the other that why may drive.
func ValidTransition(from, to State, why Cause) bool {
	for _, r := range arcs[arcKey{from, to}] {
		if r.matches(why) {
			return true
		}
	}
	return false
}

// Arcs returns every arc of the state diagram as (from, to) pairs, in no
// particular order, for tests that want to show each one is taken.
func Arcs() [][2]State {
	out := make([][2]State, 0, len(arcs))
	for k := range arcs {
		out = append(out, [2]State{k.from, k.to})
	}
	return out
}
