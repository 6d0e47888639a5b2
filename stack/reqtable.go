package stack

import (
	"iter"

	"github.com/synack-net/synack/tcp"
)

// reqTable holds the SYN queue's requests by 4-tuple in about 80 bytes
// each: the entries live in a slab of fixed chunks, so a request never
// moves, and a posIndex of slab positions finds them.
type reqTable struct {
	slab  [][]reqEntry // chunks of slabChunk entries
	free  []uint32     // positions of freed entries, reused first
	index posIndex[synKey]
	n     int
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
)

func (t *reqTable) len() int { return t.n }

// at returns the entry at slab position p.
func (t *reqTable) at(p uint32) *reqEntry { return &t.slab[p>>slabShift][p&(slabChunk-1)] }

// keyAt is the key of the entry at slab position p, for the index.
func (t *reqTable) keyAt(p uint32) synKey { return t.at(p).key }

// find returns the index bucket holding k, or -1.
func (t *reqTable) find(k synKey) int { return t.index.find(k, t.keyAt) }

// get returns k's request, or nil.
func (t *reqTable) get(k synKey) *tcp.Request {
	if i := t.find(k); i >= 0 {
		return &t.at(t.index.pos(i)).req
	}
	return nil
}

// insert stores a new request for k, which the table must not hold, and
// returns its slab position.
func (t *reqTable) insert(k synKey, r tcp.Request) uint32 {
	if size := t.index.grown(t.n + 1); size != len(t.index.buckets) {
		t.rehash(size)
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
	t.index.place(p, k)
	t.n++
	return p
}

// pos returns the slab position of k's request, which the table holds.
func (t *reqTable) pos(k synKey) uint32 { return t.index.pos(t.find(k)) }

// remove forgets k's request, if it is held.
func (t *reqTable) remove(k synKey) {
	i := t.find(k)
	if i < 0 {
		return
	}
	p := t.index.pos(i)
	t.index.unlink(i, t.keyAt)
	*t.at(p) = reqEntry{}
	t.free = append(t.free, p)
	t.n--
	if t.n == 0 {
		*t = reqTable{}
	} else if size := t.index.shrunk(t.n); size != len(t.index.buckets) {
		t.rehash(size)
	}
}

// rehash rebuilds the index with size buckets.
func (t *reqTable) rehash(size int) {
	t.index.reset(size)
	for p, e := range t.all() {
		t.index.place(p, e.key)
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
