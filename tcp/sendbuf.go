package tcp

import "github.com/synack-net/synack/wire"

// sendBufMinAlloc is the size of the first allocation of a send buffer's
// storage (or the limit, if smaller). Later growth doubles it, so a
// connection that sends little never pays for its full SO_SNDBUF.
const sendBufMinAlloc = 4096

// sendBuffer holds the bytes of the send sequence space from SND.UNA onward
// (RFC 9293 §3.3.1): first the bytes sent but not yet acknowledged, then the
// bytes the user has written but the TCB has not sent. Offset 0 is SND.UNA.
//
// It is a byte ring. Its storage is taken from the pools of storage.go on
// the first write, grows by doubling up to the limit, and is given back
// whenever the buffer is empty, so an idle connection holds no storage. The
// TCB owns it; the user's write path copies into it under the connection's
// lock.
type sendBuffer struct {
	buf     []byte     // ring storage; nil until the first write or after release
	storage *[]byte    // the pooled storage buf is a prefix of
	head    int        // index in buf of offset 0 (SND.UNA)
	n       int        // bytes held
	limit   int        // most bytes write accepts in total (SO_SNDBUF)
	mem     *memCharge // the host's memory the storage is charged to
	// starved is set when the host's memory last refused to grow the
	// storage: until it grows, write takes only what the storage holds.
	starved bool
}

// setLimit sets the capacity limit in bytes (SO_SNDBUF). Shrinking it below
// len keeps the data held; only new writes are refused until it drains.
func (b *sendBuffer) setLimit(n int) {
	b.limit = max(n, 0)
}

// len returns the number of bytes held.
func (b *sendBuffer) len() int { return b.n }

// free returns how many more bytes write would take.
func (b *sendBuffer) free() int {
	if b.starved {
		return len(b.buf) - b.n
	}
	return max(b.limit-b.n, 0)
}

// write appends as much of p as fits under the limit, and in the storage
// the host's memory allows, and returns the number of bytes taken.
func (b *sendBuffer) write(p []byte) int {
	k := min(len(p), max(b.limit-b.n, 0))
	if k == 0 {
		return 0
	}
	b.reserve(b.n + k)
	if k = min(k, len(b.buf)-b.n); k == 0 {
		return 0
	}
	tail := b.index(b.n)
	c := copy(b.buf[tail:], p[:k])
	copy(b.buf, p[c:k])
	b.n += k
	return k
}

// peek copies the bytes at offsets [off, off+len(dst)), clipped to len, into
// dst and returns how many it copied. It does not consume them: they stay
// until acknowledged, for retransmission.
func (b *sendBuffer) peek(off int, dst []byte) int {
	if off < 0 || off >= b.n {
		return 0
	}
	k := min(len(dst), b.n-off)
	start := b.index(off)
	c := copy(dst[:k], b.buf[start:])
	copy(dst[c:k], b.buf)
	return k
}

// peekSummed is peek that also returns the running checksum (wire.Checksum)
// of the bytes it copied, summed as it copies them, so that the segment's
// checksum need not read its payload again.
func (b *sendBuffer) peekSummed(off int, dst []byte) (int, uint32) {
	if off < 0 || off >= b.n {
		return 0, 0
	}
	k := min(len(dst), b.n-off)
	start := b.index(off)
	c := min(k, len(b.buf)-start)
	sum := wire.CopyChecksum(dst, b.buf[start:start+c], 0)
	if c < k {
		sum = wire.CombineChecksum(sum, wire.CopyChecksum(dst[c:], b.buf[:k-c], 0), c)
	}
	return k, sum
}

// discard removes n bytes from the front: they were acknowledged and SND.UNA
// moved past them. n is clipped to len.
func (b *sendBuffer) discard(n int) {
	n = min(max(n, 0), b.n)
	b.n -= n
	if b.n == 0 {
		b.head = 0
		return
	}
	b.head = b.index(n)
}

// release gives the storage back if the buffer is empty, so that an idle
// connection costs no buffer memory; the next write takes storage again.
func (b *sendBuffer) release() {
	if b.n == 0 && b.storage != nil {
		b.mem.uncharge(cap(*b.storage))
		putStorage(b.storage)
		b.buf, b.storage = nil, nil
		b.head = 0
		b.starved = false // the first storage is never refused
	}
}

// index returns the position in buf of offset off (0 <= off <= len(buf)).
func (b *sendBuffer) index(off int) int {
	i := b.head + off
	if i >= len(b.buf) {
		i -= len(b.buf)
	}
	return i
}

// reserve makes the storage at least need bytes long (need <= limit),
// doubling from sendBufMinAlloc and capping at the limit, and moves the data
// to the front of the new storage. If the host's memory refuses the growth,
// the storage stays as it is, or, if there is none, the buffer takes its
// first allocation regardless (Linux likewise never refuses a socket its
// tcp_wmem[0]), so that a writer always makes progress. Under memory
// pressure storage already held does not grow at all, as the receive
// window stays within the storage held (rcvSpace): Linux likewise shrinks
// a socket's send buffer to what it has queued under pressure
// (sk_stream_moderate_sndbuf), so that writers wait for ACKs.
func (b *sendBuffer) reserve(need int) {
	if need <= len(b.buf) {
		return
	}
	size := max(len(b.buf), min(sendBufMinAlloc, b.limit))
	for size < need {
		size *= 2
	}
	size = min(size, b.limit)
	b.starved = false
	if b.storage != nil && size <= cap(*b.storage) {
		// The limit grew within the storage held (autotuning raises it
		// by a segment or so at every ACK of slow start): lengthen the
		// ring in place rather than copy it all into new storage.
		b.buf = growRing(*b.storage, len(b.buf), b.head, b.n, size)
		return
	}
	if b.mem.pressure() || !b.mem.charge(storageSize(size)-b.held()) {
		if b.starved = b.storage != nil; b.starved {
			return
		}
		size = min(sendBufMinAlloc, b.limit)
		b.mem.force(storageSize(size))
	}
	st := getStorage(size)
	nb := (*st)[:size]
	b.peek(0, nb[:b.n])
	if b.storage != nil {
		putStorage(b.storage)
	}
	b.buf, b.storage = nb, st
	b.head = 0
}

// held returns the capacity of the storage held, 0 if none.
func (b *sendBuffer) held() int {
	if b.storage == nil {
		return 0
	}
	return cap(*b.storage)
}

// growRing lengthens a ring of length old, whose used bytes start at head,
// to size bytes of the same storage (old <= size <= len(storage)), keeping
// their ring order: bytes that wrapped around the old end move up to the
// new end, as far as it has room, and the rest down to the front. It
// returns the longer ring; it copies only the bytes that wrapped.
func growRing(storage []byte, old, head, used, size int) []byte {
	buf := storage[:size]
	if tail := head + used - old; tail > 0 {
		k := min(tail, size-old)
		copy(buf[old:], buf[:k])
		copy(buf, buf[k:tail])
	}
	return buf
}
