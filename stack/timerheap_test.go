package stack

import (
	"math/rand/v2"
	"testing"

	"github.com/synack-net/synack/clock"
)

// TestTimerHeapAgainstModel drives the indexed heap with random re-arms,
// removals and expiries and compares it with a plain map of deadlines.
func TestTimerHeapAgainstModel(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 9))
	var h timerHeap
	conns := make([]*Conn, 200)
	model := map[*Conn]clock.Instant{}
	for i := range conns {
		conns[i] = newConn(nil, Tuple{})
	}
	now := clock.Instant(0)
	for step := 0; step < 20000; step++ {
		c := conns[r.IntN(len(conns))]
		switch r.IntN(4) {
		case 0, 1:
			d := now + clock.Instant(r.IntN(1000))
			h.set(c, d)
			model[c] = d
		case 2:
			h.set(c, clock.Never)
			delete(model, c)
		case 3:
			now += clock.Instant(r.IntN(50))
			for {
				got := h.popDue(now)
				if got == nil {
					break
				}
				d, ok := model[got]
				if !ok || d > now {
					t.Fatalf("step %d: popped a connection due at %v (armed %v) at %v", step, d, ok, now)
				}
				delete(model, got)
			}
			for _, d := range model {
				if d <= now {
					t.Fatalf("step %d: a connection due at %v was not popped at %v", step, d, now)
				}
			}
		}
		want := clock.Never
		for _, d := range model {
			want = clock.Min(want, d)
		}
		if h.next() != want {
			t.Fatalf("step %d: next %v, want %v", step, h.next(), want)
		}
		if len(h.items) != len(model) {
			t.Fatalf("step %d: %d items, model %d", step, len(h.items), len(model))
		}
	}
}
