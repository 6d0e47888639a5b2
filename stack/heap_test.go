package stack

import "runtime"

// liveHeap is the heap in use after two collections (the second frees
// what sync.Pools kept through the first), for the benchmarks that
// measure the heap a kind of connection state costs.
func liveHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}
