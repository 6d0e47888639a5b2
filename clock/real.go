package clock

import (
	"sync"
	"time"
)

// Real is the wall clock: its Instants are monotonic nanoseconds since
// NewReal was called. It uses only the time package, so under
// testing/synctest it runs on the bubble's fake time.
type Real struct {
	base time.Time
}

var _ Clock = (*Real)(nil)

// NewReal returns a clock whose epoch (Instant 0) is now.
func NewReal() *Real { return &Real{base: time.Now()} }

// Now returns the time elapsed since NewReal, read from the monotonic clock.
func (r *Real) Now() Instant { return Instant(time.Since(r.base)) }

// NewTimer returns a timer that fires at instant at.
func (r *Real) NewTimer(at Instant) Timer {
	t := &realTimer{clk: r, c: make(chan struct{}, 1)}
	t.Reset(at)
	return t
}

// realTimer drives a time.AfterFunc timer. The callback does not trust that
// it belongs to the current arming (a Reset may race with an expiry): under
// the lock it fires only if the timer is armed and its deadline has passed,
// so a stale callback can never deliver an early or unwanted fire.
type realTimer struct {
	clk *Real
	c   chan struct{}

	mu       sync.Mutex
	armed    bool
	deadline Instant
	t        *time.Timer // created on the first arming in the future
}

func (t *realTimer) C() <-chan struct{} { return t.c }

func (t *realTimer) Reset(at Instant) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.disarmLocked()
	if at == Never {
		return
	}
	d := at.Sub(t.clk.Now())
	if d <= 0 {
		t.fireLocked()
		return
	}
	t.armed, t.deadline = true, at
	if t.t == nil {
		t.t = time.AfterFunc(d, t.expire)
		return
	}
	t.t.Reset(d)
}

func (t *realTimer) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.disarmLocked()
}

// disarmLocked stops the underlying timer and drains an unreceived fire.
func (t *realTimer) disarmLocked() {
	t.armed = false
	if t.t != nil {
		t.t.Stop()
	}
	select {
	case <-t.c:
	default:
	}
}

func (t *realTimer) fireLocked() {
	t.armed = false
	select {
	case t.c <- struct{}{}:
	default:
	}
}

func (t *realTimer) expire() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.armed {
		return
	}
	if d := t.deadline.Sub(t.clk.Now()); d > 0 {
		t.t.Reset(d) // a callback from an earlier arming: wait for ours
		return
	}
	t.fireLocked()
}
