package stack

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// The SYN queue: every listener's half-open connections (SYN_RCVD), each a
// compact tcp.Request keyed by its 4-tuple, as Linux keeps request socks
// rather than sockets. A request costs its 48 bytes, a map slot and a slot
// in the timer queues: about 110 bytes of heap
// (BenchmarkHalfOpenHeap), so a SYN flood cannot pin much memory.
//
// The SYN-ACK retransmission timers are FIFO queues, one per retry level:
// every request enters level 0 with the same timeout after its SYN, and
// moves to the next level when its SYN-ACK is resent, so each queue is in
// deadline order and arming or popping is O(1). A request that leaves the
// queue early leaves a stale slot behind, which is skipped: a slot is live
// only while its request's deadline is the one it was queued for.

// synKey is a half-open connection's 4-tuple, packed into 24 bytes: the
// local address is the index of one of the host's addresses (hosts with
// more than 255 answer SYNs to the others with cookies), so that a
// request's map slot and timer slot stay small.
type synKey struct {
	remote [16]byte
	rport  uint16
	lport  uint16
	local  uint8 // index in the host's addresses
	v4     bool  // the remote address is IPv4
}

// keyOf packs t, or reports false when its local address has no index.
// Called with h.mu held.
func (h *Host) keyOf(t Tuple) (synKey, bool) {
	for i, p := range *h.addrs.Load() {
		if i > 255 {
			break
		}
		if p.Addr() == t.Local.Addr() {
			return synKey{remote: t.Remote.Addr().As16(), rport: t.Remote.Port(), lport: t.Local.Port(),
				local: uint8(i), v4: t.Remote.Addr().Is4()}, true
		}
	}
	return synKey{}, false
}

// tupleOf unpacks k.
func (h *Host) tupleOf(k synKey) Tuple {
	remote := netip.AddrFrom16(k.remote)
	if k.v4 {
		remote = remote.Unmap()
	}
	local := (*h.addrs.Load())[k.local].Addr()
	return Tuple{Local: netip.AddrPortFrom(local, k.lport), Remote: netip.AddrPortFrom(remote, k.rport)}
}

// synSlot is a place in a timer queue: the request and the deadline it
// was queued for.
type synSlot struct {
	key synKey
	at  clock.Instant
}

// synQueue holds the host's half-open connections. It is guarded by Host.mu.
type synQueue struct {
	reqs  map[synKey]*tcp.Request
	queue [][]synSlot // per retry level, in deadline order
	heads []int       // the next slot of each queue
}

func (q *synQueue) len() int { return len(q.reqs) }

func (q *synQueue) get(k synKey) *tcp.Request { return q.reqs[k] }

// put stores r for k, and queues its timer when the deadline is new.
func (q *synQueue) put(k synKey, r tcp.Request, level int) {
	if q.reqs == nil {
		q.reqs = make(map[synKey]*tcp.Request)
	}
	old := q.reqs[k]
	if old == nil {
		old = new(tcp.Request)
		q.reqs[k] = old
	} else if old.Deadline() == r.Deadline() {
		*old = r
		return
	}
	*old = r
	for len(q.queue) <= level {
		q.queue, q.heads = append(q.queue, nil), append(q.heads, 0)
	}
	q.queue[level] = append(q.queue[level], synSlot{key: k, at: r.Deadline()})
}

func (q *synQueue) remove(k synKey) { delete(q.reqs, k) }

// live reports whether slot s still stands for its request's timer.
func (q *synQueue) live(s synSlot) bool {
	r := q.reqs[s.key]
	return r != nil && r.Deadline() == s.at
}

// next is the earliest live deadline, or clock.Never; it drops the stale
// slots at the queues' heads.
func (q *synQueue) next() clock.Instant {
	d := clock.Never
	for l := range q.queue {
		for q.heads[l] < len(q.queue[l]) && !q.live(q.queue[l][q.heads[l]]) {
			q.heads[l]++
		}
		q.compact(l)
		if h := q.heads[l]; h < len(q.queue[l]) {
			d = clock.Min(d, q.queue[l][h].at)
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
	for l := range q.queue {
		if h := q.heads[l]; h < len(q.queue[l]) && q.queue[l][h].at <= now && (best < 0 || q.queue[l][h].at < q.queue[best][q.heads[best]].at) {
			best = l
		}
	}
	s := q.queue[best][q.heads[best]]
	q.heads[best]++
	return s.key, true
}

// compact drops a queue's consumed front once it is half the queue.
func (q *synQueue) compact(l int) {
	if h := q.heads[l]; h > 64 && 2*h >= len(q.queue[l]) {
		n := copy(q.queue[l], q.queue[l][h:])
		clear(q.queue[l][n:])
		q.queue[l], q.heads[l] = q.queue[l][:n], 0
	}
}

// reset forgets every request (a host crash).
func (q *synQueue) reset() { *q = synQueue{} }
