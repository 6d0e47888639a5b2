package tcp

import "github.com/synack-net/synack/clock"

// NextTimer returns the timer that fires next and when, as `ss -o` shows
// it (2MSL in TIME_WAIT), or TimerNone and clock.Never when none is armed. Of timers due at
// the same instant it names the one Tick runs first.
func (t *TCB) NextTimer() (Timer, clock.Instant) {
	if t.state == TimeWait {
		return TimerTimeWait, t.tw.Deadline()
	}
	user := clock.Never
	if t.userTimeout() > 0 && t.tm.firstUnacked != clock.Never {
		user = t.tm.firstUnacked.Add(t.userTimeout())
	}
	next, at := TimerNone, clock.Never
	for _, c := range [...]struct {
		tm Timer
		at clock.Instant
	}{
		{TimerFinWait2, t.tm.finWait2},
		{TimerUser, user},
		{TimerRetransmit, t.tm.retransmit},
		{TimerDelayedAck, t.tm.delayedAck},
		{TimerPersist, t.tm.persist},
		{TimerKeepalive, t.keepaliveDeadline()},
	} {
		if c.at < at {
			next, at = c.tm, c.at
		}
	}
	return next, at
}
