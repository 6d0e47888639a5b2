package tcp

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/synack-net/synack/wire"
)

// sendBufPattern returns n bytes whose values depend on their position from
// start, so misplaced bytes are detected.
func sendBufPattern(start, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte((start + i) * 7 / 3)
	}
	return p
}

// TestSendBufferLazyAllocation checks that storage is allocated on the first write, doubles, and is freed by release.
func TestSendBufferLazyAllocation(t *testing.T) {
	var b sendBuffer
	b.setLimit(64 << 10)
	if b.buf != nil {
		t.Fatal("storage allocated before the first write")
	}
	if got := b.write([]byte("hello")); got != 5 {
		t.Fatalf("write = %d, want 5", got)
	}
	if len(b.buf) != sendBufMinAlloc {
		t.Fatalf("first allocation %d bytes, want %d", len(b.buf), sendBufMinAlloc)
	}
	b.write(make([]byte, sendBufMinAlloc))
	if len(b.buf) != 2*sendBufMinAlloc {
		t.Fatalf("after growth %d bytes, want %d", len(b.buf), 2*sendBufMinAlloc)
	}
	b.discard(b.len())
	b.release()
	if b.buf != nil {
		t.Fatal("release kept the storage of an empty buffer")
	}
	if got := b.write([]byte("again")); got != 5 {
		t.Fatalf("write after release = %d, want 5", got)
	}
	dst := make([]byte, 5)
	if n := b.peek(0, dst); n != 5 || string(dst) != "again" {
		t.Fatalf("peek = %d %q", n, dst)
	}
}

// TestSendBufferReleaseKeepsData checks that release leaves a non-empty buffer alone.
func TestSendBufferReleaseKeepsData(t *testing.T) {
	var b sendBuffer
	b.setLimit(100)
	b.write([]byte("abc"))
	b.release()
	dst := make([]byte, 3)
	if b.peek(0, dst) != 3 || string(dst) != "abc" {
		t.Fatalf("release of a non-empty buffer lost data: %q", dst)
	}
}

// TestSendBufferLimit checks the SO_SNDBUF limit, a full buffer and shrinking the limit below len.
func TestSendBufferLimit(t *testing.T) {
	var b sendBuffer
	if got := b.write([]byte("x")); got != 0 {
		t.Fatalf("zero-limit buffer took %d bytes", got)
	}
	b.setLimit(10)
	if got := b.write(sendBufPattern(0, 25)); got != 10 {
		t.Fatalf("write = %d, want 10 (limit)", got)
	}
	if b.free() != 0 || b.len() != 10 {
		t.Fatalf("len %d free %d, want 10 0", b.len(), b.free())
	}
	if len(b.buf) != 10 {
		t.Fatalf("storage %d bytes, want capped at the limit 10", len(b.buf))
	}
	if got := b.write([]byte("y")); got != 0 {
		t.Fatalf("full buffer took %d bytes", got)
	}
	// Shrinking below len keeps the data and refuses writes until it drains.
	b.setLimit(4)
	if b.len() != 10 || b.free() != 0 {
		t.Fatalf("after shrink len %d free %d, want 10 0", b.len(), b.free())
	}
	b.discard(7)
	if b.free() != 1 {
		t.Fatalf("free = %d after draining to 3 under limit 4, want 1", b.free())
	}
	dst := make([]byte, 3)
	b.peek(0, dst)
	if !bytes.Equal(dst, sendBufPattern(7, 3)) {
		t.Fatalf("peek after shrink = %v, want %v", dst, sendBufPattern(7, 3))
	}
}

// TestSendBufferPeekClipping checks peek and discard at and past the ends of the data.
func TestSendBufferPeekClipping(t *testing.T) {
	var b sendBuffer
	b.setLimit(100)
	b.write(sendBufPattern(0, 20))
	dst := make([]byte, 50)
	if n := b.peek(15, dst); n != 5 || !bytes.Equal(dst[:5], sendBufPattern(15, 5)) {
		t.Fatalf("peek(15) = %d %v", n, dst[:n])
	}
	if n := b.peek(20, dst); n != 0 {
		t.Fatalf("peek at len = %d, want 0", n)
	}
	if n := b.peek(-1, dst); n != 0 {
		t.Fatalf("peek at -1 = %d, want 0", n)
	}
	b.discard(1000)
	if b.len() != 0 {
		t.Fatalf("discard past len left %d bytes", b.len())
	}
}

// TestSendBufferWrap drives the ring around its end many times and checks
// every byte against a model.
func TestSendBufferWrap(t *testing.T) {
	var b sendBuffer
	b.setLimit(100) // not a power of two: exercises the wrap arithmetic
	rng := rand.New(rand.NewSource(1))
	written, acked := 0, 0
	for range 5000 {
		w := b.write(sendBufPattern(written, rng.Intn(60)))
		written += w
		if b.len() != written-acked {
			t.Fatalf("len %d, want %d", b.len(), written-acked)
		}
		off := rng.Intn(b.len() + 1)
		dst := make([]byte, rng.Intn(80))
		n := b.peek(off, dst)
		want := min(len(dst), b.len()-off)
		if n != want || !bytes.Equal(dst[:n], sendBufPattern(acked+off, n)) {
			t.Fatalf("peek(%d,%d) = %d bytes %v, want %v", off, len(dst), n, dst[:n], sendBufPattern(acked+off, want))
		}
		d := rng.Intn(b.len() + 1)
		b.discard(d)
		acked += d
	}
	if len(b.buf) != 100 {
		t.Fatalf("storage %d bytes, want 100", len(b.buf))
	}
}

// TestSendBufferGrowWhileWrapped grows the storage while the data wraps
// around its end.
func TestSendBufferGrowWhileWrapped(t *testing.T) {
	var b sendBuffer
	b.setLimit(3 * sendBufMinAlloc)
	b.write(sendBufPattern(0, sendBufMinAlloc))
	b.discard(sendBufMinAlloc - 10)
	b.write(sendBufPattern(sendBufMinAlloc, 100)) // wraps
	if b.head == 0 {
		t.Fatal("test setup: data does not wrap")
	}
	b.write(sendBufPattern(sendBufMinAlloc+100, sendBufMinAlloc)) // grows
	if len(b.buf) != 2*sendBufMinAlloc {
		t.Fatalf("storage %d, want %d", len(b.buf), 2*sendBufMinAlloc)
	}
	b.write(sendBufPattern(2*sendBufMinAlloc+100, sendBufMinAlloc)) // grows, capped at the limit
	if len(b.buf) != 3*sendBufMinAlloc {
		t.Fatalf("storage %d, want %d", len(b.buf), 3*sendBufMinAlloc)
	}
	dst := make([]byte, b.len())
	b.peek(0, dst)
	if !bytes.Equal(dst, sendBufPattern(sendBufMinAlloc-10, len(dst))) {
		t.Fatal("data corrupted by growth while wrapped")
	}
}

// TestSendBufferWriteNoAlloc checks that writing, peeking and discarding allocate nothing once grown.
func TestSendBufferWriteNoAlloc(t *testing.T) {
	var b sendBuffer
	b.setLimit(8192)
	p := make([]byte, 1000)
	dst := make([]byte, 1000)
	b.write(make([]byte, 8192))
	b.discard(8192)
	allocs := testing.AllocsPerRun(100, func() {
		b.write(p)
		b.peek(0, dst)
		b.discard(1000)
	})
	if allocs != 0 {
		t.Fatalf("steady state allocates %.1f times per write", allocs)
	}
}

// TestSendBufferPeekSummed: the sum peekSummed returns is the checksum of
// the bytes it copied, wherever the ring wraps them (at odd and even
// points), and the copy is peek's.
func TestSendBufferPeekSummed(t *testing.T) {
	var b sendBuffer
	b.setLimit(101) // odd: the wrap falls at odd and even offsets
	rng := rand.New(rand.NewSource(2))
	written, acked := 0, 0
	for range 5000 {
		written += b.write(sendBufPattern(written, rng.Intn(60)))
		off := rng.Intn(b.len() + 1)
		dst, plain := make([]byte, rng.Intn(80)), make([]byte, 80)
		n, sum := b.peekSummed(off, dst)
		if m := b.peek(off, plain[:len(dst)]); m != n || !bytes.Equal(dst[:n], plain[:n]) {
			t.Fatalf("peekSummed(%d,%d) copied %d bytes %v, peek %d bytes %v", off, len(dst), n, dst[:n], m, plain[:m])
		}
		if want := wire.Checksum(dst[:n], 0); wire.FoldChecksum(sum) != wire.FoldChecksum(want) {
			t.Fatalf("peekSummed(%d,%d) sum %#x, want %#x", off, len(dst), sum, want)
		}
		d := rng.Intn(b.len() + 1)
		b.discard(d)
		acked += d
	}
}

// growRing keeps a ring's bytes in ring order for every head, fill and
// new length, wrapped or not.
func TestGrowRing(t *testing.T) {
	for old := 1; old <= 12; old++ {
		for size := old; size <= 20; size++ {
			for head := 0; head < old; head++ {
				for used := 0; used <= old; used++ {
					storage := make([]byte, 20)
					for i := range used {
						storage[(head+i)%old] = byte(i + 1)
					}
					buf := growRing(storage, old, head, used, size)
					for i := range used {
						if got := buf[(head+i)%size]; got != byte(i+1) {
							t.Fatalf("old %d size %d head %d used %d: byte %d is %d", old, size, head, used, i, got)
						}
					}
				}
			}
		}
	}
}

// A limit raised within the storage held (as autotuning raises it in
// slow start) lengthens the ring in place, wrapped data and all, without
// new storage.
func TestSendBufferGrowsInPlace(t *testing.T) {
	var b sendBuffer
	b.setLimit(3000)
	b.write(sendBufPattern(0, 3000)) // 3,000 bytes of a 4 KiB storage
	b.discard(2000)
	b.write(sendBufPattern(3000, 1500)) // wraps: 2,500 bytes from offset 2,000
	st := b.storage
	b.setLimit(4000)
	if n := b.write(sendBufPattern(4500, 1500)); n != 1500 {
		t.Fatalf("wrote %d bytes, want 1500", n)
	}
	if b.storage != st || len(b.buf) != 4000 {
		t.Fatalf("storage replaced (%v) or ring of %d bytes, want the same storage at 4000", b.storage != st, len(b.buf))
	}
	got := make([]byte, b.len())
	if b.peek(0, got) != 4000 || !bytes.Equal(got, sendBufPattern(2000, 4000)) {
		t.Fatal("bytes out of order after growing in place")
	}
}
