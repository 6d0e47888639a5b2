package tcp

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"

	"github.com/synack-net/synack/wire"
)

// recvBufRanges returns the buffer's out-of-order ranges as [start, end)
// offset pairs, for comparison.
func recvBufRanges(b *recvBuffer) [][2]int {
	var out [][2]int
	if b.nranges == 0 {
		return out // the ranges may not be allocated
	}
	for _, r := range b.ranges[:b.nranges] {
		out = append(out, [2]int{r.start, r.end})
	}
	return out
}

// TestRecvBufferInOrder checks in-order data, window accounting, lazy allocation and release.
func TestRecvBufferInOrder(t *testing.T) {
	var b recvBuffer
	b.setLimit(100)
	if b.buf != nil {
		t.Fatal("storage allocated before data arrived")
	}
	if adv, ok := b.insert(0, []byte("hello")); adv != 5 || !ok {
		t.Fatalf("insert = %d %v, want 5 true", adv, ok)
	}
	if b.readable() != 5 || b.window() != 95 || b.hasOutOfOrder() {
		t.Fatalf("readable %d window %d ooo %v", b.readable(), b.window(), b.hasOutOfOrder())
	}
	p := make([]byte, 3)
	if n := b.read(p); n != 3 || string(p) != "hel" {
		t.Fatalf("read = %d %q", n, p)
	}
	if b.window() != 98 {
		t.Fatalf("window %d after reading 3 of 5, want 98", b.window())
	}
	b.release()
	if b.buf == nil {
		t.Fatal("release freed storage holding unread bytes")
	}
	if n := b.read(make([]byte, 10)); n != 2 {
		t.Fatalf("read = %d, want 2", n)
	}
	b.release()
	if b.buf != nil {
		t.Fatal("release kept storage of an empty buffer")
	}
	if adv, _ := b.insert(0, []byte("x")); adv != 1 {
		t.Fatalf("insert after release advanced %d, want 1", adv)
	}
}

// TestRecvBufferOutOfOrderFill checks that filling holes advances RCV.NXT over held out-of-order data.
func TestRecvBufferOutOfOrderFill(t *testing.T) {
	var b recvBuffer
	b.setLimit(100)
	// RCV.NXT is 0; hold [10,20) and [30,40), then fill [0,10) and [20,30).
	if adv, ok := b.insert(10, bytes.Repeat([]byte{'b'}, 10)); adv != 0 || !ok {
		t.Fatalf("insert(10) = %d %v", adv, ok)
	}
	b.insert(30, bytes.Repeat([]byte{'d'}, 10))
	if b.outOfOrder() != 20 || b.window() != 100 {
		t.Fatalf("outOfOrder %d window %d, want 20 100", b.outOfOrder(), b.window())
	}
	if adv, _ := b.insert(0, bytes.Repeat([]byte{'a'}, 10)); adv != 20 {
		t.Fatalf("filling the first hole advanced %d, want 20 (joins [10,20))", adv)
	}
	if got := fmt.Sprint(recvBufRanges(&b)); got != "[[10 20]]" {
		t.Fatalf("ranges %s, want [[10 20]] (relative to the new RCV.NXT)", got)
	}
	if adv, _ := b.insert(0, bytes.Repeat([]byte{'c'}, 10)); adv != 20 {
		t.Fatalf("filling the second hole advanced %d, want 20", adv)
	}
	p := make([]byte, 100)
	n := b.read(p)
	if want := "aaaaaaaaaabbbbbbbbbbccccccccccdddddddddd"; string(p[:n]) != want {
		t.Fatalf("read %q, want %q", p[:n], want)
	}
	if b.hasOutOfOrder() || b.outOfOrder() != 0 {
		t.Fatal("out-of-order bytes left after the holes filled")
	}
}

// TestRecvBufferFirstCopyWins checks that overlapping data does not
// overwrite bytes already held, and that an insert spanning several ranges
// and holes merges them.
func TestRecvBufferFirstCopyWins(t *testing.T) {
	var b recvBuffer
	b.setLimit(64)
	b.insert(4, []byte("BB"))  // [4,6)
	b.insert(8, []byte("DD"))  // [8,10)
	b.insert(12, []byte("FF")) // [12,14)
	if got := fmt.Sprint(recvBufRanges(&b)); got != "[[4 6] [8 10] [12 14]]" {
		t.Fatalf("ranges %s", got)
	}
	if _, ok := b.insert(3, []byte("xxxxxxxxx")); !ok { // [3,12): touches [12,14)
		t.Fatal("insert refused")
	}
	if got := fmt.Sprint(recvBufRanges(&b)); got != "[[3 14]]" {
		t.Fatalf("ranges %s, want [[3 14]]", got)
	}
	if b.outOfOrder() != 11 {
		t.Fatalf("outOfOrder %d, want 11", b.outOfOrder())
	}
	if adv, _ := b.insert(0, []byte("aaaa")); adv != 14 {
		t.Fatalf("advance %d, want 14", adv)
	}
	p := make([]byte, 14)
	b.read(p)
	if string(p) != "aaaxBBxxDDxxFF" {
		t.Fatalf("read %q, want %q", p, "aaaxBBxxDDxxFF")
	}
}

// TestRecvBufferWindowBounds checks inserts at the window edges, a zero window and a shrunk limit.
func TestRecvBufferWindowBounds(t *testing.T) {
	var b recvBuffer
	b.setLimit(10)
	if _, ok := b.insert(5, make([]byte, 6)); ok {
		t.Fatal("insert past the window accepted")
	}
	if _, ok := b.insert(-1, make([]byte, 1)); ok {
		t.Fatal("insert at a negative offset accepted")
	}
	if adv, ok := b.insert(0, make([]byte, 10)); adv != 10 || !ok {
		t.Fatalf("filling the window = %d %v", adv, ok)
	}
	if b.window() != 0 {
		t.Fatalf("window %d with a full buffer, want 0", b.window())
	}
	if _, ok := b.insert(0, []byte{1}); ok {
		t.Fatal("insert into a zero window accepted")
	}
	if adv, ok := b.insert(0, nil); adv != 0 || !ok {
		t.Fatalf("empty insert = %d %v, want 0 true", adv, ok)
	}
	// Shrinking the limit below what is held keeps the data and closes the window.
	b.setLimit(4)
	if b.window() != 0 || b.readable() != 10 {
		t.Fatalf("after shrink window %d readable %d", b.window(), b.readable())
	}
}

// TestRecvBufferRangeLimit checks the recvBufMaxRanges bound against fragmentation.
func TestRecvBufferRangeLimit(t *testing.T) {
	var b recvBuffer
	b.setLimit(1000)
	for i := range recvBufMaxRanges {
		if _, ok := b.insert(2+2*i, []byte{byte(i)}); !ok {
			t.Fatalf("range %d refused", i)
		}
	}
	if _, ok := b.insert(2+2*recvBufMaxRanges, []byte{1}); ok {
		t.Fatal("range beyond the limit accepted")
	}
	if b.outOfOrder() != recvBufMaxRanges {
		t.Fatalf("refused insert stored data: outOfOrder %d", b.outOfOrder())
	}
	// Extending an existing range needs no new range and is accepted.
	if _, ok := b.insert(3, []byte{9}); !ok {
		t.Fatal("insert adjacent to a range refused")
	}
	if b.nranges != recvBufMaxRanges-1 {
		t.Fatalf("nranges %d, want %d (two ranges joined)", b.nranges, recvBufMaxRanges-1)
	}
	// In-order data is always accepted.
	if adv, ok := b.insert(0, []byte{0}); adv != 1 || !ok {
		t.Fatalf("in-order insert = %d %v, want 1 true", adv, ok)
	}
}

// TestRecvBufferSACKOrder checks RFC 2018 §4 block order and sequence numbers across the 2^32 wrap.
func TestRecvBufferSACKOrder(t *testing.T) {
	var b recvBuffer
	b.setLimit(1000)
	rcvNxt := Seq(0xFFFFFFF0)     // blocks wrap around 2^32
	b.insert(10, make([]byte, 5)) // A [10,15)
	b.insert(30, make([]byte, 5)) // B [30,35)
	b.insert(50, make([]byte, 5)) // C [50,55)
	b.insert(70, make([]byte, 5)) // D [70,75)
	b.insert(32, make([]byte, 1)) // duplicate inside B: B is most recent
	dst := make([]wire.SACKBlock, 3)
	n := b.sackBlocks(rcvNxt, dst)
	want := []wire.SACKBlock{
		{Left: 0xFFFFFFF0 + 30 - 1<<32, Right: 0xFFFFFFF0 + 35 - 1<<32},
		{Left: 0xFFFFFFF0 + 70 - 1<<32, Right: 0xFFFFFFF0 + 75 - 1<<32},
		{Left: 0xFFFFFFF0 + 50 - 1<<32, Right: 0xFFFFFFF0 + 55 - 1<<32},
	}
	if n != 3 || fmt.Sprint(dst) != fmt.Sprint(want) {
		t.Fatalf("sackBlocks = %d %v, want 3 %v", n, dst, want)
	}
	// Joining A and B via [15,30) makes the merged block the first.
	b.insert(15, make([]byte, 15))
	dst = make([]wire.SACKBlock, wire.MaxSACKBlocks)
	n = b.sackBlocks(rcvNxt, dst)
	if n != 3 || dst[0] != (wire.SACKBlock{Left: uint32(rcvNxt.Add(10)), Right: uint32(rcvNxt.Add(35))}) ||
		dst[1] != (wire.SACKBlock{Left: uint32(rcvNxt.Add(70)), Right: uint32(rcvNxt.Add(75))}) {
		t.Fatalf("after merge sackBlocks = %d %v", n, dst[:n])
	}
	// Filling up to A advances RCV.NXT; the caller passes the new RCV.NXT.
	adv, _ := b.insert(0, make([]byte, 10))
	if adv != 35 {
		t.Fatalf("advance %d, want 35", adv)
	}
	n = b.sackBlocks(rcvNxt.Add(35), dst)
	if n != 2 || dst[0] != (wire.SACKBlock{Left: uint32(rcvNxt.Add(70)), Right: uint32(rcvNxt.Add(75))}) {
		t.Fatalf("after advance sackBlocks = %d %v", n, dst[:n])
	}
	if b.sackBlocks(rcvNxt, nil) != 0 {
		t.Fatal("sackBlocks wrote into an empty slice")
	}
}

// TestRecvBufferRingWrap makes the unread bytes and out-of-order ranges wrap
// around the end of the storage.
func TestRecvBufferRingWrap(t *testing.T) {
	var b recvBuffer
	b.setLimit(100)
	b.insert(0, sendBufPattern(0, 90))
	b.read(make([]byte, 80)) // head at 80, 10 unread
	// Out of order [20, 60) past RCV.NXT=90: storage positions 110..150 wrap.
	b.insert(20, sendBufPattern(110, 40))
	if adv, _ := b.insert(0, sendBufPattern(90, 20)); adv != 60 {
		t.Fatalf("advance %d, want 60", adv)
	}
	p := make([]byte, 100)
	n := b.read(p)
	if n != 70 || !bytes.Equal(p[:n], sendBufPattern(80, 70)) {
		t.Fatalf("read %d bytes %v, want %v", n, p[:n], sendBufPattern(80, 70))
	}
	if len(b.buf) != 100 {
		t.Fatalf("storage %d, want 100", len(b.buf))
	}
}

// TestRecvBufferGrowWhileWrapped grows the storage while the unread bytes
// wrap and out-of-order ranges are held.
func TestRecvBufferGrowWhileWrapped(t *testing.T) {
	var b recvBuffer
	b.setLimit(4 * recvBufMinAlloc)
	b.insert(0, sendBufPattern(0, recvBufMinAlloc))
	b.read(make([]byte, recvBufMinAlloc-100))
	b.insert(0, sendBufPattern(recvBufMinAlloc, 50)) // wraps
	b.insert(500, sendBufPattern(recvBufMinAlloc+550, 10))
	// Needs 150 + 3*MinAlloc bytes: grows to 4*MinAlloc.
	b.insert(3*recvBufMinAlloc, sendBufPattern(4*recvBufMinAlloc+50, 10))
	if len(b.buf) != 4*recvBufMinAlloc {
		t.Fatalf("storage %d, want %d", len(b.buf), 4*recvBufMinAlloc)
	}
	b.insert(0, sendBufPattern(recvBufMinAlloc+50, 500))
	p := make([]byte, 1000)
	n := b.read(p)
	if n != 660 || !bytes.Equal(p[:n], sendBufPattern(recvBufMinAlloc-100, 660)) {
		t.Fatalf("read %d bytes, corrupted by growth", n)
	}
	if got := fmt.Sprint(recvBufRanges(&b)); got != fmt.Sprintf("[[%d %d]]", 3*recvBufMinAlloc-510, 3*recvBufMinAlloc-500) {
		t.Fatalf("ranges %s", got)
	}
}

// TestRecvBufferReassemblyProperty feeds a random stream as segments in
// random order, with overlaps and duplicates, trimmed to the window as the
// TCB would, and checks every result against a byte-level model.
func TestRecvBufferReassemblyProperty(t *testing.T) {
	for _, tc := range []struct {
		seed        int64
		limit       int
		seg         int
		size        int
		wantRefused bool // fragmentation hits recvBufMaxRanges
	}{
		{1, 3000, 500, 60000, false},
		{2, 100, 37, 60000, false},
		{3, 20000, 1460, 60000, false},
		{4, 777, 64, 60000, false},
		{5, 3 * recvBufMinAlloc, 3000, 60000, false},
		{6, 400, 3, 3000, true},
	} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			refused := recvBufProperty(t, tc.seed, tc.limit, tc.seg, tc.size)
			if tc.wantRefused && refused == 0 {
				t.Fatal("no insert was refused for too many ranges")
			}
		})
	}
}

// recvBufProperty runs one reassembly property test and returns the number
// of inserts refused for exceeding recvBufMaxRanges.
func recvBufProperty(t *testing.T, seed int64, limit, maxSeg, size int) int {
	rng := rand.New(rand.NewSource(seed))
	stream := make([]byte, size)
	rng.Read(stream)
	have := make([]bool, len(stream)) // model: byte received (at or past RCV.NXT)
	var b recvBuffer
	b.setLimit(limit)
	rcvNxt, readPos := 0, 0 // absolute offsets in the stream
	var got []byte
	refused := 0
	for step := 0; readPos < len(stream); step++ {
		if step > 2000000 {
			t.Fatal("no progress")
		}
		// A segment somewhere around the window, possibly old or overlapping.
		start := rcvNxt - maxSeg/2 + rng.Intn(b.window()+maxSeg/2+1)
		if rng.Intn(4) == 0 {
			start = rcvNxt // keep the stream moving
		}
		end := start + 1 + rng.Intn(maxSeg)
		// Trim to [RCV.NXT, RCV.NXT+window) and the stream.
		start = max(start, rcvNxt)
		end = min(end, rcvNxt+b.window(), len(stream))
		if start < end {
			modelRanges := recvBufModelRanges(have[:min(rcvNxt+b.window(), len(have))], rcvNxt, start, end)
			adv, ok := b.insert(start-rcvNxt, stream[start:end])
			if !ok {
				if start == rcvNxt || len(modelRanges) <= recvBufMaxRanges {
					t.Fatalf("step %d: insert [%d,%d) refused with %d ranges", step, start, end, len(modelRanges))
				}
				refused++
			} else {
				for i := start; i < end; i++ {
					have[i] = true
				}
				want := 0
				for rcvNxt+want < len(stream) && have[rcvNxt+want] {
					want++
				}
				if adv != want {
					t.Fatalf("step %d: insert [%d,%d) advanced %d, want %d", step, start, end, adv, want)
				}
				rcvNxt += adv
				if start > rcvNxt {
					// The first SACK block holds the segment just inserted.
					var dst [wire.MaxSACKBlocks]wire.SACKBlock
					n := b.sackBlocks(Seq(rcvNxt), dst[:])
					if n == 0 || Seq(start).LessThan(Seq(dst[0].Left)) || Seq(dst[0].Right).LessThan(Seq(end)) {
						t.Fatalf("step %d: first SACK block %v does not hold [%d,%d)", step, dst[:n], start, end)
					}
				}
			}
		}
		if b.readable() != rcvNxt-readPos {
			t.Fatalf("step %d: readable %d, want %d", step, b.readable(), rcvNxt-readPos)
		}
		if b.window() != limit-b.readable() {
			t.Fatalf("step %d: window %d, want %d", step, b.window(), limit-b.readable())
		}
		model := recvBufModelRanges(have[:min(rcvNxt+b.window(), len(have))], rcvNxt, 0, 0)
		if fmt.Sprint(model) != fmt.Sprint(recvBufRanges(&b)) {
			t.Fatalf("step %d: ranges %v, want %v", step, recvBufRanges(&b), model)
		}
		ooo := 0
		for _, r := range model {
			ooo += r[1] - r[0]
		}
		if b.outOfOrder() != ooo {
			t.Fatalf("step %d: outOfOrder %d, want %d", step, b.outOfOrder(), ooo)
		}
		if rng.Intn(3) == 0 {
			p := make([]byte, rng.Intn(limit+1))
			n := b.read(p)
			got = append(got, p[:n]...)
			readPos += n
		}
	}
	if !bytes.Equal(got, stream) {
		t.Fatal("reassembled stream differs from the original")
	}
	if b.hasOutOfOrder() || b.readable() != 0 {
		t.Fatal("buffer not empty at the end")
	}
	return refused
}

// recvBufModelRanges returns the out-of-order runs of the model past rcvNxt,
// relative to rcvNxt, as they would be after also receiving [start, end).
// have ends at the window's right edge: nothing past it is ever received.
func recvBufModelRanges(have []bool, rcvNxt, start, end int) [][2]int {
	var out [][2]int
	in := func(i int) bool { return have[i] || (i >= start && i < end) }
	i := rcvNxt
	for i < len(have) && in(i) {
		i++
	}
	for i < len(have) {
		if !in(i) {
			i++
			continue
		}
		j := i
		for j < len(have) && in(j) {
			j++
		}
		out = append(out, [2]int{i - rcvNxt, j - rcvNxt})
		i = j
	}
	return out
}

// TestRecvBufferNoAllocSteadyState checks that reassembly and SACK generation allocate nothing once grown.
func TestRecvBufferNoAllocSteadyState(t *testing.T) {
	var b recvBuffer
	b.setLimit(8192)
	seg := make([]byte, 1000)
	p := make([]byte, 3000)
	var dst [wire.MaxSACKBlocks]wire.SACKBlock
	b.insert(0, make([]byte, 8192))
	b.read(make([]byte, 8192))
	allocs := testing.AllocsPerRun(100, func() {
		b.insert(2000, seg)
		b.insert(1000, seg)
		b.sackBlocks(0, dst[:])
		b.insert(0, seg)
		b.read(p)
	})
	if allocs != 0 {
		t.Fatalf("steady state allocates %.1f times per round", allocs)
	}
}
