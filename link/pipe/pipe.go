// Package pipe is an in-memory network for goroutine-driven stacks: two
// connected link.Link endpoints, optionally with faults from package netem.
//
// Each direction has a bounded receive queue; a packet that finds it full is
// dropped and counted, as a NIC would drop it. Packet buffers are recycled
// through a free list, so steady traffic does not allocate.
package pipe

import (
	"io"
	"net"
	"sync"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/netem"
)

// Endpoint is one end of a pipe. It implements link.Link.
//
// Close closes both directions for this endpoint: its own reads and writes
// fail with net.ErrClosed. The peer can still read the packets already sent
// to it, after which its ReadPacket returns io.EOF; the peer's writes to a
// closed endpoint are dropped and counted.
type Endpoint struct {
	mtu       int
	in, out   *wire
	gone      chan struct{} // closed by Close
	closeOnce sync.Once
	stats     counters
}

var _ link.Link = (*Endpoint)(nil)

// New returns the two ends of a point-to-point wire that carries packets of
// up to mtu bytes. Each direction queues up to queueLen packets for its
// reader; more are dropped. mtu and queueLen below 1 are raised to 1.
func New(mtu, queueLen int) (a, b *Endpoint) {
	mtu, queueLen = max(mtu, 1), max(queueLen, 1)
	a, b = newPair(mtu, queueLen, 0)
	return a, b
}

// NewWithFaults is New with each direction impaired by faults (loss,
// duplication, corruption, delay, jitter, reordering, rate, queue limit),
// timed by clk.
// A pipe is deterministic: the same writes at the same instants of clk meet
// the same fates. Each direction runs one goroutine that delivers delayed
// packets; it exits once the receiver closes, or once the sender has closed
// and its last packet has been delivered.
func NewWithFaults(mtu, queueLen int, clk clock.Clock, faults netem.Impairment) (a, b *Endpoint) {
	mtu, queueLen = max(mtu, 1), max(queueLen, 1)
	if faults.QueueLimit <= 0 {
		faults.QueueLimit = netem.DefaultQueueLimit
	}
	a, b = newPair(mtu, queueLen, 2*faults.QueueLimit)
	for i, w := range []*wire{a.out, b.out} {
		w.faults = newFaults(w, clk, faults, uint64(i))
		go w.faults.run()
	}
	return a, b
}

// newPair wires two endpoints together, with a buffer pool big enough for
// both receive queues, extra buffers in flight, and one buffer per side
// being copied.
func newPair(mtu, queueLen, extra int) (a, b *Endpoint) {
	p := newPool(mtu, 2*queueLen+max(extra, 0)+2)
	a = &Endpoint{mtu: mtu, gone: make(chan struct{})}
	b = &Endpoint{mtu: mtu, gone: make(chan struct{})}
	a.out = newWire(mtu, queueLen, p, b.gone, &a.stats)
	b.out = newWire(mtu, queueLen, p, a.gone, &b.stats)
	a.in, b.in = b.out, a.out
	return a, b
}

// MTU returns the largest packet the pipe carries.
func (e *Endpoint) MTU() int { return e.mtu }

// WritePacket sends a copy of pkt to the peer. A packet longer than the MTU,
// one that finds the peer's queue full, and one written after the peer
// closed are dropped and counted; only a closed endpoint returns an error.
func (e *Endpoint) WritePacket(pkt []byte) error { return e.out.send(pkt) }

// ReadPacket blocks until a packet arrives and copies it into buf,
// truncating it if buf is too short. It returns net.ErrClosed once this
// endpoint is closed, and io.EOF once the peer has closed and every packet
// it sent has been read.
func (e *Endpoint) ReadPacket(buf []byte) (int, error) {
	b, err := e.ReadPacketBuffer()
	if err != nil {
		return 0, err
	}
	n := copy(buf, b)
	e.in.pool.put(b)
	return n, nil
}

// ReadPacketBuffer is ReadPacket without the copy (link.BufferReader): it
// returns the queued packet in the pipe's own buffer, which the caller
// gives back with ReleasePacketBuffer.
func (e *Endpoint) ReadPacketBuffer() ([]byte, error) {
	select {
	case <-e.gone:
		return nil, net.ErrClosed
	default:
	}
	select {
	case b := <-e.in.q:
		e.stats.received.Add(1)
		return b, nil
	case <-e.gone:
		return nil, net.ErrClosed
	case <-e.in.done:
		// Nothing more will be queued; what is queued is still readable.
		select {
		case b := <-e.in.q:
			e.stats.received.Add(1)
			return b, nil
		default:
			return nil, io.EOF
		}
	}
}

// ReleasePacketBuffer recycles a buffer ReadPacketBuffer returned.
func (e *Endpoint) ReleasePacketBuffer(pkt []byte) { e.in.pool.put(pkt) }

// Close closes the endpoint. Closing twice returns net.ErrClosed.
func (e *Endpoint) Close() error {
	err := net.ErrClosed
	e.closeOnce.Do(func() {
		close(e.gone)
		e.out.closeSender()
		err = nil
	})
	return err
}

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats {
	s := e.stats.snapshot()
	if f := e.out.faults; f != nil {
		e.out.mu.Lock()
		s.Faults = f.path.Stats()
		e.out.mu.Unlock()
	}
	return s
}
