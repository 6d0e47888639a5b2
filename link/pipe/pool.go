package pipe

// pool is a bounded free list of packet buffers of MTU capacity, shared by
// the two directions of a pipe. A buffer is owned by exactly one party at a
// time: the pool, a wire's queue, or the goroutine copying in or out of it.
type pool struct {
	mtu  int
	free chan []byte
}

func newPool(mtu, size int) *pool {
	return &pool{mtu: mtu, free: make(chan []byte, size)}
}

// get returns a buffer of length n (n <= mtu), reusing a free one if any.
func (p *pool) get(n int) []byte {
	select {
	case b := <-p.free:
		return b[:n]
	default:
		return make([]byte, n, p.mtu)
	}
}

// put returns a buffer to the pool; if the pool is full the buffer is left
// to the garbage collector.
func (p *pool) put(b []byte) {
	select {
	case p.free <- b:
	default:
	}
}
