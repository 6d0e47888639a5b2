package tcp

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/synack-net/synack/wire"
)

// A receive buffer fed through stage behaves exactly as one fed by insert
// alone: the same advances and the same bytes read, in order, out of
// order, across the ring's end, and when a staged segment is then dropped
// (its checksum failed) and never inserted. stage's sum is the checksum of
// the data, and it refuses what it may not place.
func TestRecvBufferStageMatchesInsert(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	var plain, staged recvBuffer
	plain.setLimit(1000) // not a power of two, so the ring wraps anywhere
	staged.setLimit(1000)
	stream := make([]byte, 1<<20)
	for i := range stream {
		stream[i] = byte(rng.Intn(256))
	}
	base, stagedCount := 0, 0 // stream offset of RCV.NXT
	for range 20000 {
		w := plain.window()
		if w == 0 {
			t.Fatal("window closed")
		}
		off, n := rng.Intn(w), 1+rng.Intn(300)
		if rng.Intn(3) == 0 {
			off = 0 // in order
		}
		n = min(n, w-off)
		data := stream[base+off : base+off+n]
		dropped := rng.Intn(10) == 0
		into := data
		if cp, sum, ok := staged.stage(off, append([]byte(nil), data...)); ok {
			stagedCount++
			if !bytes.Equal(cp, data) || wire.FoldChecksum(sum) != wire.FoldChecksum(wire.Checksum(data, 0)) {
				t.Fatalf("stage(%d, %d bytes): copy or sum wrong", off, n)
			}
			into = cp
		}
		if dropped {
			continue
		}
		a1, ok1 := plain.insert(off, data)
		a2, ok2 := staged.insert(off, into)
		if a1 != a2 || ok1 != ok2 {
			t.Fatalf("insert(%d, %d bytes): plain %d %v, staged %d %v", off, n, a1, ok1, a2, ok2)
		}
		base += a1
		k := rng.Intn(plain.readable() + 1)
		p1, p2 := make([]byte, k), make([]byte, k)
		if plain.read(p1) != k || staged.read(p2) != k || !bytes.Equal(p1, p2) {
			t.Fatalf("read %d bytes: plain %v, staged %v", k, p1, p2)
		}
		if base+1000 > len(stream) {
			break
		}
	}
	if stagedCount < 1000 {
		t.Fatalf("only %d segments staged", stagedCount)
	}
}

func TestRecvBufferStageRefuses(t *testing.T) {
	var b recvBuffer
	b.setLimit(100)
	if _, _, ok := b.stage(0, make([]byte, 10)); ok {
		t.Fatal("staged into a buffer with no storage")
	}
	b.insert(0, make([]byte, 60)) // storage of 100 bytes, 60 unread
	if _, _, ok := b.stage(0, make([]byte, 41)); ok {
		t.Fatal("staged beyond the window")
	}
	b.insert(20, make([]byte, 5)) // out of order at [20, 25)
	for _, r := range [][2]int{{15, 10}, {24, 3}, {18, 2 + 1}} {
		if _, _, ok := b.stage(r[0], make([]byte, r[1])); ok {
			t.Fatalf("staged [%d, %d) over the range [20, 25)", r[0], r[0]+r[1])
		}
	}
	if _, _, ok := b.stage(25, make([]byte, 10)); !ok {
		t.Fatal("refused [25, 35), which touches a range but overlaps none")
	}
	p := make([]byte, 50)
	b.read(p) // head at 50: offsets past 40 wrap
	if _, _, ok := b.stage(30, make([]byte, 20)); ok {
		t.Fatal("staged across the ring's end")
	}
}

// A receive limit raised within the storage held lengthens the ring in
// place, keeping unread and out-of-order bytes where a reader and later
// inserts expect them.
func TestRecvBufferGrowsInPlace(t *testing.T) {
	var b recvBuffer
	b.setLimit(3000)
	stream := make([]byte, 9000)
	for i := range stream {
		stream[i] = byte(i*7 + i/251)
	}
	b.insert(0, stream[:2800])
	b.read(make([]byte, 2500))       // head at 2,500, 300 unread
	b.insert(0, stream[2800:4500])   // in order: wraps past the end of 3,000
	b.insert(100, stream[4600:4700]) // out of order
	st := b.storage
	b.setLimit(4000)
	if adv, ok := b.insert(500, stream[5000:6500]); !ok || adv != 0 {
		t.Fatalf("insert that grows the ring: advance %d %v, want 0 true", adv, ok)
	}
	if b.storage != st || len(b.buf) != 4000 {
		t.Fatalf("storage replaced (%v) or ring of %d bytes, want the same storage at 4000", b.storage != st, len(b.buf))
	}
	b.insert(0, stream[4500:4600])
	if adv, ok := b.insert(0, stream[4700:5000]); !ok || adv != 1800 {
		t.Fatalf("filling the last hole: advance %d %v, want 1800 true", adv, ok)
	}
	got := make([]byte, 5000)
	if n := b.read(got); n != 4000 || !bytes.Equal(got[:n], stream[2500:6500]) {
		t.Fatalf("read %d bytes, want stream[2500:6500] in order", n)
	}
}
