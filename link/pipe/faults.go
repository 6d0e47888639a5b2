package pipe

import (
	"container/heap"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/netem"
)

// faults delays, drops and duplicates the packets of one wire according to
// a netem.Path. Scheduling happens in the sender's WritePacket, at the
// clock's current instant, so the fate of a packet does not depend on
// goroutine timing; a goroutine only moves packets into the receiver's
// queue when their time comes. All fields are guarded by the wire's mutex.
type faults struct {
	w            *wire
	clk          clock.Clock
	path         *netem.Path
	timer        clock.Timer
	armed        clock.Instant // the instant timer is set for, or Never
	pending      delayQueue
	senderClosed chan struct{}
}

func newFaults(w *wire, clk clock.Clock, imp netem.Impairment, stream uint64) *faults {
	return &faults{
		w:            w,
		clk:          clk,
		path:         netem.NewPath(imp, faultSeed, stream),
		timer:        clk.NewTimer(clock.Never),
		armed:        clock.Never,
		senderClosed: make(chan struct{}),
	}
}

// faultSeed seeds every faulty pipe, so runs repeat exactly.
const faultSeed = 0x5eed

// admitLocked decides the fate of pkt and schedules its copies.
func (f *faults) admitLocked(pkt []byte) {
	now := f.clk.Now()
	at, copies := f.path.Admit(now, len(pkt))
	for range copies {
		b := f.w.pool.get(len(pkt))
		copy(b, pkt)
		f.path.Corrupt(b)
		f.pending.push(at, b)
	}
	f.flushLocked(now)
}

// flushLocked moves every packet due at or before now into the receiver's
// queue and re-arms the timer for the next one.
func (f *faults) flushLocked(now clock.Instant) {
	for f.pending.Len() > 0 && f.pending.items[0].at <= now {
		f.w.enqueue(f.pending.pop())
		f.path.Release()
	}
	next := clock.Never
	if f.pending.Len() > 0 {
		next = f.pending.items[0].at
	}
	if next != f.armed {
		f.armed = next
		f.timer.Reset(next)
	}
}

// run delivers delayed packets as they fall due. It returns when the
// receiver closes, or when the sender has closed and nothing is in flight.
func (f *faults) run() {
	defer f.timer.Stop()
	w := f.w
	senderClosed := f.senderClosed
	for {
		select {
		case <-f.timer.C():
		case <-senderClosed:
			senderClosed = nil
		case <-w.rxGone:
			w.mu.Lock()
			for f.pending.Len() > 0 {
				w.pool.put(f.pending.pop())
				f.path.Release()
			}
			w.mu.Unlock()
			return
		}
		w.mu.Lock()
		f.flushLocked(f.clk.Now())
		if w.closed && f.pending.Len() == 0 {
			close(w.done)
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
	}
}

// delayed is a packet waiting for its delivery time.
type delayed struct {
	at  clock.Instant
	seq uint64 // order of scheduling, breaks ties in at
	buf []byte
}

// delayQueue is a min-heap of delayed packets by (at, seq) with a free list
// of records, so steady traffic does not allocate.
type delayQueue struct {
	items   []*delayed
	free    []*delayed
	nextSeq uint64
}

func (q *delayQueue) push(at clock.Instant, b []byte) {
	var d *delayed
	if n := len(q.free); n > 0 {
		d = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		d = new(delayed)
	}
	q.nextSeq++
	d.at, d.seq, d.buf = at, q.nextSeq, b
	heap.Push(q, d)
}

// pop removes the earliest packet and returns its buffer.
func (q *delayQueue) pop() []byte {
	d := heap.Pop(q).(*delayed)
	b := d.buf
	d.buf = nil
	// The free list never outgrows the most records ever in flight, which
	// the path's queue limit bounds.
	q.free = append(q.free, d)
	return b
}

func (q *delayQueue) Len() int { return len(q.items) }

func (q *delayQueue) Less(i, j int) bool {
	a, b := q.items[i], q.items[j]
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

func (q *delayQueue) Swap(i, j int) { q.items[i], q.items[j] = q.items[j], q.items[i] }

func (q *delayQueue) Push(x any) { q.items = append(q.items, x.(*delayed)) }

func (q *delayQueue) Pop() any {
	n := len(q.items)
	d := q.items[n-1]
	q.items[n-1] = nil
	q.items = q.items[:n-1]
	return d
}
