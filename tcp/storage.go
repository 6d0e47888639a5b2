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
// A sync.Pool is emptied by every other garbage collection, and a new
// connection's growing buffers make collections frequent: each of them
// sent the storage a busy connection had just given back to the
// collector, and the next write allocated and zeroed it again (36 MB of
// storage allocated in the first 64 MiB of a transfer). So in front of
// each pool sits a small free list that collections leave alone, bounded
// by storageCacheBytes in all; beyond it storage goes to the pool.
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

// storageCacheBytes bounds the storage the free lists keep, over all
// sizes.
const storageCacheBytes = 32 << 20

// storageFree is the free list in front of each pool, and storageCached
// the bytes they hold together.
var (
	storageMu     sync.Mutex
	storageFree   [maxStorageShift - minStorageShift + 1][]*[]byte
	storageCached int
)

// takeCached returns storage of 1<<shift bytes from its free list, or nil.
func takeCached(shift int) *[]byte {
	storageMu.Lock()
	defer storageMu.Unlock()
	list := &storageFree[shift-minStorageShift]
	n := len(*list)
	if n == 0 {
		return nil
	}
	p := (*list)[n-1]
	(*list)[n-1] = nil
	*list = (*list)[:n-1]
	storageCached -= 1 << shift
	return p
}

// keepCached puts p, of 1<<shift bytes, on its free list if the lists
// have room, and reports whether it did.
func keepCached(p *[]byte, shift int) bool {
	storageMu.Lock()
	defer storageMu.Unlock()
	if storageCached+1<<shift > storageCacheBytes {
		return false
	}
	list := &storageFree[shift-minStorageShift]
	*list = append(*list, p)
	storageCached += 1 << shift
	return true
}

// getStorage returns storage of at least n bytes (n > 0). Its contents are
// whatever its last user left; buffers never read a byte they did not
// write.
func getStorage(n int) *[]byte {
	shift := max(bits.Len(uint(n-1)), minStorageShift)
	if shift > maxStorageShift {
		b := make([]byte, n)
		return &b
	}
	if p := takeCached(shift); p != nil {
		return p
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
	if !keepCached(p, shift) {
		storagePools[shift-minStorageShift].Put(p)
	}
}
