package tcp

import (
	"testing"
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
	if f.tcb.Stats.ReassemblyOverrun == 0 {
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
	t.Logf("1-byte segments every other byte of a 64 KiB window: %d out-of-order bytes held in %d ranges, %d refused", held, recvBufMaxRanges, f.tcb.Stats.ReassemblyOverrun)
}
