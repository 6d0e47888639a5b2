package tcp

import (
	"math/bits"
	"time"

	"github.com/synack-net/synack/clock"
)

// Giving up on a peer that stopped answering, as Linux does it: by time
// for retransmissions (tcp_retries2 turned into a duration), by count for
// zero-window probes and keep-alives, sooner for orphans (connections
// their user closed, tcp_orphan_retries), and, when the user set one, by
// the user timeout (RFC 5482; TCP_USER_TIMEOUT) for all three.

// retransmissionsTimedOut reports whether the retransmission timer, firing
// now, should give up: a SYN or SYN-ACK after SynRetries or SynAckRetries
// resends, a synchronized connection once its oldest unacknowledged data
// has waited the time Linux derives from tcp_retries2 (retriesTimeout).
// The user timeout has its own, exact deadline (TimerUser).
func (t *TCB) retransmissionsTimedOut(now clock.Instant) bool {
	switch t.state {
	case SynSent:
		return int(t.retransmit) >= t.cfg.SynRetries
	case SynReceived:
		return int(t.retransmit) >= t.cfg.SynAckRetries
	}
	if t.tm.firstUnacked == clock.Never {
		return false
	}
	if t.probingShrunkWindow() {
		// Linux's tcp_retransmit_timer: a peer that keeps its window
		// closed under our data is alive while it answers; give up only
		// when it has said nothing for MaxRTO.
		return now.Sub(t.lastRecv) > t.cfg.MaxRTO
	}
	return t.retransmit > 0 && now.Sub(t.tm.firstUnacked) >= t.retriesTimeout()
}

// probingShrunkWindow reports whether a retransmission timeout now would
// probe a window the peer shrank to zero under data in flight rather
// than retransmit. Such timeouts are probes, not retransmissions: as in
// Linux's tcp_retransmit_timer, which counts none of them in
// icsk_retransmits, they do not bring the Retries bound nearer, so a peer
// that answered them is not given up the moment its window opens. An
// orphan's are counted, so that it cannot hang for ever.
func (t *TCB) probingShrunkWindow() bool {
	return t.snd.wnd == 0 && !t.orphaned && t.state.IsSynchronized()
}

// retries is how many retransmissions (or unanswered window probes) the
// connection survives: Retries, or OrphanRetries once nobody will read.
func (t *TCB) retries() int {
	if t.orphaned {
		return t.cfg.OrphanRetries
	}
	return t.cfg.Retries
}

// retriesTimeout is the time a run of retries() retransmissions takes,
// modelled as Linux's tcp_model_timeout does: starting from the RTO floor
// and doubling up to MaxRTO, the sum of the timeouts. With Linux's
// defaults (15 retries, 200 ms, 120 s) it is 924.6 s.
func (t *TCB) retriesTimeout() time.Duration {
	return modelTimeout(t.retries(), t.cfg.MinRTO, t.cfg.MaxRTO)
}

// modelTimeout sums boundary exponentially growing timeouts that start at
// base and stop growing at max.
func modelTimeout(boundary int, base, max time.Duration) time.Duration {
	if base <= 0 {
		return 0
	}
	thresh := bits.Len64(uint64(max/base)) - 1 // ilog2(max/base)
	if boundary <= thresh {
		return time.Duration((2<<boundary)-1) * base
	}
	return time.Duration((2<<thresh)-1)*base + time.Duration(boundary-thresh)*max
}

// keepaliveDeadline is when the next keep-alive probe is due (RFC 1122
// §4.2.3.6): Idle after the last segment received, then every Interval
// while probes go unanswered. As on Linux it runs in every synchronized
// state but TIME_WAIT, so that a half-closed connection to a dead peer
// ends too, and not while data is outstanding: the retransmission and
// persist timers watch the peer then.
func (t *TCB) keepaliveDeadline() clock.Instant {
	k := t.keepalive
	if !k.Enable || !t.state.IsSynchronized() || t.state == TimeWait ||
		t.snd.max != t.snd.una || t.unsent() > 0 {
		return clock.Never
	}
	return t.lastRecv.Add(k.Idle + k.Interval*time.Duration(t.keepProbes))
}

// onKeepaliveTimeout sends a keep-alive probe, or gives up: after Count
// unanswered probes, or, with a user timeout, once the peer has been
// silent that long and a probe went unanswered (Linux's
// tcp_keepalive_timer). Like Linux it then resets the connection, so that
// a peer that only lost touch learns it is gone.
func (t *TCB) onKeepaliveTimeout(now clock.Instant) {
	expired := int(t.keepProbes) >= t.keepalive.Count
	if t.userTimeout() > 0 {
		expired = t.keepProbes > 0 && now.Sub(t.lastRecv) >= t.userTimeout()
	}
	if expired {
		t.fail(now, t.timeoutErr(), timerCause(TimerKeepalive))
		t.queueAbortReset()
		return
	}
	t.keepProbes = min(t.keepProbes+1, 255)
	t.bareProbePending = true
}

// SetUserTimeout sets the connection's user timeout (TCP_USER_TIMEOUT, RFC
// 5482): how long sent data may stay unacknowledged, and how long window
// probes and keep-alives may go unanswered, before the connection ends
// with ETIMEDOUT. Zero means none: the retry counts decide.
func (t *TCB) SetUserTimeout(d time.Duration) { t.coldPart().userTimeout = max(d, 0) }

// UserTimeout returns the connection's user timeout.
func (t *TCB) UserTimeout() time.Duration { return t.userTimeout() }
