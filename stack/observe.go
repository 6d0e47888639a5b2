package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// stateChanged is the one path every state change of every connection
// takes, in each of its forms (a TCB, a half-open request, a TIME_WAIT
// entry): it keeps the MIB counters and records the transition with its
// cause. It may run with Host.mu and a Conn's mu held.
func (h *Host) stateChanged(now clock.Instant, t Tuple, from, to tcp.State, why tcp.Cause) {
	h.countMu.Lock()
	k := &h.counters
	switch {
	case from == tcp.Closed && to == tcp.SynSent:
		k.ActiveOpens++
	case from == tcp.Listen && to == tcp.SynReceived:
		k.PassiveOpens++
	case (from == tcp.SynSent || from == tcp.SynReceived) && (to == tcp.Closed || to == tcp.Listen):
		k.AttemptFails++
	case (from == tcp.Established || from == tcp.CloseWait) && to == tcp.Closed && why.Kind == tcp.CauseSegment:
		k.EstabResets++
	case from == tcp.TimeWait && to == tcp.Closed:
		k.TimeWaited++
	}
	if to == tcp.Closed && why.Kind == tcp.CauseTimer && givesUp(why.Timer) {
		k.TCPAbortOnTimeout++ // Linux counts it in tcp_write_err
	}
	if to == tcp.Established || to == tcp.CloseWait {
		if from != tcp.Established && from != tcp.CloseWait {
			k.CurrEstab++
		}
	} else if from == tcp.Established || from == tcp.CloseWait {
		k.CurrEstab--
	}
	h.countMu.Unlock()
	h.record(trace.Event{Time: now, Local: t.Local, Remote: t.Remote,
		Kind: trace.KindState, From: from, To: to, Cause: why})
}

// requestObserver is the tcp.Observer of a half-open connection while it
// is expanded into the host's scratch TCB: the host points it at the
// request's tuple before each use, so observing costs no allocation.
type requestObserver struct {
	h *Host
	t Tuple
}

// StateChanged implements tcp.Observer.
func (o *requestObserver) StateChanged(now clock.Instant, from, to tcp.State, why tcp.Cause) {
	o.h.stateChanged(now, o.t, from, to, why)
}

// TimerFired implements tcp.Observer.
func (o *requestObserver) TimerFired(now clock.Instant, tm tcp.Timer) {
	o.h.timerFired(now, o.t, tm)
}

// timerFired counts and records a connection's timer that fired.
func (h *Host) timerFired(now clock.Instant, t Tuple, tm tcp.Timer) {
	if tm == tcp.TimerRetransmit {
		h.countMu.Lock()
		h.counters.TCPTimeouts++
		h.countMu.Unlock()
	}
	h.record(trace.Event{Time: now, Local: t.Local, Remote: t.Remote, Kind: trace.KindTimer, Timer: tm})
}

// givesUp reports whether a connection that a timer t moved to CLOSED was
// given up (Linux's tcp_write_err) rather than ended in order, as the
// 2MSL and FIN_WAIT_2 timers end one.
func givesUp(t tcp.Timer) bool {
	switch t {
	case tcp.TimerRetransmit, tcp.TimerPersist, tcp.TimerKeepalive, tcp.TimerUser:
		return true
	}
	return false
}
