package interop

import (
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// stateWatcher is a trace.Recorder that remembers the state changes of each
// synack connection (keyed by its two ends; a listener's own events,
// which have no remote end, are kept apart) and lets a test wait for
// one, instead of polling.
type stateWatcher struct {
	mu      sync.Mutex
	states  map[ends][]tcp.State
	changed chan struct{} // closed and replaced on every state change
}

func newStateWatcher() *stateWatcher {
	return &stateWatcher{states: map[ends][]tcp.State{}, changed: make(chan struct{})}
}

// Record implements trace.Recorder; it runs on synack's event loop.
func (w *stateWatcher) Record(e trace.Event) {
	if e.Kind != trace.KindState {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	k := ends{e.Local, e.Remote}
	w.states[k] = append(w.states[k], e.To)
	close(w.changed)
	w.changed = make(chan struct{})
}

// ends identifies a connection: synack's end and the peer's.
type ends struct{ local, remote netip.AddrPort }

// history returns the states the connection c has entered, in order.
func (w *stateWatcher) history(c ends) []tcp.State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.states[c])
}

// waitFor blocks until the connection c has entered want, and
// returns the states it went through. It fails the test after a generous
// safety timeout.
func (w *stateWatcher) waitFor(t *testing.T, c ends, want tcp.State) []tcp.State {
	t.Helper()
	timeout := time.NewTimer(60 * time.Second)
	defer timeout.Stop()
	for {
		w.mu.Lock()
		seen := slices.Clone(w.states[c])
		changed := w.changed
		w.mu.Unlock()
		if slices.Contains(seen, want) {
			return seen
		}
		select {
		case <-changed:
		case <-timeout.C:
			t.Fatalf("connection %v never entered %v; went through %v", c, want, seen)
		}
	}
}
