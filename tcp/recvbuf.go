package tcp

import "github.com/synack-net/synack/wire"

// recvBufMaxRanges bounds the number of disjoint out-of-order ranges a
// receive buffer tracks. A peer that fragments its data into more holes than
// this is refused further out-of-order data until the holes fill: the bound
// keeps the bookkeeping small and every insert cheap.
const recvBufMaxRanges = 32

// recvBufMinAlloc is the size of the first allocation of a receive buffer's
// storage (or the limit, if smaller); growth doubles it up to the limit.
const recvBufMinAlloc = 4096

// recvBufRange is one run of out-of-order bytes held past RCV.NXT, as offsets
// from RCV.NXT: [start, end), start > 0.
type recvBufRange struct {
	start, end int
	stamp      uint64 // insert count when the range last received data, for SACK order
}

// recvBuffer holds received bytes: first the in-order bytes the user has not
// read yet (ending at RCV.NXT), then, at their offsets past RCV.NXT, the
// out-of-order bytes that arrived ahead of a hole (RFC 9293 §3.10.7.4, "text"
// processing; RFC 2018 for reporting them).
//
// It is a ring of at most limit bytes, its storage taken from the pools of
// storage.go on the first insert, grown by doubling, and given back when
// empty. The window it offers is the
// limit minus the unread bytes, so out-of-order bytes never shrink it. The
// TCB owns it; the user's read path copies out of it under the connection's
// lock.
type recvBuffer struct {
	buf      []byte                          // ring storage; nil when released
	storage  *[]byte                         // the pooled storage buf is a prefix of
	head     int                             // index in buf of the first unread byte
	ready    int                             // unread in-order bytes
	limit    int                             // SO_RCVBUF
	ranges   *[recvBufMaxRanges]recvBufRange // allocated on the first out-of-order insert
	nranges  int                             // ranges[:nranges] are sorted, disjoint and not adjacent
	inserts  uint64                          // count of inserts that stored data, to stamp ranges
	oooBytes int                             // sum of the ranges' lengths
	mem      *memCharge                      // the host's memory the storage is charged to
}

// setLimit sets the buffer's capacity in bytes (SO_RCVBUF).
func (b *recvBuffer) setLimit(n int) { b.limit = max(n, 0) }

// readable returns the number of contiguous in-order bytes the user can read.
func (b *recvBuffer) readable() int { return b.ready }

// window returns how many bytes past RCV.NXT may be stored: the limit less
// the unread bytes (RFC 9293 §3.8.6: the receive window is the free space).
func (b *recvBuffer) window() int { return max(b.limit-b.ready, 0) }

// outOfOrder returns the number of bytes held beyond the contiguous prefix.
func (b *recvBuffer) outOfOrder() int { return b.oooBytes }

// hasOutOfOrder reports whether any out-of-order bytes are held.
func (b *recvBuffer) hasOutOfOrder() bool { return b.nranges > 0 }

// read consumes up to len(p) readable bytes into p and returns the count.
func (b *recvBuffer) read(p []byte) int {
	k := min(len(p), b.ready)
	if k == 0 {
		return 0
	}
	c := copy(p[:k], b.buf[b.head:])
	copy(p[c:k], b.buf)
	b.ready -= k
	b.head = b.index(k)
	if b.ready == 0 && b.nranges == 0 {
		b.head = 0
	}
	return k
}

// insert stores data that starts off bytes past RCV.NXT and returns how far
// RCV.NXT advances: the length of the prefix that became contiguous, which
// includes out-of-order bytes the insert joined up. Bytes already held are
// kept and the duplicates in data ignored (the first copy wins).
//
// The caller trims the segment to the window, so that off >= 0 and
// off+len(data) <= window(). ok is false, and nothing is stored, when that
// does not hold or when storing would need more than recvBufMaxRanges
// disjoint out-of-order ranges.
func (b *recvBuffer) insert(off int, data []byte) (advance int, ok bool) {
	end := off + len(data)
	if off < 0 || end > b.window() {
		return 0, false
	}
	if len(data) == 0 {
		return 0, true
	}
	lo, hi, fits := b.span(off, end)
	if !fits || !b.reserve(b.ready+end, off == 0) {
		return 0, false
	}
	// Copy only into the holes between the ranges being merged.
	pos := off
	for i := lo; i < hi && pos < end; i++ {
		r := b.ranges[i]
		if r.start > pos {
			b.store(pos, data[pos-off:r.start-off])
		}
		pos = max(pos, r.end)
	}
	if pos < end {
		b.store(pos, data[pos-off:])
	}
	b.inserts++
	merged := recvBufRange{start: off, end: end, stamp: b.inserts}
	held := 0
	if lo < hi {
		merged.start = min(off, b.ranges[lo].start)
		merged.end = max(end, b.ranges[hi-1].end)
		for i := lo; i < hi; i++ {
			held += b.ranges[i].end - b.ranges[i].start
		}
	}
	b.oooBytes -= held
	if merged.start == 0 {
		// The hole at RCV.NXT is filled: the merged run is in order now.
		b.removeRanges(lo, hi)
		b.advance(merged.end)
		return merged.end, true
	}
	b.replaceRanges(lo, hi, merged)
	b.oooBytes += merged.end - merged.start
	return 0, true
}

// span returns the ranges, ranges[lo:hi], that overlap or touch [off, end)
// and would merge with it, and whether storing it keeps the out-of-order
// ranges within recvBufMaxRanges.
func (b *recvBuffer) span(off, end int) (lo, hi int, fits bool) {
	for lo < b.nranges && b.ranges[lo].end < off {
		lo++
	}
	hi = lo
	for hi < b.nranges && b.ranges[hi].start <= end {
		hi++
	}
	return lo, hi, off == 0 || b.nranges-(hi-lo)+1 <= recvBufMaxRanges
}

// sackBlocks writes the out-of-order ranges into dst as absolute sequence
// numbers, given RCV.NXT, and returns how many it wrote. The block holding
// the most recently received segment comes first (RFC 2018 §4), then the
// others, most recently changed first, so that repeated ACKs report every
// range to a sender that loses some of them.
func (b *recvBuffer) sackBlocks(rcvNxt Seq, dst []wire.SACKBlock) int {
	n := min(len(dst), b.nranges)
	prev := ^uint64(0)
	for k := range n {
		best := -1
		for i := range b.nranges {
			s := b.ranges[i].stamp
			if s < prev && (best < 0 || s > b.ranges[best].stamp) {
				best = i
			}
		}
		r := b.ranges[best]
		dst[k] = wire.SACKBlock{
			Left:  uint32(rcvNxt.Add(uint32(r.start))),
			Right: uint32(rcvNxt.Add(uint32(r.end))),
		}
		prev = r.stamp
	}
	return n
}

// release frees the storage if the buffer holds nothing, so that an idle
// connection costs no buffer memory.
func (b *recvBuffer) release() {
	if b.ready == 0 && b.nranges == 0 && b.storage != nil {
		b.mem.uncharge(cap(*b.storage))
		putStorage(b.storage)
		b.buf, b.storage = nil, nil
		b.head = 0
	}
}

// advance moves RCV.NXT forward by n bytes that are already stored: they
// become readable and every range's offset shrinks by n.
func (b *recvBuffer) advance(n int) {
	b.ready += n
	for i := range b.nranges {
		b.ranges[i].start -= n
		b.ranges[i].end -= n
	}
}

// removeRanges deletes ranges[lo:hi].
func (b *recvBuffer) removeRanges(lo, hi int) {
	if lo == hi {
		return // nothing to remove (and perhaps nothing allocated)
	}
	copy(b.ranges[lo:], b.ranges[hi:b.nranges])
	b.nranges -= hi - lo
}

// replaceRanges replaces ranges[lo:hi] (possibly empty) with r, keeping the
// ranges sorted. The caller has checked that the count stays in bounds.
func (b *recvBuffer) replaceRanges(lo, hi int, r recvBufRange) {
	if b.ranges == nil {
		b.ranges = new([recvBufMaxRanges]recvBufRange)
	}
	if lo == hi {
		copy(b.ranges[lo+1:b.nranges+1], b.ranges[lo:b.nranges])
		b.nranges++
	} else {
		b.removeRanges(lo+1, hi)
	}
	b.ranges[lo] = r
}

// store copies p into the ring at offset off past RCV.NXT. A payload the
// host staged (StagePayload) is already there: p is then the ring's own
// bytes at that place, and nothing is copied.
func (b *recvBuffer) store(off int, p []byte) {
	i := b.index(b.ready + off)
	if len(p) > 0 && &b.buf[i] == &p[0] {
		return
	}
	c := copy(b.buf[i:], p)
	copy(b.buf, p[c:])
}

// index returns the position in buf of the byte at offset off from head
// (0 <= off <= len(buf)).
func (b *recvBuffer) index(off int) int {
	i := b.head + off
	if i >= len(b.buf) {
		i -= len(b.buf)
	}
	return i
}

// reserve makes the storage at least need bytes long (need <= limit),
// doubling from recvBufMinAlloc and capping at the limit, and moves what it
// holds (unread bytes and out-of-order ranges) to the front of the new
// storage. It reports false, changing nothing, if the host's memory
// refuses the growth; but a buffer holding no storage is never refused
// the first in-order data (inOrder), as Linux never refuses a socket its
// tcp_rmem[0], so that no connection stalls for want of memory the
// others hold.
func (b *recvBuffer) reserve(need int, inOrder bool) bool {
	if need <= len(b.buf) {
		return true
	}
	size := max(len(b.buf), min(recvBufMinAlloc, b.limit))
	for size < need {
		size *= 2
	}
	used := b.ready
	if b.nranges > 0 {
		used += b.ranges[b.nranges-1].end
	}
	if s := min(size, b.limit); b.storage != nil && s <= cap(*b.storage) {
		// The limit grew within the storage held: lengthen the ring in
		// place rather than copy it all into new storage.
		b.buf = growRing(*b.storage, len(b.buf), b.head, used, s)
		return true
	}
	grow := storageSize(min(size, b.limit))
	if b.storage != nil {
		grow -= cap(*b.storage)
	}
	switch {
	case b.mem.charge(grow):
	case b.storage == nil && inOrder:
		b.mem.force(grow)
	default:
		return false
	}
	size = min(size, b.limit)
	st := getStorage(size)
	nb := (*st)[:size]
	c := copy(nb[:used], b.buf[b.head:])
	copy(nb[c:used], b.buf)
	if b.storage != nil {
		putStorage(b.storage)
	}
	b.buf, b.storage = nb, st
	b.head = 0
	return true
}
