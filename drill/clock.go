package drill

import (
	"github.com/synack-net/synack/clock"
)

// The runner's virtual clock moves only forward, and only here: to each
// timer deadline of the host in order, to the instant a blocking call
// becomes late, and to the times of the script's events.

// nextWake is the next instant something is due: a host timer, or the
// moment the blocking call in progress becomes late.
func (r *runner) nextWake() clock.Instant {
	d := clock.Never
	if r.h != nil {
		d = r.h.NextDeadline()
	}
	if r.block != nil {
		d = clock.Min(d, r.block.lateAt)
	}
	return d
}

// advanceTo moves the clock to t, running everything due on the way.
func (r *runner) advanceTo(t clock.Instant) {
	r.advanceUntil(t, nil)
}

// advanceUntil runs everything due, in order, up to limit, and stops as
// soon as cond (if not nil) holds; the clock ends at limit unless cond
// stopped it earlier. It reports whether cond held.
func (r *runner) advanceUntil(limit clock.Instant, cond func() bool) bool {
	for r.failed == nil {
		if cond != nil && cond() {
			return true
		}
		w := r.nextWake()
		if w > limit {
			break
		}
		r.step(w)
	}
	if r.failed != nil {
		return false
	}
	if r.now < limit {
		r.now = limit
	}
	return cond != nil && cond()
}

// step runs the host's timers at t (or now, if t is past) and collects
// what they sent.
func (r *runner) step(t clock.Instant) {
	if t > r.now {
		r.now = t
	}
	r.steps++
	if r.steps > maxSteps {
		r.fail(0, "", "", "no progress: more than %d timer steps", maxSteps)
		return
	}
	if r.h != nil {
		r.h.Tick(r.now)
	}
	r.settle()
}

// settle collects what the host sent and retries the blocking call in
// progress. It runs after every input to the host.
func (r *runner) settle() {
	r.flush()
	r.pollBlocking()
}

// flush takes the packets the host wants to send into the queue of
// packets to compare.
func (r *runner) flush() {
	if r.h == nil {
		return
	}
	r.h.Flush(r.now, func(pkt []byte) {
		if len(r.out) >= maxQueued {
			r.fail(0, "", "", "more than %d packets sent and not expected by the script", maxQueued)
			return
		}
		r.out = append(r.out, sniffed{at: r.now, pkt: append([]byte(nil), pkt...)})
		if r.log != nil {
			r.logf("host sent %s", describeRaw(pkt))
		}
	})
}
