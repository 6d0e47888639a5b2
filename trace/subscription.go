package trace

import (
	"sync"
	"sync/atomic"
)

// Subscription is a bounded queue of events that hosts offer without ever
// waiting: its reader takes them from Events on its own goroutine, so no
// code of the reader runs on a host's event loop or under its locks. When
// the queue is full the event is dropped and counted (Dropped); the host
// goes on. One Subscription may be fed by several hosts at once; the
// events of each host arrive in the order it recorded them.
//
// A Subscription is a Recorder, so it may also be given as a host's
// Config.Recorder.
type Subscription struct {
	ch      chan Event
	dropped atomic.Uint64

	mu      sync.Mutex // guards closed, detach and sends on ch against close
	closed  bool
	detach  []func()
	onClose sync.Once
}

// NewSubscription returns a Subscription that holds up to n events (at
// least 1) not yet read.
func NewSubscription(n int) *Subscription {
	return &Subscription{ch: make(chan Event, max(n, 1))}
}

// Events returns the channel the events arrive on. It is closed by Close,
// after which the events still queued can be read.
func (s *Subscription) Events() <-chan Event { return s.ch }

// Dropped returns the number of events offered while the queue was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Record offers e without waiting: it is queued, or dropped and counted
// when the queue is full. After Close it does nothing.
func (s *Subscription) Record(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- e:
	default:
		s.dropped.Add(1)
	}
}

// OnClose registers f to run once when the subscription closes (at once
// if it already has): hosts use it to stop offering events. It reports
// whether the subscription was still open.
func (s *Subscription) OnClose(f func()) bool {
	s.mu.Lock()
	if !s.closed {
		s.detach = append(s.detach, f)
		s.mu.Unlock()
		return true
	}
	s.mu.Unlock()
	f()
	return false
}

// Close ends the subscription: every host feeding it stops, and Events is
// closed once the events already queued are read. It always returns nil.
func (s *Subscription) Close() error {
	s.onClose.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.ch)
		detach := s.detach
		s.detach = nil
		s.mu.Unlock()
		// Outside s.mu: a host's detach takes its own lock, which a host
		// may hold while it calls Record.
		for _, f := range detach {
			f()
		}
	})
	return nil
}
