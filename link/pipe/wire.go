package pipe

import (
	"net"
	"sync"
)

// wire carries packets one way, from a sender endpoint into a receiver's
// queue, either at once (a perfect wire) or through a fault model.
type wire struct {
	mtu    int
	pool   *pool
	q      chan []byte     // the receiver's queue, bounded
	done   chan struct{}   // closed once nothing more will enter q
	rxGone <-chan struct{} // closed when the receiver closes
	tx     *counters       // the sender's counters

	mu     sync.Mutex
	closed bool    // the sender has closed
	faults *faults // nil for a perfect wire
}

func newWire(mtu, queueLen int, p *pool, rxGone <-chan struct{}, tx *counters) *wire {
	return &wire{
		mtu:    mtu,
		pool:   p,
		q:      make(chan []byte, queueLen),
		done:   make(chan struct{}),
		rxGone: rxGone,
		tx:     tx,
	}
}

// send puts a copy of pkt on the wire. Drops are counted, not returned;
// only a closed sender is an error.
func (w *wire) send(pkt []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return net.ErrClosed
	}
	if len(pkt) > w.mtu {
		w.tx.droppedSize.Add(1)
		return nil
	}
	select {
	case <-w.rxGone:
		w.tx.droppedClosed.Add(1)
		return nil
	default:
	}
	w.tx.sent.Add(1)
	if w.faults != nil {
		w.faults.admitLocked(pkt)
		return nil
	}
	b := w.pool.get(len(pkt))
	copy(b, pkt)
	w.enqueue(b)
	return nil
}

// enqueue hands the pooled buffer b to the receiver's queue, or back to the
// pool if the queue is full.
func (w *wire) enqueue(b []byte) {
	select {
	case w.q <- b:
		w.tx.delivered.Add(1)
	default:
		w.tx.droppedFull.Add(1)
		w.pool.put(b)
	}
}

// closeSender stops further sends. A perfect wire is then done at once; a
// faulty one when its last delayed packet has been delivered.
func (w *wire) closeSender() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	w.closed = true
	if w.faults == nil {
		close(w.done)
		return
	}
	close(w.faults.senderClosed)
}
