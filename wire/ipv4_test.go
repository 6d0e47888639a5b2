package wire

import (
	"errors"
	"net/netip"
	"testing"
)

var (
	testSrc4 = netip.MustParseAddr("192.0.2.1")
	testDst4 = netip.MustParseAddr("198.51.100.7")
	testSrc6 = netip.MustParseAddr("2001:db8::1")
	testDst6 = netip.MustParseAddr("2001:db8:ffff::abcd")
)

// buildIPv4 returns an IPv4 packet carrying payload.
func buildIPv4(payload []byte) []byte {
	b := make([]byte, IPv4MinHeaderLen+len(payload))
	PutIPv4Header(b, testSrc4, testDst4, ProtoTCP, 64, 0x1234, len(payload))
	copy(b[IPv4MinHeaderLen:], payload)
	return b
}

// refreshIPv4Checksum recomputes the header checksum after a test edit.
func refreshIPv4Checksum(b []byte) {
	hl := int(b[0]&0x0f) * 4
	b[10], b[11] = 0, 0
	c := FoldChecksum(Checksum(b[:hl], 0))
	b[10], b[11] = byte(c>>8), byte(c)
}

func TestIPv4RoundTrip(t *testing.T) {
	payload := []byte("hello, world")
	p := IPv4(buildIPv4(payload))
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.HeaderLen() != 20 || p.TotalLen() != 32 || p.Protocol() != ProtoTCP || p.TTL() != 64 || p.ID() != 0x1234 || !p.DontFragment() {
		t.Fatalf("fields: hl %d tl %d proto %d ttl %d id %#x df %v", p.HeaderLen(), p.TotalLen(), p.Protocol(), p.TTL(), p.ID(), p.DontFragment())
	}
	if p.Src() != testSrc4 || p.Dst() != testDst4 {
		t.Fatalf("addresses %v -> %v", p.Src(), p.Dst())
	}
	if string(p.Payload()) != string(payload) {
		t.Fatalf("payload %q", p.Payload())
	}
}

func TestIPv4OptionsAndPadding(t *testing.T) {
	// A header with one word of options (4 NOPs) and two bytes of
	// link-layer padding after the total length.
	b := make([]byte, 24+3+2)
	PutIPv4Header(b, testSrc4, testDst4, ProtoTCP, 1, 0, 0)
	b[0] = 0x46
	b[3] = 24 + 3
	copy(b[20:], []byte{1, 1, 1, 1, 'a', 'b', 'c', 0xee, 0xee})
	refreshIPv4Checksum(b)
	p := IPv4(b)
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.HeaderLen() != 24 || string(p.Payload()) != "abc" {
		t.Fatalf("header len %d payload %q", p.HeaderLen(), p.Payload())
	}
}

func TestIPv4Malformed(t *testing.T) {
	good := buildIPv4([]byte("data"))
	tests := []struct {
		name string
		edit func(b []byte) []byte
		want error
	}{
		{"version 6", func(b []byte) []byte { b[0] = 0x65; return b }, ErrBadVersion},
		{"IHL 4", func(b []byte) []byte { b[0] = 0x44; return b }, ErrBadHeaderLen},
		{"IHL 0", func(b []byte) []byte { b[0] = 0x40; return b }, ErrBadHeaderLen},
		{"IHL past end", func(b []byte) []byte { b[0] = 0x4f; return b }, ErrTruncated},
		{"total below header", func(b []byte) []byte { b[2], b[3] = 0, 19; return b }, ErrBadTotalLen},
		{"total past end", func(b []byte) []byte { b[2], b[3] = 0, 25; return b }, ErrBadTotalLen},
		{"bad checksum", func(b []byte) []byte { b[10] ^= 0x80; return b }, ErrBadChecksum},
		{"MF set", func(b []byte) []byte { b[6] |= 0x20; refreshIPv4Checksum(b); return b }, ErrFragment},
		{"offset set", func(b []byte) []byte { b[7] = 1; refreshIPv4Checksum(b); return b }, ErrFragment},
		{"bad address byte", func(b []byte) []byte { b[15] ^= 1; return b }, ErrBadChecksum},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.edit(append([]byte(nil), good...))
			if err := IPv4(b).Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIPv4TruncatedEveryLength(t *testing.T) {
	good := buildIPv4([]byte("some data"))
	for n := range len(good) {
		if err := IPv4(good[:n]).Validate(); err == nil {
			t.Fatalf("Validate accepted a packet cut to %d of %d bytes", n, len(good))
		}
	}
}
