package wire

import (
	"math/rand/v2"
	"net/netip"
	"testing"
)

// naiveSum is the textbook RFC 1071 loop: 16-bit words, one at a time.
func naiveSum(b []byte, initial uint32) uint16 {
	sum := uint64(initial)
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint64(b[i])<<8 | uint64(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint64(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

func TestChecksumRFC1071Example(t *testing.T) {
	// RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if got := FoldChecksum(Checksum(b, 0)); got != ^uint16(0xddf2) {
		t.Fatalf("FoldChecksum = %#04x, want %#04x", got, ^uint16(0xddf2))
	}
}

func TestChecksumMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for range 20000 {
		off := r.IntN(16)
		n := r.IntN(len(buf) - off)
		if r.IntN(4) == 0 {
			n = r.IntN(80) // many short and odd tails
		}
		var initial uint32
		switch r.IntN(3) {
		case 1:
			initial = r.Uint32()
		case 2:
			initial = 0xffffffff
		}
		b := buf[off : off+n]
		if got, want := FoldChecksum(Checksum(b, initial)), naiveSum(b, initial); got != want {
			t.Fatalf("off %d len %d initial %#x: got %#04x, want %#04x", off, n, initial, got, want)
		}
	}
}

func TestChecksumAllOnesCarries(t *testing.T) {
	// All 0xff bytes drive every addition into a carry.
	for n := range 200 {
		b := make([]byte, n)
		for i := range b {
			b[i] = 0xff
		}
		if got, want := FoldChecksum(Checksum(b, 0xffffffff)), naiveSum(b, 0xffffffff); got != want {
			t.Fatalf("len %d: got %#04x, want %#04x", n, got, want)
		}
	}
}

func TestChecksumChaining(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	b := make([]byte, 1501)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	for split := 0; split < len(b); split += 2 {
		if got, want := FoldChecksum(Checksum(b[split:], Checksum(b[:split], 0))), naiveSum(b, 0); got != want {
			t.Fatalf("split %d: got %#04x, want %#04x", split, got, want)
		}
	}
}

func TestPseudoHeaderSum(t *testing.T) {
	tests := []struct {
		name     string
		src, dst string
		raw      []byte // the pseudo-header laid out as on the wire
	}{
		{"ipv4", "192.0.2.1", "198.51.100.7", []byte{
			192, 0, 2, 1, 198, 51, 100, 7, 0, 6, 0x05, 0xdc,
		}},
		{"ipv4-mapped", "::ffff:192.0.2.1", "::ffff:198.51.100.7", []byte{
			192, 0, 2, 1, 198, 51, 100, 7, 0, 6, 0x05, 0xdc,
		}},
		{"ipv6", "2001:db8::1", "2001:db8:ffff::abcd", []byte{
			0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
			0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd,
			0, 0, 0x05, 0xdc, 0, 0, 0, 6,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FoldChecksum(PseudoHeaderSum(netip.MustParseAddr(tt.src), netip.MustParseAddr(tt.dst), ProtoTCP, 1500))
			if want := naiveSum(tt.raw, 0); got != want {
				t.Fatalf("got %#04x, want %#04x", got, want)
			}
		})
	}
}

func TestTransportChecksumRoundTrip(t *testing.T) {
	src, dst := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	seg := make([]byte, 41)
	PutTCPHeader(seg, TCPHeader{SrcPort: 1, DstPort: 2, Seq: 3, Flags: FlagSYN}, nil)
	seg[40] = 0xab
	TCP(seg).SetChecksum(TransportChecksum(src, dst, ProtoTCP, seg))
	if !TransportChecksumValid(src, dst, ProtoTCP, seg) {
		t.Fatal("checksum just computed does not verify")
	}
	seg[40] ^= 1
	if TransportChecksumValid(src, dst, ProtoTCP, seg) {
		t.Fatal("checksum verifies after a bit flip")
	}
	seg[40] ^= 1
	if TransportChecksumValid(dst, src, ProtoICMPv6, seg) {
		t.Fatal("checksum verifies under another protocol's pseudo-header")
	}
}

func TestChecksumAllocs(t *testing.T) {
	b := make([]byte, 1500)
	src, dst := netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")
	if n := testing.AllocsPerRun(100, func() {
		_ = TransportChecksumValid(src, dst, ProtoTCP, b)
	}); n != 0 {
		t.Fatalf("TransportChecksumValid allocates %v times per run", n)
	}
}

func BenchmarkChecksum1500(b *testing.B) {
	buf := make([]byte, 1500)
	for i := range buf {
		buf[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		_ = Checksum(buf, 0)
	}
}

func BenchmarkChecksum1500Naive(b *testing.B) {
	buf := make([]byte, 1500)
	b.SetBytes(int64(len(buf)))
	for b.Loop() {
		_ = naiveSum(buf, 0)
	}
}
