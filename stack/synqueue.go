package stack

import (
	"iter"
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// The SYN queue: every listener's half-open connections (SYN_RCVD), each a
// compact tcp.Request keyed by its 4-tuple, as Linux keeps request socks
// rather than sockets. A request costs its 72-byte entry in the table
// (reqTable), a few bytes of index and a 16-byte slot in the timer
// queues: about 100 bytes of heap (BenchmarkHalfOpenHeap), so a SYN flood
// cannot pin much memory.
//
// The SYN-ACK retransmission timers are FIFO queues, one per retry level:
// every request enters level 0 with the same timeout after its SYN, and
// moves to the next level when its SYN-ACK is resent, so each queue is in
// deadline order and arming or popping is O(1). A request that leaves the
// queue early leaves a stale slot behind, which is skipped: a slot is live
// only while its request's deadline is the one it was queued for.

// synKey is a half-open connection's 4-tuple, packed into 22 bytes: the
// local address is the index of one of the host's addresses (hosts with
// more than 256 answer SYNs to the others with cookies) or of a
// forwarded destination (forward_addrs.go), so that a request's map slot
// and timer slot stay small.
type synKey struct {
	remote [16]byte
	rport  uint16
	lport  uint16
	loc    uint16 // the local address's index; the top bit says the remote address is IPv4
}

const locV4 = 1 << 15

func (k synKey) locIndex() uint16 { return k.loc &^ locV4 }

// keyOf packs t, or reports false when its local address has no index.
// Called with h.mu held.
func (h *Host) keyOf(t Tuple) (synKey, bool) {
	k := synKey{remote: t.Remote.Addr().As16(), rport: t.Remote.Port(), lport: t.Local.Port()}
	if t.Remote.Addr().Is4() {
		k.loc = locV4
	}
	if i, ok := h.addrIndex(t.Local.Addr()); ok {
		k.loc |= i
		return k, true
	}
	if i, ok := h.fwd.addrs.lookup(t.Local.Addr()); ok {
		k.loc |= i
		return k, true
	}
	return synKey{}, false
}

// addrIndex is the index of a among the host's first fwdAddrBase
// addresses (which are only ever appended to), or false: the local
// address of a packed 4-tuple (synKey, the TIME_WAIT tables' keys).
func (h *Host) addrIndex(a netip.Addr) (uint16, bool) {
	for i, p := range *h.addrs.Load() {
		if i >= fwdAddrBase {
			break
		}
		if p.Addr() == a {
			return uint16(i), true
		}
	}
	return 0, false
}

// tupleOf unpacks k.
func (h *Host) tupleOf(k synKey) Tuple {
	remote := netip.AddrFrom16(k.remote)
	if k.loc&locV4 != 0 {
		remote = remote.Unmap()
	}
	var local netip.Addr
	if i := k.locIndex(); i >= fwdAddrBase {
		local = h.fwd.addrs.addr(i)
	} else {
		local = (*h.addrs.Load())[i].Addr()
	}
	return Tuple{Local: netip.AddrPortFrom(local, k.lport), Remote: netip.AddrPortFrom(remote, k.rport)}
}

// synSlot is a place in a timer queue: the request's position in the
// table and the deadline it was queued for.
type synSlot struct {
	pos uint32
	at  clock.Instant
}

// synQueue holds the host's half-open connections. It is guarded by Host.mu.
type synQueue struct {
	tab    reqTable
	timers []slotFIFO // per retry level, in deadline order
}

func (q *synQueue) len() int { return q.tab.len() }

func (q *synQueue) get(k synKey) *tcp.Request { return q.tab.get(k) }

// put stores r for k, and queues its timer when the deadline is new.
func (q *synQueue) put(k synKey, r tcp.Request, level int) {
	var p uint32
	if old := q.tab.get(k); old == nil {
		p = q.tab.insert(k, r)
	} else if old.Deadline() == r.Deadline() {
		*old = r
		return
	} else {
		*old = r
		p = q.tab.pos(k)
	}
	if r.Deadline() == clock.Never {
		return
	}
	for len(q.timers) <= level {
		q.timers = append(q.timers, slotFIFO{})
	}
	q.timers[level].push(synSlot{pos: p, at: r.Deadline()})
}

func (q *synQueue) remove(k synKey) {
	q.tab.remove(k)
	if q.tab.len() == 0 {
		q.timers = nil
	}
}

// all yields every request with its key; the loop may remove the one it
// is given.
func (q *synQueue) all() iter.Seq2[synKey, *tcp.Request] {
	return func(yield func(synKey, *tcp.Request) bool) {
		for _, e := range q.tab.all() {
			if !yield(e.key, &e.req) {
				return
			}
		}
	}
}

// live reports whether slot s still stands for its request's timer. (The
// slab only grows while slots are queued: the table and the queues are
// emptied together.) A position freed and reused by a request with the
// same deadline passes too, which only has that request's timer looked at
// twice.
func (q *synQueue) live(s synSlot) bool {
	e := q.tab.at(s.pos)
	return e.live && e.req.Deadline() == s.at
}

// next is the earliest live deadline, or clock.Never; it drops the stale
// slots at the queues' heads.
func (q *synQueue) next() clock.Instant {
	d := clock.Never
	for l := range q.timers {
		f := &q.timers[l]
		for s, ok := f.front(); ok && !q.live(s); s, ok = f.front() {
			f.pop()
		}
		if s, ok := f.front(); ok {
			d = clock.Min(d, s.at)
		}
	}
	return d
}

// popDue returns a request whose deadline has come, or ok=false.
func (q *synQueue) popDue(now clock.Instant) (k synKey, ok bool) {
	if q.next() > now {
		return synKey{}, false
	}
	best := -1
	var at clock.Instant
	for l := range q.timers {
		if s, ok := q.timers[l].front(); ok && s.at <= now && (best < 0 || s.at < at) {
			best, at = l, s.at
		}
	}
	s, _ := q.timers[best].front()
	q.timers[best].pop()
	return q.tab.at(s.pos).key, true
}

// reset forgets every request (a host crash).
func (q *synQueue) reset() { *q = synQueue{} }

// slotFIFO is a queue of timer slots in chunks of fifoChunk, so that it
// grows and shrinks without copying and wastes at most a chunk.
type slotFIFO struct {
	chunks [][]synSlot
	head   int // the first live index in chunks[0]
}

const fifoChunk = 128

func (f *slotFIFO) push(s synSlot) {
	if n := len(f.chunks); n == 0 || len(f.chunks[n-1]) == fifoChunk {
		f.chunks = append(f.chunks, make([]synSlot, 0, fifoChunk))
	}
	last := &f.chunks[len(f.chunks)-1]
	*last = append(*last, s)
}

func (f *slotFIFO) front() (synSlot, bool) {
	if len(f.chunks) == 0 || f.head == len(f.chunks[0]) {
		return synSlot{}, false
	}
	return f.chunks[0][f.head], true
}

func (f *slotFIFO) pop() {
	f.head++
	if f.head == len(f.chunks[0]) && (len(f.chunks[0]) == fifoChunk || len(f.chunks) > 1) {
		f.chunks[0] = nil
		f.chunks, f.head = f.chunks[1:], 0
	}
}

// all calls fn for every slot still queued.
func (f *slotFIFO) all(fn func(synSlot)) {
	for i, c := range f.chunks {
		start := 0
		if i == 0 {
			start = f.head
		}
		for _, s := range c[start:] {
			fn(s)
		}
	}
}
