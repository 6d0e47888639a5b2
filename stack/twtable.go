package stack

import (
	"fmt"
	"iter"

	"github.com/synack-net/synack/clock"
)

// twTable holds TIME_WAIT entries by key in a ring of fixed chunks kept in
// deadline order, so that the ring is its own timer queue: every entry
// gets the same 2×MSL, so one appended later never expires earlier, and
// the entries due are those at the head. An entry whose 2×MSL restarts
// (the peer's FIN again) moves to the tail; one that ends early leaves a
// hole, skipped at the head, and when holes outnumber the entries the
// ring is rebuilt without them. A posIndex of ring positions finds an
// entry by key. An entry thus costs its slot and a few bytes of index,
// and no timer slot or pointer.
type twTable[K comparable, V twValue] struct {
	chunks  [][]twEntry[K, V] // chunks[i] holds positions (dropped+i)<<twShift onwards
	dropped uint32            // chunks before chunks[0] already passed by the head
	head    uint32            // the position of the first slot that may be live
	end     uint32            // the position of the next slot to fill
	index   posIndex[K]
	n       int           // live entries
	holes   int           // dead slots in [head, end)
	last    clock.Instant // the latest deadline in the ring: appends must not be earlier
	gen     uint32        // the last generation given out
}

// twValue is what a table holds: for a host, a tcp.PackedTimeWait.
type twValue interface {
	Deadline() clock.Instant
}

// twEntry is one slot: a key, the generation that tells this entry from
// later ones of the same 4-tuple (0 for a hole) and the packed entry.
type twEntry[K comparable, V twValue] struct {
	key K
	gen uint32
	tw  V
}

const (
	twShift = 8
	twChunk = 1 << twShift
	// twRenumber is the position at which the ring is rebuilt from 0, so
	// that positions never wrap.
	twRenumber = 1 << 31
)

func (t *twTable[K, V]) len() int { return t.n }

// at returns the slot at position p, which lies in [head, end).
func (t *twTable[K, V]) at(p uint32) *twEntry[K, V] {
	return &t.chunks[p>>twShift-t.dropped][p&(twChunk-1)]
}

// keyAt is the key in the slot at position p, for the index.
func (t *twTable[K, V]) keyAt(p uint32) K { return t.at(p).key }

// find returns the index bucket holding k, or -1.
func (t *twTable[K, V]) find(k K) int { return t.index.find(k, t.keyAt) }

// get returns k's entry, or nil.
func (t *twTable[K, V]) get(k K) *twEntry[K, V] {
	if i := t.find(k); i >= 0 {
		return t.at(t.index.pos(i))
	}
	return nil
}

// fits reports whether an entry with deadline d may be appended: the ring
// stays in deadline order.
func (t *twTable[K, V]) fits(d clock.Instant) bool { return t.n == 0 || d >= t.last }

// insert appends an entry for k, which the table must not hold and whose
// deadline fits, and returns its generation.
func (t *twTable[K, V]) insert(k K, w V) uint32 {
	if size := t.index.grown(t.n + 1); size != len(t.index.buckets) {
		t.rehash(size)
	}
	t.gen++
	if t.gen == 0 {
		t.gen = 1
	}
	t.index.place(t.appendSlot(twEntry[K, V]{key: k, gen: t.gen, tw: w}), k)
	t.n++
	return t.gen
}

// appendSlot puts e at the tail and returns its position.
func (t *twTable[K, V]) appendSlot(e twEntry[K, V]) uint32 {
	if t.end == twRenumber {
		t.rebuild()
	}
	if t.end&(twChunk-1) == 0 {
		t.chunks = append(t.chunks, make([]twEntry[K, V], twChunk))
	}
	p := t.end
	t.end++
	*t.at(p) = e
	t.last = max(t.last, e.tw.Deadline())
	return p
}

// update stores w as k's entry, which the table holds, moving it to the
// tail when its deadline changed (a restarted 2×MSL, never earlier).
func (t *twTable[K, V]) update(k K, w V) {
	i := t.find(k)
	e := t.at(t.index.pos(i))
	if w.Deadline() == e.tw.Deadline() {
		e.tw = w
		return
	}
	moved := twEntry[K, V]{key: k, gen: e.gen, tw: w}
	t.index.unlink(i, t.keyAt)
	*e = twEntry[K, V]{}
	t.holes++
	t.index.place(t.appendSlot(moved), k)
	t.trim()
}

// remove forgets k's entry, if it is held.
func (t *twTable[K, V]) remove(k K) {
	i := t.find(k)
	if i < 0 {
		return
	}
	p := t.index.pos(i)
	t.index.unlink(i, t.keyAt)
	*t.at(p) = twEntry[K, V]{}
	t.holes++
	t.n--
	if t.n == 0 {
		*t = twTable[K, V]{gen: t.gen}
		return
	}
	if size := t.index.shrunk(t.n); size != len(t.index.buckets) {
		t.rehash(size)
	}
	t.trim()
}

// trim moves the head past the holes there, frees the chunks it has
// passed, and rebuilds the ring when it is mostly holes.
func (t *twTable[K, V]) trim() {
	for t.head < t.end && t.at(t.head).gen == 0 {
		t.head++
		t.holes--
		if t.head&(twChunk-1) == 0 {
			t.chunks[0] = nil
			t.chunks = t.chunks[1:]
			t.dropped++
		}
	}
	if t.holes >= twChunk && t.holes > t.n {
		t.rebuild()
	}
}

// rebuild copies the live entries, in order, into a new ring that starts
// at position 0, and reindexes them.
func (t *twTable[K, V]) rebuild() {
	old := *t
	t.chunks, t.dropped, t.head, t.end, t.holes = nil, 0, 0, 0, 0
	for _, e := range old.all() {
		t.appendSlot(*e)
	}
	t.rehash(len(t.index.buckets))
}

// rehash rebuilds the index with size buckets.
func (t *twTable[K, V]) rehash(size int) {
	t.index.reset(size)
	for p, e := range t.all() {
		t.index.place(p, e.key)
	}
}

// front returns the live entry with the earliest deadline, or nil.
func (t *twTable[K, V]) front() *twEntry[K, V] {
	if t.n == 0 {
		return nil
	}
	return t.at(t.head) // trim keeps the head on a live entry
}

// next is the earliest deadline, or clock.Never.
func (t *twTable[K, V]) next() clock.Instant {
	if e := t.front(); e != nil {
		return e.tw.Deadline()
	}
	return clock.Never
}

// all yields the live entries in deadline order with their positions. The
// loop must not change the table.
func (t *twTable[K, V]) all() iter.Seq2[uint32, *twEntry[K, V]] {
	return func(yield func(uint32, *twEntry[K, V]) bool) {
		for p := t.head; p < t.end; p++ {
			if e := t.at(p); e.gen != 0 && !yield(p, e) {
				return
			}
		}
	}
}

// check returns an error naming the first broken rule of the table: every
// live slot is indexed and found by its key, the ring is in deadline
// order, and the counts add up.
func (t *twTable[K, V]) check() error {
	live, holes := 0, 0
	last := clock.Instant(0)
	for p := t.head; p < t.end; p++ {
		e := t.at(p)
		if e.gen == 0 {
			holes++
			continue
		}
		live++
		d := e.tw.Deadline()
		if d < last {
			return fmt.Errorf("TIME_WAIT table: deadline %v after %v", d, last)
		}
		last = d
		if i := t.find(e.key); i < 0 || t.index.pos(i) != p {
			return fmt.Errorf("TIME_WAIT table: slot %d is not indexed", p)
		}
	}
	if indexed := t.index.used(); live != t.n || holes != t.holes || indexed != t.n {
		return fmt.Errorf("TIME_WAIT table: %d live slots, %d holes, %d indexed; counted %d and %d", live, holes, indexed, t.n, t.holes)
	}
	if t.n > 0 && t.at(t.head).gen == 0 {
		return fmt.Errorf("TIME_WAIT table: the head is a hole")
	}
	return nil
}
