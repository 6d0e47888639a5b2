package stack

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// The slots' sizes are the TIME_WAIT table's cost: a test fails when one
// grows (BenchmarkTimeWaitHeap has the figure all in).
func TestTimeWaitSlotSize(t *testing.T) {
	if n := unsafe.Sizeof(twEntry[twKey4, tcp.PackedTimeWait]{}); n != 56 {
		t.Errorf("IPv4 slot: %d bytes, want 56", n)
	}
	if n := unsafe.Sizeof(twEntry[twKey6, tcp.PackedTimeWait]{}); n != 68 {
		t.Errorf("IPv6 slot: %d bytes, want 68", n)
	}
	if n := unsafe.Sizeof(tcp.PackedTimeWait{}); n != 40 {
		t.Errorf("packed entry: %d bytes, want 40", n)
	}
}

// testTW is a table value for the model test: a deadline and a mark.
type testTW struct {
	d    clock.Instant
	mark int
}

func (v testTW) Deadline() clock.Instant { return v.d }

// The table against a map, over random inserts, restarts, removals and
// expiries: the same entries, found by key, with their generations, in
// deadline order at the head, through ring chunks dropped and rebuilds.
func TestTimeWaitTableModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tab twTable[twKey4, testTW]
	type held struct {
		mark int
		gen  uint32
	}
	model := map[twKey4]held{}
	now := clock.Instant(0)
	for step := range 200000 {
		now += clock.Instant(rng.IntN(1000))
		k := twKey4{rport: uint16(rng.IntN(3000)), lport: 80}
		m, ok := model[k]
		switch op := rng.IntN(10); {
		case op < 5 && !ok:
			model[k] = held{step, tab.insert(k, testTW{now, step})}
		case op < 7 && ok:
			if rng.IntN(2) == 0 {
				tab.update(k, testTW{tab.get(k).tw.d, step}) // same deadline: in place
			} else {
				tab.update(k, testTW{now, step}) // restarted: to the tail
			}
			model[k] = held{step, m.gen}
		case op < 9 && ok:
			tab.remove(k)
			delete(model, k)
		default:
			for e := tab.front(); e != nil && e.tw.d <= now-100000; e = tab.front() {
				delete(model, e.key)
				tab.remove(e.key)
			}
		}
		if step%997 == 0 {
			if err := tab.check(); err != nil {
				t.Fatalf("step %d: %v", step, err)
			}
		}
		if tab.len() != len(model) {
			t.Fatalf("step %d: %d entries, want %d", step, tab.len(), len(model))
		}
		m, ok = model[k]
		e := tab.get(k)
		switch {
		case (e != nil) != ok:
			t.Fatalf("step %d: found %v, want %v", step, e != nil, ok)
		case e != nil && (e.tw.mark != m.mark || e.gen != m.gen):
			t.Fatalf("step %d: mark %d gen %d, want %d gen %d", step, e.tw.mark, e.gen, m.mark, m.gen)
		}
	}
	if err := tab.check(); err != nil {
		t.Fatal(err)
	}
	// Holes behind a head that does not expire: the ring is rebuilt
	// without them, in order.
	for k := range model {
		tab.remove(k)
		delete(model, k)
	}
	anchor := twKey4{rport: 9999}
	tab.insert(anchor, testTW{now, -1})
	model[anchor] = held{}
	for i := range 10 * twChunk {
		k := twKey4{rport: uint16(10000 + i%50)}
		if _, ok := model[k]; ok {
			tab.remove(k)
			delete(model, k)
		} else {
			tab.insert(k, testTW{now, i})
			model[k] = held{}
		}
		if tab.holes > tab.n+twChunk {
			t.Fatalf("%d holes for %d entries", tab.holes, tab.n)
		}
	}
	if err := tab.check(); err != nil {
		t.Fatal(err)
	}
	if e := tab.front(); e == nil || e.key != anchor {
		t.Fatal("the anchor is no longer at the head")
	}
	for k := range model {
		tab.remove(k)
	}
	if tab.len() != 0 || tab.chunks != nil || tab.index.buckets != nil {
		t.Errorf("emptied table keeps %d entries, %d chunks, %d buckets", tab.len(), len(tab.chunks), len(tab.index.buckets))
	}
}
