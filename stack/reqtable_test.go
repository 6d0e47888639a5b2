package stack

import (
	"math/rand/v2"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// TestReqTableMatchesAMap drives the table and a Go map with the same
// random inserts and removals, across growths and shrinks of the index,
// and checks after each step that both hold the same.
func TestReqTableMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tab reqTable
	ref := map[synKey]uint32{} // the slab position insert gave
	keyOf := func(i int) synKey {
		return synKey{remote: [16]byte{15: byte(i), 14: byte(i >> 8)}, rport: uint16(i >> 16), lport: 80}
	}
	for step := range 200000 {
		// Drift between growing to ~3000 entries and emptying.
		grow := step/20000%2 == 0
		i := rng.IntN(4000)
		k := keyOf(i)
		if _, ok := ref[k]; !ok && (grow || rng.IntN(50) == 0) {
			ref[k] = tab.insert(k, tcp.Request{})
		} else if ok {
			tab.remove(k)
			delete(ref, k)
		}
		if tab.len() != len(ref) {
			t.Fatalf("step %d: table holds %d, map %d", step, tab.len(), len(ref))
		}
		if step%997 == 0 {
			checkReqTable(t, &tab, ref, keyOf)
		}
	}
	checkReqTable(t, &tab, ref, keyOf)
	// Removing every entry while walking the table empties it.
	for k := range tab.all() {
		tab.remove(tab.at(k).key)
	}
	if tab.len() != 0 || len(tab.slab) != 0 || len(tab.index.buckets) != 0 {
		t.Fatalf("after removing all while walking: %d entries, %d chunks, %d buckets", tab.len(), len(tab.slab), len(tab.index.buckets))
	}
}

func checkReqTable(t *testing.T, tab *reqTable, ref map[synKey]uint32, keyOf func(int) synKey) {
	t.Helper()
	for i := range 4000 {
		k := keyOf(i)
		r := tab.get(k)
		want, ok := ref[k]
		switch {
		case ok && r == nil:
			t.Fatalf("key %d: lost", i)
		case !ok && r != nil:
			t.Fatalf("key %d: held after removal", i)
		case ok && r != &tab.at(want).req:
			t.Fatalf("key %d: not the request at position %d", i, want)
		}
	}
	n := 0
	for p, e := range tab.all() {
		if want, ok := ref[e.key]; !ok || want != p {
			t.Fatalf("walk: %v at position %d, want %d (held %v)", e.key, p, want, ok)
		}
		n++
	}
	if n != len(ref) {
		t.Fatalf("walk found %d entries, want %d", n, len(ref))
	}
	if len(ref) > 0 && 4*len(ref) > 3*len(tab.index.buckets) {
		t.Fatalf("%d entries in %d buckets: over the load bound", len(ref), len(tab.index.buckets))
	}
}
