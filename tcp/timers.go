package tcp

import (
	"syscall"

	"github.com/synack-net/synack/clock"
)

// timers holds each timer of a TCB as the instant it expires, or
// clock.Never when it is not armed (timers as data, not callbacks).
type timers struct {
	retransmit clock.Instant
	delayedAck clock.Instant
	persist    clock.Instant
	finWait2   clock.Instant
	// firstUnacked is when the oldest unacknowledged data was first sent,
	// for the user timeout (RFC 5482).
	firstUnacked clock.Instant
}

func (tm *timers) init() { tm.stopAll() }

func (tm *timers) stopAll() {
	// The loss detection timers (lossdetect.go) are stopped with the
	// retransmission timer they serve: they are armed only while it is.
	*tm = timers{clock.Never, clock.Never, clock.Never, clock.Never, clock.Never}
}

// NextDeadline returns the earliest instant at which the TCB needs Tick,
// or clock.Never.
func (t *TCB) NextDeadline() clock.Instant {
	if t.state == TimeWait {
		return t.tw.Deadline()
	}
	d := clock.Min(t.tm.retransmit, t.tm.delayedAck)
	d = clock.Min(d, t.tm.persist)
	d = clock.Min(d, t.tm.finWait2)
	d = clock.Min(d, t.lossDetectionDeadline())
	d = clock.Min(d, t.keepaliveDeadline())
	if t.userTimeout() > 0 && t.tm.firstUnacked != clock.Never {
		d = clock.Min(d, t.tm.firstUnacked.Add(t.userTimeout()))
	}
	return d
}

// Tick runs every timer whose deadline is at or before now.
func (t *TCB) Tick(now clock.Instant) {
	if t.state == TimeWait {
		t.tw.Tick(now, (*timeWaitOwner)(t))
		return
	}
	if now >= t.tm.finWait2 {
		t.fire(now, TimerFinWait2)
		t.tm.finWait2 = clock.Never
		t.fail(now, 0, timerCause(TimerFinWait2))
		return
	}
	if t.userTimeout() > 0 && t.tm.firstUnacked != clock.Never && now >= t.tm.firstUnacked.Add(t.userTimeout()) {
		t.fire(now, TimerUser)
		t.fail(now, t.timeoutErr(), timerCause(TimerUser))
		return
	}
	if now >= t.probeDeadline() {
		// The probe timeout is never later than the retransmission
		// timer, and sending the probe restarts that timer: a pending
		// probe goes first.
		t.fire(now, TimerLossProbe)
		t.onLossProbeTimeout()
	}
	if now >= t.reorderDeadline() {
		t.fire(now, TimerReorder)
		t.onReorderTimeout(now)
	}
	if now >= t.tm.retransmit && !t.probePending() {
		t.fire(now, TimerRetransmit)
		t.onRetransmitTimeout(now)
	}
	if now >= t.tm.delayedAck {
		t.fire(now, TimerDelayedAck)
		t.tm.delayedAck = clock.Never
		t.delayedAckExpired()
	}
	if now >= t.tm.persist {
		t.fire(now, TimerPersist)
		t.onPersistTimeout(now)
	}
	if now >= t.keepaliveDeadline() {
		t.fire(now, TimerKeepalive)
		t.onKeepaliveTimeout(now)
	}
}

func (t *TCB) fire(now clock.Instant, tm Timer) {
	if t.obs != nil {
		t.obs.TimerFired(now, tm)
	}
}

// timeoutErr is the error of a connection that timed out: the last ICMP
// soft error if there was one (RFC 1122 §4.2.3.9), else ETIMEDOUT.
func (t *TCB) timeoutErr() syscall.Errno {
	if e := t.softErr(); e != 0 {
		return e
	}
	return syscall.ETIMEDOUT
}

// onRetransmitTimeout handles an RTO expiry (RFC 6298 §5.4–5.6).
func (t *TCB) onRetransmitTimeout(now clock.Instant) {
	if t.retransmissionsTimedOut(now) {
		// Linux gives up silently: no RST is sent for a connection whose
		// peer has stopped answering.
		t.fail(now, t.timeoutErr(), timerCause(TimerRetransmit))
		return
	}
	if !t.probingShrunkWindow() {
		t.retransmit++
	}
	t.coldStats().Timeouts++
	t.cancelLossProbe()
	t.undoForget()
	t.resendOne = false // everything goes again from SND.UNA
	t.rtt.backoff()
	t.rttTiming = false // Karn's rule: never time a retransmitted segment
	if t.state.IsSynchronized() || t.state == SynReceived && t.snd.una != t.snd.iss {
		flight := uint32(t.snd.max.Sub(t.snd.una))
		t.cc.onRTO(now, flight)
		t.inRecovery = false
		t.dupAcks = 0
		if t.retransmit > 1 {
			// RFC 2018 §8: a receiver may renege on what it SACKed. The
			// first resend after a timeout skips SACKed data; a second
			// timeout forgets the SACK information in case it was stale.
			t.sb.reset()
		}
		t.rackOnTimeout(t.retransmit > 1)
		// RFC 6582 §4.3: after an RTO, recovery may not start again until
		// everything sent so far has been acknowledged.
		t.recover = t.snd.max
	}
	// Go back to the oldest unacknowledged byte; NextSegment resends from
	// there (the SYN too, in SYN_SENT and SYN_RCVD).
	t.snd.nxt = t.snd.una
	t.tm.retransmit = now.Add(t.rtt.rto())
	if t.state.IsSynchronized() && t.snd.wnd == 0 {
		// The peer shrank its window to nothing under data in flight
		// (RFC 9293 §3.8.6.2.2 discourages it, but it happens): nothing
		// may be resent, so the timeout probes the window instead, as
		// Linux's retransmissions become zero-window probes then.
		t.bareProbePending = true
	}
}

// armRetransmit starts the retransmission timer unless it runs already
// (RFC 6298 §5.1).
func (t *TCB) armRetransmit(now clock.Instant) {
	if t.tm.retransmit == clock.Never {
		t.tm.retransmit = now.Add(t.rtt.rto())
	}
}

// enterTimeWait moves to TIME_WAIT (RFC 9293 §3.10.7.4). Its 2×MSL timer
// starts in the entry Deliver makes once the segment is processed.
func (t *TCB) enterTimeWait(now clock.Instant, why Cause) {
	t.tm.stopAll()
	t.sendBuf.release()
	t.setState(now, TimeWait, why)
}
