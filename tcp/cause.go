package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// Timer names one of a TCB's timers.
type Timer uint8

// The TCB's timers. Each is a deadline field in the TCB, not a callback.
const (
	TimerNone       Timer = iota
	TimerRetransmit       // RFC 6298 retransmission, including SYN and FIN
	TimerDelayedAck       // RFC 1122 §4.2.3.2 delayed acknowledgment
	TimerPersist          // RFC 9293 §3.8.6.1 zero-window probe
	TimerKeepalive        // RFC 1122 §4.2.3.6 keep-alive
	TimerTimeWait         // RFC 9293 §3.10.7.4: 2×MSL in TIME_WAIT
	TimerFinWait2         // Linux tcp_fin_timeout for an orphaned FIN_WAIT_2
	TimerUser             // RFC 9293 §3.10.8 / RFC 5482 user timeout
	TimerLossProbe        // RFC 8985 §7 tail loss probe
	TimerReorder          // RFC 8985 §6.3 RACK reordering timer
)

var timerNames = [...]string{"none", "retransmit", "delayed-ack", "persist", "keepalive", "2msl", "fin-wait-2", "user-timeout", "loss-probe", "reorder"}

// String returns the timer's short name, e.g. "retransmit".
func (t Timer) String() string {
	if int(t) < len(timerNames) {
		return timerNames[t]
	}
	return "unknown"
}

// Call names a user call of RFC 9293 §3.10.
type Call uint8

// The user calls.
const (
	CallNone     Call = iota
	CallOpen          // active OPEN (connect)
	CallListen        // passive OPEN (a listener's SYN created the TCB)
	CallSend          // SEND
	CallClose         // CLOSE (both directions)
	CallShutdown      // shutdown(SHUT_WR): CLOSE of the sending direction only
	CallAbort         // ABORT
)

var callNames = [...]string{"none", "open", "listen", "send", "close", "shutdown", "abort"}

// String returns the call's name, e.g. "close".
func (c Call) String() string {
	if int(c) < len(callNames) {
		return callNames[c]
	}
	return "unknown"
}

// CauseKind says what kind of input caused a state change.
type CauseKind uint8

// The kinds of cause.
const (
	CauseSegment CauseKind = iota // an arriving segment
	CauseTimer                    // a timer expired
	CauseCall                     // a user call
	CauseICMP                     // an ICMP error about the connection
	CauseCrash                    // the host crashed and forgot the connection
	CauseLimit                    // a host limit (a full TIME_WAIT table, too many orphans) ended it
)

// Cause records why a TCB changed state. It is a small value, cheap to pass
// and to record; String renders it for humans.
type Cause struct {
	Kind  CauseKind
	Flags wire.TCPFlags // CauseSegment: the arriving segment's flags
	Timer Timer         // CauseTimer
	Call  Call          // CauseCall
}

// String renders the cause, e.g. "rcv SYN,ACK", "timer 2msl", "call close".
func (c Cause) String() string {
	switch c.Kind {
	case CauseSegment:
		return "rcv " + c.Flags.String()
	case CauseTimer:
		return "timer " + c.Timer.String()
	case CauseCall:
		return "call " + c.Call.String()
	case CauseICMP:
		return "icmp"
	case CauseCrash:
		return "host crash"
	case CauseLimit:
		return "host limit"
	}
	return "unknown"
}

// Observer receives a TCB's events as they happen. Its methods are called
// synchronously from inside TCB methods and must not call back into the TCB.
type Observer interface {
	// StateChanged reports a transition and its cause.
	StateChanged(now clock.Instant, from, to State, why Cause)
	// TimerFired reports that a timer's deadline passed and it acted.
	TimerFired(now clock.Instant, t Timer)
}
