package pcap

import (
	"sync"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link"
)

// Tap is a link.Link that passes everything through to another Link and
// writes a copy of every packet read or written to a pcap Writer.
//
// A packet is captured as it crosses the tap: a written packet before it is
// handed to the link (so a packet the link then drops still appears), a read
// packet after the link returns it. A capture failure does not disturb the
// traffic; the first one is kept and reported by Err.
type Tap struct {
	link link.Link
	w    *Writer
	clk  clock.Clock
	base time.Time

	mu  sync.Mutex
	err error
}

var (
	_ link.Link    = (*Tap)(nil)
	_ link.Flusher = (*Tap)(nil)
)

// NewTap returns a tap on l writing to w. Packets are timestamped with the
// Unix time time.Unix(0, int64(clk.Now())): a virtual clock starting at
// Instant 0 puts the capture at 1970-01-01, which Wireshark displays as
// seconds since the start.
func NewTap(l link.Link, w *Writer, clk clock.Clock) *Tap {
	return NewTapAt(l, w, clk, time.Unix(0, 0))
}

// NewTapAt is NewTap with timestamps base + clk.Now(), for captures that
// should show a wall-clock time.
func NewTapAt(l link.Link, w *Writer, clk clock.Clock, base time.Time) *Tap {
	return &Tap{link: l, w: w, clk: clk, base: base}
}

// MTU returns the MTU of the tapped link.
func (t *Tap) MTU() int { return t.link.MTU() }

// WritePacket captures pkt and writes it to the tapped link.
func (t *Tap) WritePacket(pkt []byte) error {
	t.capture(pkt)
	return t.link.WritePacket(pkt)
}

// ReadPacket reads from the tapped link and captures what it read.
func (t *Tap) ReadPacket(buf []byte) (int, error) {
	n, err := t.link.ReadPacket(buf)
	if err == nil {
		t.capture(buf[:n])
	}
	return n, err
}

// Flush flushes the tapped link if it is a link.Flusher. Packets are
// captured as they are written, whether or not the link holds them back.
func (t *Tap) Flush() error {
	if f, ok := t.link.(link.Flusher); ok {
		return f.Flush()
	}
	return nil
}

// Close closes the tapped link. The Writer stays open.
func (t *Tap) Close() error { return t.link.Close() }

// Err returns the first error met writing the capture, or nil.
func (t *Tap) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// capture writes pkt, stamped with the time of the clock read as the
// record is written: a time read before taking the writer's lock could be
// overtaken by a later packet of another goroutine (the link's reader and
// writer both capture), and the file would go out of time order.
func (t *Tap) capture(pkt []byte) {
	now := func() time.Time { return t.base.Add(time.Duration(t.clk.Now())) }
	if err := t.w.writeAt(now, pkt); err != nil {
		t.mu.Lock()
		if t.err == nil {
			t.err = err
		}
		t.mu.Unlock()
	}
}
