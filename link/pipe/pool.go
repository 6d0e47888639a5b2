package pipe

import "sync"

// pool is a bounded free list of packet buffers of MTU capacity, shared by
// the two directions of a pipe. A buffer is owned by exactly one party at a
// time: the pool, a wire's queue, or the goroutine copying in or out of it.
//
// The list is a stack, not a queue: the buffer a reader has just given back
// is the next one a writer takes, while it is still in the processor's
// cache. A queue hands out the buffer freed longest ago; with a receive
// queue of a thousand 64 KiB packets that cycles through tens of megabytes,
// and every copy onto the pipe missed the cache.
type pool struct {
	mtu  int
	mu   sync.Mutex
	free [][]byte // a stack; its capacity is the bound
}

func newPool(mtu, size int) *pool {
	return &pool{mtu: mtu, free: make([][]byte, 0, size)}
}

// get returns a buffer of length n (n <= mtu), reusing a free one if any:
// the one most recently put back.
func (p *pool) get(n int) []byte {
	p.mu.Lock()
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
		p.mu.Unlock()
		return b[:n]
	}
	p.mu.Unlock()
	return make([]byte, n, p.mtu)
}

// put returns a buffer to the pool; if the pool is full the buffer is left
// to the garbage collector.
func (p *pool) put(b []byte) {
	p.mu.Lock()
	if len(p.free) < cap(p.free) {
		p.free = append(p.free, b)
	}
	p.mu.Unlock()
}
