package tcp

import (
	"testing"
	"time"
)

// testAccount is a MemoryAccount with a hard limit and a pressure switch.
type testAccount struct {
	used, forced, high int
	pressure           bool
}

func (a *testAccount) Charge(n int) bool {
	if a.used+n > a.high {
		return false
	}
	a.used += n
	return true
}
func (a *testAccount) Force(n int)         { a.used += n; a.forced += n }
func (a *testAccount) Uncharge(n int)      { a.used -= n }
func (a *testAccount) UnderPressure() bool { return a.pressure }

// accounted returns an established fixture whose TCB charges a.
func accounted(t *testing.T, a *testAccount, mod func(*Config)) *fixture {
	f := established(t, mod)
	f.tcb.SetMemory(a)
	return f
}

// window returns the window of the segments the TCB sends now (the last one's).
func (f *fixture) window() int {
	f.t.Helper()
	w := -1
	for {
		s, ok := f.tcb.NextSegment(f.now, f.buf)
		if !ok {
			return w
		}
		w = int(s.Window)
	}
}

// The buffers charge the account for exactly the storage they hold and
// give it back with the storage.
func TestMemoryChargesStorage(t *testing.T) {
	a := &testAccount{high: 1 << 30}
	f := accounted(t, a, nil)
	f.in(data(0, 1000))
	if a.used != 4096 || f.tcb.MemoryHeld() != 4096 || f.tcb.StorageBytes() != 4096 {
		t.Fatalf("after 1000 bytes in: %d charged, %d held, %d storage; want 4096", a.used, f.tcb.MemoryHeld(), f.tcb.StorageBytes())
	}
	if n, _ := f.write(5000); n != 5000 || a.used != 4096+8192 {
		t.Fatalf("wrote %d, %d charged; want 5000, %d", n, a.used, 4096+8192)
	}
	f.drain()
	acked := ack(5000)
	acked.Seq += 1000
	f.in(acked)
	if a.used != 4096 {
		t.Fatalf("after the ACK of everything: %d charged, want 4096 (the send storage given back)", a.used)
	}
	f.tcb.FreeBuffers()
	if a.used != 0 || f.tcb.MemoryHeld() != 0 || a.forced != 0 {
		t.Fatalf("after FreeBuffers: %d charged, %d held, %d forced", a.used, f.tcb.MemoryHeld(), a.forced)
	}
}

// Over the hard limit a buffer holding no storage still takes its first
// allocation, so that a connection is never refused its first segment.
func TestMemoryFirstSegmentForced(t *testing.T) {
	a := &testAccount{high: 0}
	f := accounted(t, a, nil)
	f.in(data(0, 1000))
	if f.tcb.Readable() != 1000 || a.forced != 4096 {
		t.Fatalf("readable %d, forced %d; want 1000, 4096", f.tcb.Readable(), a.forced)
	}
	if n, _ := f.write(10000); n != 4096 || a.forced != 8192 {
		t.Fatalf("wrote %d with %d forced; want the first 4096-byte allocation", n, a.forced)
	}
	if n, _ := f.write(10000); n != 0 || f.tcb.Writable() != 0 {
		t.Fatalf("a full send storage over the limit took %d more bytes, Writable %d", n, f.tcb.Writable())
	}
	// Acknowledged bytes make room in the storage held; all of it
	// acknowledged gives the storage back, and the next write may take a
	// first allocation again.
	f.drain()
	acked := ack(536)
	acked.Seq += 1000
	f.in(acked)
	if w := f.tcb.Writable(); w != 536 {
		t.Fatalf("Writable %d after 536 bytes were acknowledged, want 536", w)
	}
	acked = ack(4096)
	acked.Seq += 1000
	f.in(acked)
	if w := f.tcb.Writable(); w != 1<<20 {
		t.Fatalf("Writable %d once all was acknowledged, want the send buffer's 1 MiB", w)
	}
}

// Over the hard limit, out-of-order data that needs more storage is
// dropped (TCPOFODrop), and in-order data is cut to the storage held
// (TCPRcvQDrop); what fits is kept, and the rest comes again.
func TestMemoryOverLimitDrops(t *testing.T) {
	a := &testAccount{high: 4096}
	f := accounted(t, a, nil)
	f.in(data(0, 4000))
	f.in(data(5000, 1000))
	f.expect("<SEQ=1001><ACK=9001><CTL=ACK><LEN=0>")
	if f.tcb.Stats().OFODrop != 1 || f.tcb.recvBuf.outOfOrder() != 0 {
		t.Fatalf("OFODrop %d, %d out-of-order bytes held; want 1, 0", f.tcb.Stats().OFODrop, f.tcb.recvBuf.outOfOrder())
	}
	f.in(data(4000, 1000))
	if f.tcb.Stats().RcvQDrop != 1 || f.tcb.Readable() != 4096 {
		t.Fatalf("RcvQDrop %d, readable %d; want 1, 4096", f.tcb.Stats().RcvQDrop, f.tcb.Readable())
	}
	f.expect("<SEQ=1001><ACK=9097><CTL=ACK><LEN=0>")
	// Once the user reads, the ring has room again without growing.
	f.read()
	f.in(data(4096, 904))
	if f.tcb.Readable() != 904 || a.used != 4096 {
		t.Fatalf("readable %d, charged %d; want 904, 4096", f.tcb.Readable(), a.used)
	}
}

// Under pressure a send buffer that holds storage does not grow on a
// write: the writer gets what the storage has room for and waits for
// ACKs; a buffer with none still takes its first allocation, and once the
// pressure ends the next write grows it again.
func TestMemoryPressureStopsSendGrowth(t *testing.T) {
	a := &testAccount{high: 1 << 30, pressure: true}
	f := accounted(t, a, nil)
	if n, _ := f.write(1000); n != 1000 || a.used != 4096 {
		t.Fatalf("first write under pressure: took %d, %d charged; want 1000, the first 4096 bytes", n, a.used)
	}
	if n, _ := f.write(10000); n != 3096 || a.used != 4096 || f.tcb.Writable() != 0 {
		t.Fatalf("second write under pressure: took %d, %d charged, Writable %d; want 3096, 4096, 0",
			n, a.used, f.tcb.Writable())
	}
	a.pressure = false
	if n, _ := f.write(10000); n != 10000 || a.used != 16384 {
		t.Fatalf("after the pressure: took %d, %d charged; want 10000, 16384", n, a.used)
	}
}

// Under pressure a window update opens the window no further than the
// storage held, and autotuning stops growing the receive buffer.
func TestMemoryPressureClampsWindow(t *testing.T) {
	for _, pressure := range []bool{false, true} {
		a := &testAccount{high: 1 << 30, pressure: pressure}
		f := accounted(t, a, func(c *Config) { c.ReceiveBufferSize = 8192 })
		f.in(data(0, 4000))
		f.read()
		f.in(data(5000, 10)) // out of order: answered at once
		// The handshake advertised 8192 bytes, up to offset 8192; the
		// right edge never moves back (RFC 9293 §3.8.6).
		want := 8192
		if pressure {
			want = 8192 - 4000 // 4096 bytes of storage from offset 4000 would end before 8192
		}
		if w := f.window(); w != want {
			t.Fatalf("pressure %v: window %d, want %d", pressure, w, want)
		}
		// 8000 bytes read in the first round trip ask for a 16000-byte
		// buffer at the next segment.
		limit := f.tcb.recvBuf.limit
		f.in(data(4000, 4000))
		f.read()
		f.at(time.Second)
		f.in(data(8000, 10))
		if grew := f.tcb.recvBuf.limit != limit; grew == pressure {
			t.Fatalf("pressure %v: receive buffer limit %d -> %d", pressure, limit, f.tcb.recvBuf.limit)
		}
	}
}
