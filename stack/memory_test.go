package stack

import (
	"testing"
	"time"
)

// readAll reads what each connection has and adds it to got.
func readAll(conns []*Conn, got []int) {
	buf := make([]byte, 1<<16)
	for i, c := range conns {
		for {
			n, _ := c.Read(buf)
			if n == 0 {
				break
			}
			got[i] += n
		}
	}
}

// The host's memory account holds exactly what the connections' buffers
// hold, and everything comes back once they are closed: the TIME_WAIT
// entries and the closed connections hold none.
func TestMemoryAccounting(t *testing.T) {
	p := newTestPair(t, nil)
	clients, servers := p.open(t, 3)
	for _, c := range clients {
		if n, err := c.Write(make([]byte, 10000)); n != 10000 || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
	}
	p.pump()
	for _, h := range []*Host{p.a, p.b} {
		if err := h.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
	}
	// B holds 10000 unread bytes per connection in 16 KiB of storage.
	if k, c := p.b.Counters(), p.b.Census(); k.MemoryAllocated != 3*16384 || c.StorageBytes != 3*16384 {
		t.Fatalf("B: MemoryAllocated %d, storage %d; want %d", k.MemoryAllocated, c.StorageBytes, 3*16384)
	}
	readAll(servers, make([]int, 3))
	p.closeBoth(clients, servers)
	for _, h := range []*Host{p.a, p.b} {
		if err := h.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
		if k := h.Counters(); k.MemoryAllocated != 0 || k.TCPMemoryPressures != 0 {
			t.Errorf("%s after closing: MemoryAllocated %d, pressures %d", h.Name(), k.MemoryAllocated, k.TCPMemoryPressures)
		}
	}
}

// A receiver whose memory is far below what its peers send degrades: it
// enters pressure once, stops growing its buffers, drops what it cannot
// store, and every connection still delivers every byte.
func TestMemoryHardLimitDegrades(t *testing.T) {
	p := newTestPair(t, nil)
	p.b.mem.lim = MemoryLimits{Low: 16 << 10, Pressure: 24 << 10, High: 32 << 10}
	const n, size = 8, 64 << 10
	clients, servers := p.open(t, n)
	sent := make([]int, n)
	got := make([]int, n)
	peak := uint64(0)
	for step := 0; step < 100000; step++ {
		done := true
		for i, c := range clients {
			if sent[i] < size {
				w, _ := c.Write(make([]byte, size-sent[i]))
				sent[i] += w
			}
			done = done && got[i] == size
		}
		if done {
			break
		}
		p.pump()
		peak = max(peak, p.b.Counters().MemoryAllocated)
		if err := p.b.CheckInvariants(); err != nil {
			t.Fatal(err)
		}
		// The application reads one connection in turn each millisecond,
		// so that the others' data waits in their buffers.
		readAll(servers[step%n:step%n+1], got[step%n:step%n+1])
		p.until(p.now.Add(time.Millisecond))
	}
	for i := range got {
		if got[i] != size {
			t.Fatalf("connection %d received %d of %d bytes by %v", i, got[i], size, p.now)
		}
	}
	k := p.b.Counters()
	t.Logf("%d connections x %d KiB into a 32 KiB High: all delivered by %v; peak %d bytes allocated, %d pressure episodes, %d in-order and %d out-of-order segments dropped",
		n, size>>10, time.Duration(p.now), peak, k.TCPMemoryPressures, k.TCPRcvQDrop, k.TCPOFODrop)
	// Over High only the first allocations are forced.
	if k.TCPMemoryPressures != 1 || peak > 32<<10+n*4096 || k.TCPRcvQDrop+k.TCPOFODrop == 0 {
		t.Errorf("pressures %d, peak %d", k.TCPMemoryPressures, peak)
	}
}
