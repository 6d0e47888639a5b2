package stack

import "hash/maphash"

// posIndex finds entries by key in storage its owner keeps (the SYN
// queue's slab, a TIME_WAIT ring): an open-addressing table of the
// entries' positions, with linear probing and deletion by backward shift,
// so that an entry costs four bytes of index and its owner's slot, where a
// Go map of pointers costs a map slot and an allocation. The keys stay in
// the owner's slots; the operations that probe are given keyAt, the key
// stored at a position. The index is hashed with a random seed, as Go's
// maps are, so that a flood cannot aim its keys at one probe chain; what
// a table holds and in what order its owner walks it do not depend on the
// seed.
type posIndex[K comparable] struct {
	buckets []uint32 // 1 + a position, 0 for an empty bucket; len 0 or a power of two
	seed    maphash.Seed
}

// minIndex is the size of an index when its first entry arrives.
const minIndex = 16

// grown returns the size the index needs to hold n entries under its
// load bound of 3/4, growing it to minIndex first: its current size if
// that holds them.
func (x *posIndex[K]) grown(n int) int {
	size := max(len(x.buckets), minIndex)
	for 4*n > 3*size {
		size *= 2
	}
	return size
}

// shrunk returns the size the index should have once it holds n entries
// (n > 0): half its size when under 1/8 full, else its size.
func (x *posIndex[K]) shrunk(n int) int {
	if len(x.buckets) > minIndex && 8*n < len(x.buckets) {
		return len(x.buckets) / 2
	}
	return len(x.buckets)
}

// reset empties the index and sizes it to size buckets, drawing a seed
// the first time; the owner then places every entry it holds again.
func (x *posIndex[K]) reset(size int) {
	if x.buckets == nil {
		x.seed = maphash.MakeSeed()
	}
	x.buckets = make([]uint32, size)
}

func (x *posIndex[K]) home(k K) int {
	return int(maphash.Comparable(x.seed, k) & uint64(len(x.buckets)-1))
}

// find returns the bucket holding k, or -1.
func (x *posIndex[K]) find(k K, keyAt func(uint32) K) int {
	if len(x.buckets) == 0 {
		return -1
	}
	mask := len(x.buckets) - 1
	for i := x.home(k); x.buckets[i] != 0; i = (i + 1) & mask {
		if keyAt(x.buckets[i]-1) == k {
			return i
		}
	}
	return -1
}

// pos returns the position bucket i holds.
func (x *posIndex[K]) pos(i int) uint32 { return x.buckets[i] - 1 }

// place puts position p, whose key is k, into k's probe chain. The index
// must have a free bucket.
func (x *posIndex[K]) place(p uint32, k K) {
	mask := len(x.buckets) - 1
	i := x.home(k)
	for x.buckets[i] != 0 {
		i = (i + 1) & mask
	}
	x.buckets[i] = p + 1
}

// unlink empties bucket i and shifts back the entries after it whose
// chain passed through it, so that no lookup stops early.
func (x *posIndex[K]) unlink(i int, keyAt func(uint32) K) {
	mask := len(x.buckets) - 1
	x.buckets[i] = 0
	for j := (i + 1) & mask; x.buckets[j] != 0; j = (j + 1) & mask {
		h := x.home(keyAt(x.buckets[j] - 1))
		// The entry at j may fill the hole at i unless its home lies
		// cyclically in (i, j].
		if (j-h)&mask >= (j-i)&mask {
			x.buckets[i], x.buckets[j] = x.buckets[j], 0
			i = j
		}
	}
}

// used counts the buckets that hold a position, for the owners' checks.
func (x *posIndex[K]) used() int {
	n := 0
	for _, b := range x.buckets {
		if b != 0 {
			n++
		}
	}
	return n
}
