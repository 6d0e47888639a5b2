package wire

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// The fused copy and sum equals a copy followed by Checksum for every
// length up to a few 64-byte blocks past the unrolled loop, every
// alignment of source and destination, and several initial sums; it
// writes exactly len(src) bytes.
func TestCopyChecksumMatchesChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	src := make([]byte, 400)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	dst := make([]byte, 420)
	for _, initial := range []uint32{0, 1, 0xffff, 0x1fffe, 0xffffffff} {
		for n := 0; n <= 300; n++ {
			for so := range 8 {
				for do := range 8 {
					for i := range dst {
						dst[i] = 0xa5
					}
					s := src[so : so+n]
					got := CopyChecksum(dst[do:], s, initial)
					if want := Checksum(s, initial); got != want {
						t.Fatalf("len %d src+%d dst+%d initial %#x: sum %#x, want %#x", n, so, do, initial, got, want)
					}
					if !bytes.Equal(dst[do:do+n], s) {
						t.Fatalf("len %d src+%d dst+%d: copy differs", n, so, do)
					}
					for i, b := range dst {
						if (i < do || i >= do+n) && b != 0xa5 {
							t.Fatalf("len %d src+%d dst+%d: byte %d outside the copy written", n, so, do, i)
						}
					}
				}
			}
		}
	}
}

// Large random blocks, at odd offsets, against the textbook loop.
func TestCopyChecksumLarge(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	src := make([]byte, 70000)
	for i := range src {
		src[i] = byte(r.Uint32())
	}
	dst := make([]byte, len(src))
	for range 200 {
		off := r.IntN(64)
		n := r.IntN(len(src) - off)
		initial := r.Uint32()
		got := FoldChecksum(CopyChecksum(dst, src[off:off+n], initial))
		if want := naiveSum(src[off:off+n], initial); got != want {
			t.Fatalf("off %d len %d: %#04x, want %#04x", off, n, got, want)
		}
	}
}

// Splitting data at any point, even or odd, and combining the two sums
// gives the sum of the whole.
func TestCombineChecksum(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	b := make([]byte, 300)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for _, fill := range []byte{0, 0xff} {
		allSame := bytes.Repeat([]byte{fill}, 300)
		for _, data := range [][]byte{b, allSame} {
			for n := 0; n <= len(data); n += 1 + n/40 {
				d := data[:n]
				for k := 0; k <= n; k++ {
					initial := r.Uint32()
					got := FoldChecksum(CombineChecksum(Checksum(d[:k], initial), Checksum(d[k:], 0), k))
					if want := naiveSum(d, initial); got != want {
						t.Fatalf("len %d split %d: %#04x, want %#04x", n, k, got, want)
					}
				}
			}
		}
	}
}

func FuzzCopyChecksum(f *testing.F) {
	f.Add([]byte{0xff, 0xff, 0x01}, uint32(0xffff), uint8(1), uint16(2))
	f.Add(bytes.Repeat([]byte{0xff}, 200), uint32(0xffffffff), uint8(7), uint16(65))
	f.Fuzz(func(t *testing.T, b []byte, initial uint32, align uint8, split uint16) {
		a := int(align % 8)
		dst := make([]byte, len(b)+a)
		got := CopyChecksum(dst[a:], b, initial)
		if FoldChecksum(got) != naiveSum(b, initial) || !bytes.Equal(dst[a:], b) {
			t.Fatalf("CopyChecksum disagrees with the textbook sum or did not copy")
		}
		k := int(split) % (len(b) + 1)
		if FoldChecksum(CombineChecksum(Checksum(b[:k], initial), Checksum(b[k:], 0), k)) != naiveSum(b, initial) {
			t.Fatalf("CombineChecksum at %d disagrees", k)
		}
	})
}

func BenchmarkCopyChecksum64K(b *testing.B) {
	src, dst := make([]byte, 65536), make([]byte, 65536)
	b.SetBytes(int64(len(src)))
	for range b.N {
		CopyChecksum(dst, src, 0)
	}
}

func BenchmarkCopyThenChecksum64K(b *testing.B) {
	src, dst := make([]byte, 65536), make([]byte, 65536)
	b.SetBytes(int64(len(src)))
	for range b.N {
		copy(dst, src)
		Checksum(dst, 0)
	}
}

// Over a 8 MiB ring, beyond the caches of small machines, as a TCP buffer.
func BenchmarkCopyChecksumRing(b *testing.B) {
	src, dst := make([]byte, 8<<20), make([]byte, 65536)
	b.SetBytes(int64(len(dst)))
	off := 0
	for range b.N {
		CopyChecksum(dst, src[off:off+len(dst)], 0)
		off = (off + len(dst)) % len(src)
	}
}

func BenchmarkCopyThenChecksumRing(b *testing.B) {
	src, dst := make([]byte, 8<<20), make([]byte, 65536)
	b.SetBytes(int64(len(dst)))
	off := 0
	for range b.N {
		copy(dst, src[off:off+len(dst)])
		Checksum(dst, 0)
		off = (off + len(dst)) % len(src)
	}
}
