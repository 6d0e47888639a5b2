package stack

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/trace"
)

// subscribers are the subscriptions a host offers its trace events to.
type subscribers struct {
	mu sync.Mutex // serialises changes to list
	// list is replaced, never modified, so that record reads it without
	// a lock; it is nil when there is no subscription, which is what
	// makes tracing cost nothing then.
	list atomic.Pointer[[]*trace.Subscription]
	// last is the time of the last event recorded, guarded by the
	// host's countMu.
	last clock.Instant
}

// Subscribe makes the host offer every trace event it records to sub,
// until sub is closed or cancel is called. The host never waits for sub's
// reader: an event that finds sub full is dropped and counted there. Any
// number of subscriptions may be added and removed at any time, and one
// may be fed by several hosts.
func (h *Host) Subscribe(sub *trace.Subscription) (cancel func()) {
	h.subs.mu.Lock()
	var next []*trace.Subscription
	if old := h.subs.list.Load(); old != nil {
		next = slices.Clone(*old)
	}
	next = append(next, sub)
	h.subs.list.Store(&next)
	h.subs.mu.Unlock()
	var once sync.Once
	cancel = func() { once.Do(func() { h.unsubscribe(sub) }) }
	sub.OnClose(cancel) // after h.subs.mu: a closed sub runs cancel at once
	return cancel
}

// unsubscribe removes one entry of sub from the host's list.
func (h *Host) unsubscribe(sub *trace.Subscription) {
	h.subs.mu.Lock()
	defer h.subs.mu.Unlock()
	old := h.subs.list.Load()
	if old == nil {
		return
	}
	i := slices.Index(*old, sub)
	if i < 0 {
		return
	}
	if len(*old) == 1 {
		h.subs.list.Store(nil)
		return
	}
	next := slices.Delete(slices.Clone(*old), i, i+1)
	h.subs.list.Store(&next)
}

// tracing reports whether anything receives the host's trace events, so
// that callers build an event only then.
func (h *Host) tracing() bool { return h.rec != nil || h.subs.list.Load() != nil }

// record stamps e with the host's name and hands it to the recorder and
// to every subscription. An event never carries a time before the one
// recorded before it: a user goroutine and the driver may each read the
// clock and then race for the host, and a reader (a ladder diagram above
// all) relies on each host's events being in time order.
func (h *Host) record(e trace.Event) {
	subs := h.subs.list.Load()
	if h.rec == nil && subs == nil {
		return
	}
	e.Host = h.cfg.Name
	h.countMu.Lock()
	defer h.countMu.Unlock()
	e.Time = max(e.Time, h.subs.last)
	h.subs.last = e.Time
	if h.rec != nil {
		h.rec.Record(e)
	}
	if subs != nil {
		for _, s := range *subs {
			s.Record(e)
		}
	}
}
