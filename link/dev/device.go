package dev

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"

	"github.com/synack-net/synack/link"
)

// Device is a packet device that reads and writes batches, as
// wireguard-go's tun.Device does: Read fills up to len(bufs) buffers, each
// from offset, and sets their lengths in sizes; Write sends each buffer
// from offset, and may use the bytes before offset (a Linux TUN with
// offloads writes its virtio header there). BatchSize is the most packets
// one call moves. Close must make a blocked Read return.
type Device interface {
	Read(bufs [][]byte, sizes []int, offset int) (int, error)
	Write(bufs [][]byte, offset int) (int, error)
	MTU() (int, error)
	BatchSize() int
	Close() error
}

// Options configure New.
type Options struct {
	// Offset is the headroom before each packet in the buffers given to
	// the device; 0 means 16, as wireguard-go's device gives (a Linux TUN
	// with offloads needs 10).
	Offset int
	// MTU overrides the device's MTU when positive.
	MTU int
}

// defaultOffset is wireguard-go's device.MessageTransportHeaderSize.
const defaultOffset = 16

// Link is a link.Link over a Device. Reads take a batch from the device
// and hand its packets out one at a time; writes are gathered into a
// batch that goes to the device when it is full or at Flush, which the
// stack calls after each burst of output. One goroutine may read and one
// write at a time, as link.Link says.
type Link struct {
	d      Device
	mtu    int
	offset int

	// Reader side: the last batch read, and the next packet to hand out.
	rbufs  [][]byte
	rsizes []int
	rn, ri int

	// Writer side: the packets gathered for the next Write.
	wbufs [][]byte
	wn    int

	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
	dropped   atomic.Uint64
}

var (
	_ link.Link    = (*Link)(nil)
	_ link.Flusher = (*Link)(nil)
)

// New returns a Link over d. The device's MTU and BatchSize are read once;
// a batch size below 1 counts as 1.
func New(d Device, o Options) (*Link, error) {
	mtu := o.MTU
	if mtu <= 0 {
		m, err := d.MTU()
		if err != nil {
			return nil, fmt.Errorf("dev: device MTU: %w", err)
		}
		mtu = m
	}
	if mtu <= 0 {
		return nil, fmt.Errorf("dev: device MTU %d", mtu)
	}
	offset := o.Offset
	if offset <= 0 {
		offset = defaultOffset
	}
	batch := max(d.BatchSize(), 1)
	l := &Link{
		d:      d,
		mtu:    mtu,
		offset: offset,
		rbufs:  buffers(batch, offset+mtu),
		rsizes: make([]int, batch),
		wbufs:  buffers(batch, offset+mtu),
		closed: make(chan struct{}),
	}
	return l, nil
}

func buffers(n, size int) [][]byte {
	bufs := make([][]byte, n)
	for i := range bufs {
		bufs[i] = make([]byte, size)
	}
	return bufs
}

// MTU implements link.Link.
func (l *Link) MTU() int { return l.mtu }

// ReadPacket implements link.Link: the next packet of the current batch,
// or of a new one read from the device. A read error with no packet is
// returned (net.ErrClosed once the Link is closed); packets that came
// with an error are handed out first.
func (l *Link) ReadPacket(buf []byte) (int, error) {
	for l.ri == l.rn {
		if l.isClosed() {
			return 0, net.ErrClosed
		}
		n, err := l.d.Read(l.rbufs, l.rsizes, l.offset)
		l.rn, l.ri = max(min(n, len(l.rbufs)), 0), 0
		if l.rn == 0 && err != nil {
			if l.isClosed() {
				return 0, net.ErrClosed
			}
			return 0, err
		}
	}
	i := l.ri
	l.ri++
	size := min(max(l.rsizes[i], 0), len(l.rbufs[i])-l.offset)
	return copy(buf, l.rbufs[i][l.offset:l.offset+size]), nil
}

// WritePacket implements link.Link: pkt is copied into the batch, which
// is written when full. A packet over the MTU is dropped and counted.
func (l *Link) WritePacket(pkt []byte) error {
	if l.isClosed() {
		return net.ErrClosed
	}
	if len(pkt) > l.mtu {
		l.dropped.Add(1)
		return nil
	}
	b := l.wbufs[l.wn]
	l.wbufs[l.wn] = b[:l.offset+copy(b[l.offset:cap(b)], pkt)]
	l.wn++
	if l.wn == len(l.wbufs) {
		return l.Flush()
	}
	return nil
}

// Flush implements link.Flusher: the gathered packets go to the device in
// one Write. Packets the device fails to take are dropped and counted, as
// a full NIC queue drops; only a closed Link returns an error.
func (l *Link) Flush() error {
	if l.wn == 0 {
		return nil
	}
	n := l.wn
	l.wn = 0
	written, err := l.d.Write(l.wbufs[:n], l.offset)
	for i := range l.wbufs[:n] {
		l.wbufs[i] = l.wbufs[i][:cap(l.wbufs[i])]
	}
	if err != nil {
		if l.isClosed() {
			return net.ErrClosed
		}
		l.dropped.Add(uint64(n - min(max(written, 0), n)))
	}
	return nil
}

// Dropped returns the packets dropped on the way out: over the MTU, or
// refused by the device's Write.
func (l *Link) Dropped() uint64 { return l.dropped.Load() }

// Close implements link.Link: it closes the device, once, and returns
// what the device's Close returned.
func (l *Link) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.closeErr = l.d.Close()
	})
	if errors.Is(l.closeErr, net.ErrClosed) {
		return nil
	}
	return l.closeErr
}

func (l *Link) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}
