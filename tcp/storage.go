package tcp

import (
	"math/bits"
	"sync"
)

// The storage of send and receive buffers is recycled through pools by
// power-of-two size, as a kernel recycles socket buffer memory through its
// slab caches. A sender that keeps up with its writer empties its send
// buffer at nearly every write, and an empty buffer gives its storage back
// (so an idle connection holds none); without the pools each write after
// that would allocate and zero the storage again. Pooled storage that stays
// unused is freed by the garbage collector, as sync.Pool does.
//
// The pools are an allocator, like make: which array a buffer gets never
// shows in what the TCB does, so the TCB stays deterministic.
const (
	minStorageShift = 12 // 4 KiB: the smallest storage pooled
	maxStorageShift = 26 // 64 MiB: larger storage is allocated exactly, and not pooled
)

// storagePools holds storage of 1<<shift bytes at index shift-minStorageShift,
// each as a *[]byte so that putting it back allocates nothing.
var storagePools [maxStorageShift - minStorageShift + 1]sync.Pool

// getStorage returns storage of at least n bytes (n > 0). Its contents are
// whatever its last user left; buffers never read a byte they did not
// write.
func getStorage(n int) *[]byte {
	shift := max(bits.Len(uint(n-1)), minStorageShift)
	if shift > maxStorageShift {
		b := make([]byte, n)
		return &b
	}
	if p, ok := storagePools[shift-minStorageShift].Get().(*[]byte); ok {
		return p
	}
	b := make([]byte, 1<<shift)
	return &b
}

// storageSize is the capacity of the storage getStorage(n) returns, which
// is what a buffer charges its host's memory account for it.
func storageSize(n int) int {
	shift := max(bits.Len(uint(n-1)), minStorageShift)
	if shift > maxStorageShift {
		return n
	}
	return 1 << shift
}

// putStorage gives storage from getStorage back for reuse. p must not be
// used afterwards.
func putStorage(p *[]byte) {
	c := cap(*p)
	shift := bits.Len(uint(c - 1))
	if c != 1<<shift || shift < minStorageShift || shift > maxStorageShift {
		return
	}
	*p = (*p)[:c]
	storagePools[shift-minStorageShift].Put(p)
}
