package sim

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/stack"
)

// TestMemoryLimitDegradesNotStalls: sixteen peers each upload 256 KiB to
// a server whose buffer memory is limited to 64 KiB (High), far below the
// 4 MiB they send, while its application reads one connection after
// another, so that unread data piles up. The server enters memory
// pressure, drops what it cannot store, and every connection still
// completes with every byte, its memory back to zero after.
func TestMemoryLimitDegradesNotStalls(t *testing.T) {
	w := New(1)
	limits := stack.MemoryLimits{Low: 32 << 10, Pressure: 48 << 10, High: 64 << 10}
	b := w.AddHost("B", addrB, func(c *stack.Config) { c.Memory = limits })
	ln, err := b.Listen(0, portB, 0)
	if err != nil {
		t.Fatal(err)
	}
	const peers, size = 16, 256 << 10
	payload := bytes.Repeat([]byte("synack"), size/6+1)[:size]
	clients := make([]*App, peers)
	for i := range peers {
		h := w.AddHost(fmt.Sprintf("P%d", i), netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(10 + i)}), 24))
		w.At(0, func() {
			c, err := h.Connect(w.Now(), netip.AddrPort{}, portB)
			if err != nil {
				t.Fatal(err)
			}
			clients[i] = w.Attach(c, &App{Send: payload, CloseAfterSend: true})
		})
	}
	// The server accepts everything at 100 ms but starts reading the
	// connections one by one, 100 ms apart.
	var servers []*App
	w.At(100*time.Millisecond, func() {
		for i := 0; ; i++ {
			c, _ := ln.Accept()
			if c == nil {
				break
			}
			app := &App{CloseOnEOF: true}
			servers = append(servers, app)
			w.At(time.Duration(i+2)*100*time.Millisecond, func() { w.Attach(c, app) })
		}
	})
	var peak uint64
	w.OnStep = func() {
		peak = max(peak, b.Counters().MemoryAllocated)
		if err := b.CheckInvariants(); err != nil {
			t.Fatalf("at %v: %v", w.Now(), err)
		}
	}
	done := func() bool {
		for _, c := range clients {
			if c == nil || !c.Done() {
				return false
			}
		}
		return len(servers) == peers
	}
	if !w.RunUntil(120*time.Second, done) {
		t.Fatalf("not every connection completed by %v", w.Now())
	}
	end := w.Now()
	for i, s := range servers {
		if !s.EOF || !bytes.Equal(s.Received.Bytes(), payload) {
			t.Fatalf("server connection %d: EOF %v, %d bytes of %d", i, s.EOF, s.Received.Len(), size)
		}
	}
	w.Run(end.Sub(0) + 200*time.Second) // past TIME_WAIT and every timer
	k := b.Counters()
	t.Logf("%d peers x %d KiB into a %d KiB High: all complete by %v; peak %d bytes allocated, %d pressure episodes, %d in-order and %d out-of-order segments dropped, %d retransmitted by the peers",
		peers, size>>10, limits.High>>10, time.Duration(end), peak, k.TCPMemoryPressures, k.TCPRcvQDrop, k.TCPOFODrop, retransmitted(w))
	if k.TCPMemoryPressures == 0 || k.TCPRcvQDrop+k.TCPOFODrop == 0 {
		t.Errorf("the limit was never reached: pressures %d, drops %d", k.TCPMemoryPressures, k.TCPRcvQDrop+k.TCPOFODrop)
	}
	if peak > uint64(limits.High+peers*4096) {
		t.Errorf("peak %d bytes, beyond High and the first allocations", peak)
	}
	if k.MemoryAllocated != 0 {
		t.Errorf("%d bytes still allocated when everything is closed", k.MemoryAllocated)
	}
}

// retransmitted sums the segments the world's hosts other than B retransmitted.
func retransmitted(w *World) uint64 {
	n := uint64(0)
	for _, h := range w.hosts {
		if h.Name() != "B" {
			n += h.Counters().RetransSegs
		}
	}
	return n
}
