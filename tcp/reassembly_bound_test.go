package tcp

import (
	"runtime"
	"testing"

	"github.com/synack-net/synack/wire"
)

// A peer that fills our window with 1-byte segments out of order (every
// other byte, from the far end back) cannot make us hold more than the
// receive buffer, nor more than recvBufMaxRanges holes' bookkeeping: the
// segments beyond that are refused and counted, and once the holes fill
// in order the stream is whole.
func TestOneByteOutOfOrderFlood(t *testing.T) {
	f := established(t, func(c *Config) { c.ReceiveBufferSize, c.ReceiveBufferMax = 64<<10, 64<<10 })
	const span = 64 << 10
	for off := span - 2; off > 0; off -= 2 {
		s := data(off, 1)
		s.Payload[0] = byte(off)
		f.in(s)
		f.drain()
	}
	b := &f.tcb.recvBuf
	if b.nranges > recvBufMaxRanges || len(b.buf) > span || f.tcb.StorageBytes() > span {
		t.Fatalf("%d ranges, %d bytes of storage for a %d-byte window", b.nranges, f.tcb.StorageBytes(), span)
	}
	if f.tcb.Stats().ReassemblyOverrun == 0 {
		t.Fatal("the segments beyond the range bound were not counted")
	}
	held := b.outOfOrder()
	// The holes now fill in order: every byte arrives once more.
	for off := 0; off < span-1; off++ {
		s := data(off, 1)
		s.Payload[0] = byte(off)
		f.in(s)
		f.drain()
		if f.tcb.Readable() > 0 {
			buf := make([]byte, span)
			n, _ := f.tcb.Read(buf)
			end := int(f.tcb.Info().RcvNxt - testIRS - 1) // the stream offset after what was read
			for i := range n {
				if want := byte(end - n + i); buf[i] != want {
					t.Fatalf("byte at offset %d is %d, want %d", end-n+i, buf[i], want)
				}
			}
		}
	}
	t.Logf("1-byte segments every other byte of a 64 KiB window: %d out-of-order bytes held in %d ranges, %d refused", held, recvBufMaxRanges, f.tcb.Stats().ReassemblyOverrun)
}

// A 1-byte out-of-order flood over a whole 64 KiB window, every other
// byte, from the near end and from the far end, as figures: segments
// sent, kept, storage and heap allocated. What is kept is bounded by
// recvBufMaxRanges ranges and the storage by the window (4 KiB when the
// kept ranges lie near RCV.NXT, the whole window when they lie at its far
// end), and the host's account is charged exactly that storage.
func TestOneByteFloodMemory(t *testing.T) {
	const span = 64 << 10
	for _, farFirst := range []bool{false, true} {
		a := &testAccount{high: 1 << 30}
		f := accounted(t, a, func(c *Config) { c.ReceiveBufferSize, c.ReceiveBufferMax = 64<<10, 64<<10 })
		seg := Segment{Ack: testISS + 1, Flags: wire.FlagACK, Window: 65535, Payload: []byte{0}}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		sent := 0
		for i := 2; i < span; i += 2 {
			off := i
			if farFirst {
				off = span - i
			}
			seg.Seq = testIRS + 1 + Seq(off)
			f.tcb.Deliver(f.now, &seg)
			for {
				if _, ok := f.tcb.NextSegment(f.now, f.buf); !ok {
					break
				}
			}
			sent++
		}
		runtime.ReadMemStats(&after)
		kept := f.tcb.Stats().OutOfOrderQueued
		storage := f.tcb.StorageBytes()
		want := 4096
		if farFirst {
			want = span
		}
		if kept != recvBufMaxRanges || storage != want || a.used != storage {
			t.Fatalf("far first %v: %d segments kept, %d bytes of storage, %d charged", farFirst, kept, storage, a.used)
		}
		t.Logf("far end first %v: %d 1-byte segments sent, %d kept (%d refused), %d bytes of storage charged, %d bytes allocated on the heap in %d allocations",
			farFirst, sent, kept, f.tcb.Stats().ReassemblyOverrun, storage, after.TotalAlloc-before.TotalAlloc, after.Mallocs-before.Mallocs)
	}
}
