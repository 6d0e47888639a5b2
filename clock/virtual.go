package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Virtual is a manual clock for tests and simulations. Time stands still
// until Advance or AdvanceTo moves it; timers fire only then, in deadline
// order. It runs no goroutines and is safe for concurrent use.
type Virtual struct {
	mu     sync.Mutex
	now    Instant
	nextID uint64
	armed  timerHeap
}

var _ Clock = (*Virtual)(nil)

// NewVirtual returns a virtual clock at Instant 0.
func NewVirtual() *Virtual { return &Virtual{} }

// Now returns the clock's current instant.
func (v *Virtual) Now() Instant {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// NewTimer returns a timer that fires at instant at: at once if at is not
// after Now, otherwise when the clock is advanced to at.
func (v *Virtual) NewTimer(at Instant) Timer {
	v.mu.Lock()
	defer v.mu.Unlock()
	t := &virtualTimer{v: v, id: v.nextID, c: make(chan struct{}, 1), index: -1}
	v.nextID++
	v.armLocked(t, at)
	return t
}

// Advance moves the clock forward by d (a negative d does nothing), firing
// the timers that fall due. See AdvanceTo.
func (v *Virtual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.advanceLocked(v.now.Add(d))
}

// AdvanceTo moves the clock forward to t, firing every timer whose deadline
// is at or before t in deadline order, ties in the order the timers were
// created. Time never goes backwards: a t before Now does nothing.
// Receivers of the fires observe Now() == t.
func (v *Virtual) AdvanceTo(t Instant) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.advanceLocked(t)
}

// NextTimer returns the earliest deadline of an armed timer, or Never.
func (v *Virtual) NextTimer() Instant {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.armed) == 0 {
		return Never
	}
	return v.armed[0].at
}

func (v *Virtual) advanceLocked(to Instant) {
	if to <= v.now {
		return
	}
	for len(v.armed) > 0 && v.armed[0].at <= to {
		t := heap.Pop(&v.armed).(*virtualTimer)
		v.now = t.at
		t.fire()
	}
	v.now = to
}

// armLocked discards any pending fire of t and schedules it for at.
func (v *Virtual) armLocked(t *virtualTimer, at Instant) {
	v.disarmLocked(t)
	switch {
	case at == Never:
	case at <= v.now:
		t.fire()
	default:
		t.at = at
		heap.Push(&v.armed, t)
	}
}

func (v *Virtual) disarmLocked(t *virtualTimer) {
	if t.index >= 0 {
		heap.Remove(&v.armed, t.index)
	}
	select {
	case <-t.c:
	default:
	}
}

// virtualTimer is a Timer of a Virtual clock. Its fields other than c are
// guarded by the clock's mutex.
type virtualTimer struct {
	v     *Virtual
	id    uint64 // creation order, breaks deadline ties
	c     chan struct{}
	at    Instant
	index int // position in v.armed, or -1 when not armed
}

func (t *virtualTimer) C() <-chan struct{} { return t.c }

func (t *virtualTimer) Reset(at Instant) {
	t.v.mu.Lock()
	defer t.v.mu.Unlock()
	t.v.armLocked(t, at)
}

func (t *virtualTimer) Stop() {
	t.v.mu.Lock()
	defer t.v.mu.Unlock()
	t.v.disarmLocked(t)
}

func (t *virtualTimer) fire() {
	select {
	case t.c <- struct{}{}:
	default:
	}
}

// timerHeap orders armed timers by deadline, then creation order.
type timerHeap []*virtualTimer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].id < h[j].id
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*virtualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*h = old[:len(old)-1]
	return t
}
