package netem

import "github.com/synack-net/synack/clock"

// maxFree bounds the free list of delivery records, so a burst does not pin
// its memory for the life of the network.
const maxFree = 1024

// delivery is one packet copy in flight.
type delivery struct {
	at       clock.Instant
	seq      uint64 // order of sending, breaks ties in at
	from, to HostID
	buf      []byte // owned by the queue; reused after delivery
}

// deliveryQueue is a min-heap of deliveries by (at, seq), implementing
// container/heap, with a free list so that steady-state traffic does not
// allocate.
type deliveryQueue struct {
	items []*delivery
	free  []*delivery
}

// get returns a delivery record holding a copy of pkt, reusing a free one.
func (q *deliveryQueue) get(at clock.Instant, seq uint64, from, to HostID, pkt []byte) *delivery {
	var d *delivery
	if n := len(q.free); n > 0 {
		d = q.free[n-1]
		q.free[n-1] = nil
		q.free = q.free[:n-1]
	} else {
		d = new(delivery)
	}
	d.at, d.seq, d.from, d.to = at, seq, from, to
	d.buf = append(d.buf[:0], pkt...)
	return d
}

// put returns a delivered record to the free list.
func (q *deliveryQueue) put(d *delivery) {
	if len(q.free) < maxFree {
		q.free = append(q.free, d)
	}
}

func (q *deliveryQueue) Len() int { return len(q.items) }

func (q *deliveryQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (q *deliveryQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }

func (q *deliveryQueue) Push(x any) { q.items = append(q.items, x.(*delivery)) }

func (q *deliveryQueue) Pop() any {
	n := len(q.items)
	d := q.items[n-1]
	q.items[n-1] = nil
	q.items = q.items[:n-1]
	return d
}
