package netstack

import (
	"net"
	"sync"
	"sync/atomic"
)

// pump is the link.Link under the stack and the packet queues behind the
// tun.Device: the stack's output waits in out for the device's Read (a
// full queue drops, as a NIC's ring does), and the packets written to the
// device wait in in for the stack's reader (a full queue makes Write wait,
// so that a burst from the tunnel slows the decrypting goroutine rather
// than being lost). Buffers are MTU-sized and recycled.
type pump struct {
	mtu  int
	in   chan *[]byte
	out  chan *[]byte
	done chan struct{}
	pool sync.Pool

	closeOnce sync.Once
	drops     atomic.Uint64 // output dropped: a full queue, or over the MTU
	oversized atomic.Uint64 // written packets longer than the MTU
}

// Queue lengths, in packets: out is as deep as wireguard-go's gVisor
// channel endpoint; in holds two of wireguard-go's read batches.
const (
	outQueue = 1024
	inQueue  = 256
)

func newPump(mtu int) *pump {
	p := &pump{
		mtu:  mtu,
		in:   make(chan *[]byte, inQueue),
		out:  make(chan *[]byte, outQueue),
		done: make(chan struct{}),
	}
	p.pool.New = func() any { b := make([]byte, mtu); return &b }
	return p
}

// MTU implements link.Link.
func (p *pump) MTU() int { return p.mtu }

// WritePacket implements link.Link: the stack's packet is queued for the
// device's Read, or dropped when the queue is full.
func (p *pump) WritePacket(pkt []byte) error {
	if p.closed() {
		return net.ErrClosed
	}
	if len(pkt) > p.mtu {
		p.drops.Add(1)
		return nil
	}
	b := p.get(pkt)
	select {
	case p.out <- b:
	default:
		p.put(b)
		p.drops.Add(1)
	}
	return nil
}

// ReadPacket implements link.Link: it waits for a packet written to the
// device.
func (p *pump) ReadPacket(buf []byte) (int, error) {
	select {
	case b := <-p.in:
		n := copy(buf, *b)
		p.put(b)
		return n, nil
	case <-p.done:
		return 0, net.ErrClosed
	}
}

// Close implements link.Link.
func (p *pump) Close() error {
	p.closeOnce.Do(func() { close(p.done) })
	return nil
}

func (p *pump) closed() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// inject queues a packet written to the device for the stack, waiting
// for room; false once the pump is closed.
func (p *pump) inject(pkt []byte) bool {
	if p.closed() {
		return false
	}
	if len(pkt) > p.mtu {
		// The stack's reader would truncate it, and the IP layer drop it.
		p.oversized.Add(1)
		return true
	}
	b := p.get(pkt)
	select {
	case p.in <- b:
		return true
	case <-p.done:
		p.put(b)
		return false
	}
}

// get copies pkt into a pooled buffer.
func (p *pump) get(pkt []byte) *[]byte {
	b := p.pool.Get().(*[]byte)
	*b = append((*b)[:0], pkt...)
	return b
}

func (p *pump) put(b *[]byte) { p.pool.Put(b) }
