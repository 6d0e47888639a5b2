package dev_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/dev"
)

// memDevice is an in-memory Device: Read returns the packets queued in
// in, as many as are waiting; Write checks each buffer's headroom and
// queues a copy of its packet in peer's in, dropping what does not fit.
type memDevice struct {
	mtu, batch int
	in         chan []byte
	peer       *memDevice
	closed     chan struct{}
	closeOnce  sync.Once
	closes     atomic.Int32
	writes     atomic.Int32 // Write calls
	written    atomic.Int32 // packets written
}

var errFull = errors.New("memDevice: queue full")

func newMemPair(mtu, batch int) (a, b *memDevice) {
	a = &memDevice{mtu: mtu, batch: batch, in: make(chan []byte, 1024), closed: make(chan struct{})}
	b = &memDevice{mtu: mtu, batch: batch, in: make(chan []byte, 1024), closed: make(chan struct{})}
	a.peer, b.peer = b, a
	return a, b
}

func (d *memDevice) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	var p []byte
	select {
	case p = <-d.in:
	case <-d.closed:
		return 0, os.ErrClosed
	}
	n := 0
	for {
		sizes[n] = copy(bufs[n][offset:], p)
		n++
		if n == len(bufs) {
			return n, nil
		}
		select {
		case p = <-d.in:
		default:
			return n, nil
		}
	}
}

func (d *memDevice) Write(bufs [][]byte, offset int) (int, error) {
	select {
	case <-d.closed:
		return 0, os.ErrClosed
	default:
	}
	d.writes.Add(1)
	for i, b := range bufs {
		if len(b) < offset {
			return i, errors.New("memDevice: no headroom")
		}
		select {
		case d.peer.in <- bytes.Clone(b[offset:]):
			d.written.Add(1)
		default:
			return i, errFull
		}
	}
	return len(bufs), nil
}

func (d *memDevice) MTU() (int, error) { return d.mtu, nil }
func (d *memDevice) BatchSize() int    { return d.batch }
func (d *memDevice) Close() error {
	d.closes.Add(1)
	d.closeOnce.Do(func() { close(d.closed) })
	return nil
}

// TestLinkBatches checks the batching: a batch read from the device is
// handed out a packet at a time, writes go to the device when the batch
// is full or at Flush, at the offset, and packets over the MTU are
// dropped.
func TestLinkBatches(t *testing.T) {
	a, b := newMemPair(100, 4)
	l, err := dev.New(a, dev.Options{Offset: 10})
	if err != nil {
		t.Fatal(err)
	}
	if l.MTU() != 100 {
		t.Fatalf("MTU %d", l.MTU())
	}
	for i := range 6 {
		a.in <- bytes.Repeat([]byte{byte(i)}, i+1)
	}
	buf := make([]byte, 100)
	for i := range 6 {
		n, err := l.ReadPacket(buf)
		if err != nil || !bytes.Equal(buf[:n], bytes.Repeat([]byte{byte(i)}, i+1)) {
			t.Fatalf("packet %d: % x, %v", i, buf[:n], err)
		}
	}

	for i := range 5 {
		if err := l.WritePacket([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	l.WritePacket(make([]byte, 101)) // over the MTU
	if got := a.writes.Load(); got != 1 {
		t.Fatalf("%d device writes after 5 packets with a batch of 4, want 1", got)
	}
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if got := a.writes.Load(); got != 2 {
		t.Fatalf("%d device writes after Flush, want 2", got)
	}
	for i := range 5 {
		if p := <-b.in; !bytes.Equal(p, []byte{byte(i)}) {
			t.Fatalf("written packet %d: % x", i, p)
		}
	}
	if l.Dropped() != 1 {
		t.Fatalf("Dropped %d, want 1", l.Dropped())
	}

	// The device refusing packets: they are dropped and counted.
	for range 1024 {
		b.in <- nil
	}
	for range 4 {
		l.WritePacket([]byte{1})
	}
	if l.Dropped() != 5 {
		t.Fatalf("Dropped %d after a full device queue, want 5", l.Dropped())
	}
}

// TestLinkClose checks that Close closes the device once, ends a blocked
// read with net.ErrClosed, and fails later writes.
func TestLinkClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, _ := newMemPair(100, 4)
		l, err := dev.New(a, dev.Options{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() {
			_, err := l.ReadPacket(make([]byte, 100))
			done <- err
		}()
		synctest.Wait()
		l.Close()
		l.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked ReadPacket after Close: %v", err)
		}
		if err := l.WritePacket([]byte{1}); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("WritePacket after Close: %v", err)
		}
		if n := a.closes.Load(); n != 1 {
			t.Fatalf("device closed %d times", n)
		}
	})
}

// TestStacksOverDevices joins two stacks, each on a Link over an
// in-memory batch device, and echoes 1 MiB through one
// connection.
func TestStacksOverDevices(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newMemPair(1500, 64)
		la, err := dev.New(a, dev.Options{})
		if err != nil {
			t.Fatal(err)
		}
		lb, err := dev.New(b, dev.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sa := newStack(t, la, "10.0.0.1/24")
		sb := newStack(t, lb, "10.0.0.2/24")
		ln, err := sb.Listen("tcp", ":7")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
			io.Copy(c, c)
		}()
		c, err := sa.Dial("tcp", "10.0.0.2:7")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		msg := bytes.Repeat([]byte("synack over a batch device "), 1<<20/27)
		go func() {
			c.Write(msg)
			c.CloseWrite()
		}()
		got, err := io.ReadAll(c)
		if err != nil || sha256.Sum256(got) != sha256.Sum256(msg) {
			t.Fatalf("echoed %d bytes of %d, %v", len(got), len(msg), err)
		}
		// The stack's bursts went to the device together.
		if a.written.Load() <= a.writes.Load() {
			t.Fatalf("%d packets in %d device writes", a.written.Load(), a.writes.Load())
		}
		t.Logf("%d packets in %d device writes; dropped %d, %d", a.written.Load(), a.writes.Load(), la.Dropped(), lb.Dropped())
	})
}

func newStack(t *testing.T, l link.Link, addr string) *synack.Stack {
	t.Helper()
	s, err := synack.New(synack.Config{Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
