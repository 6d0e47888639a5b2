package stack

import (
	"hash/maphash"
	"iter"

	"github.com/synack-net/synack/tcp"
)

// reqTable holds the SYN queue's requests by 4-tuple in about 80 bytes
// each, where a Go map of pointers costs a map slot and an allocation
// beside the request: the entries live in a slab of fixed chunks, so a
// request never moves, and an open-addressing index of slab positions
// (linear probing, deletion by backward shift) finds them. The index is
// hashed with a random seed, as Go's maps are, so that a flood cannot aim
// its keys at one probe chain; what the table holds and in what order it
// is walked (by slab position) do not depend on the seed.
type reqTable struct {
	slab  [][]reqEntry // chunks of slabChunk entries
	free  []uint32     // positions of freed entries, reused first
	index []uint32     // 1 + an entry's position, 0 for an empty bucket; len 0 or a power of two
	n     int
	seed  maphash.Seed
}

// reqEntry is a request with its key. live fits in the padding between
// the two.
type reqEntry struct {
	key  synKey
	live bool
	req  tcp.Request
}

const (
	slabShift = 8
	slabChunk = 1 << slabShift
	minIndex  = 16
)

func (t *reqTable) len() int { return t.n }

// at returns the entry at slab position p.
func (t *reqTable) at(p uint32) *reqEntry { return &t.slab[p>>slabShift][p&(slabChunk-1)] }

func (t *reqTable) home(k synKey) int {
	return int(maphash.Comparable(t.seed, k) & uint64(len(t.index)-1))
}

// find returns the bucket holding k, or -1.
func (t *reqTable) find(k synKey) int {
	if t.n == 0 {
		return -1
	}
	mask := len(t.index) - 1
	for i := t.home(k); t.index[i] != 0; i = (i + 1) & mask {
		if t.at(t.index[i]-1).key == k {
			return i
		}
	}
	return -1
}

// get returns k's request, or nil.
func (t *reqTable) get(k synKey) *tcp.Request {
	if i := t.find(k); i >= 0 {
		return &t.at(t.index[i] - 1).req
	}
	return nil
}

// insert stores a new request for k, which the table must not hold, and
// returns its slab position.
func (t *reqTable) insert(k synKey, r tcp.Request) uint32 {
	if len(t.index) == 0 {
		t.seed = maphash.MakeSeed()
		t.index = make([]uint32, minIndex)
	} else if 4*(t.n+1) > 3*len(t.index) {
		t.rehash(2 * len(t.index))
	}
	var p uint32
	if n := len(t.free); n > 0 {
		p, t.free = t.free[n-1], t.free[:n-1]
	} else {
		p = uint32(len(t.slab)) << slabShift
		if last := len(t.slab) - 1; last >= 0 && len(t.slab[last]) < slabChunk {
			p = uint32(last)<<slabShift | uint32(len(t.slab[last]))
			t.slab[last] = t.slab[last][:len(t.slab[last])+1]
		} else {
			t.slab = append(t.slab, make([]reqEntry, 1, slabChunk))
		}
	}
	*t.at(p) = reqEntry{key: k, live: true, req: r}
	t.place(p)
	t.n++
	return p
}

// place puts slab position p into its probe chain.
func (t *reqTable) place(p uint32) {
	mask := len(t.index) - 1
	i := t.home(t.at(p).key)
	for t.index[i] != 0 {
		i = (i + 1) & mask
	}
	t.index[i] = p + 1
}

// pos returns the slab position of k's request, which the table holds.
func (t *reqTable) pos(k synKey) uint32 { return t.index[t.find(k)] - 1 }

// remove forgets k's request, if it is held.
func (t *reqTable) remove(k synKey) {
	i := t.find(k)
	if i < 0 {
		return
	}
	p := t.index[i] - 1
	*t.at(p) = reqEntry{}
	t.free = append(t.free, p)
	t.n--
	t.unlink(i)
	switch {
	case t.n == 0:
		*t = reqTable{}
	case len(t.index) > minIndex && 8*t.n < len(t.index):
		t.rehash(len(t.index) / 2)
	}
}

// unlink empties bucket i and shifts back the entries after it whose
// chain passed through it, so that no lookup stops early.
func (t *reqTable) unlink(i int) {
	mask := len(t.index) - 1
	t.index[i] = 0
	for j := (i + 1) & mask; t.index[j] != 0; j = (j + 1) & mask {
		h := t.home(t.at(t.index[j] - 1).key)
		// The entry at j may fill the hole at i unless its home lies
		// cyclically in (i, j].
		if (j-h)&mask >= (j-i)&mask {
			t.index[i], t.index[j] = t.index[j], 0
			i = j
		}
	}
}

// rehash rebuilds the index with size buckets.
func (t *reqTable) rehash(size int) {
	t.index = make([]uint32, size)
	for p := range t.all() {
		t.place(p)
	}
}

// all yields every held entry with its position, in slab order; the
// loop may remove the entry it is given.
func (t *reqTable) all() iter.Seq2[uint32, *reqEntry] {
	return func(yield func(uint32, *reqEntry) bool) {
		// The bounds are checked on each step: removals may have
		// emptied the table.
		for c := 0; c < len(t.slab); c++ {
			for i := 0; c < len(t.slab) && i < len(t.slab[c]); i++ {
				if e := &t.slab[c][i]; e.live && !yield(uint32(c)<<slabShift|uint32(i), e) {
					return
				}
			}
		}
	}
}
