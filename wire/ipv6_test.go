package wire

import (
	"errors"
	"testing"
)

// buildIPv6 returns an IPv6 packet whose payload (extension headers
// included) is payload and whose first Next Header is nh.
func buildIPv6(nh uint8, payload []byte) []byte {
	b := make([]byte, IPv6HeaderLen+len(payload))
	PutIPv6Header(b, testSrc6, testDst6, nh, 255, len(payload))
	copy(b[IPv6HeaderLen:], payload)
	return b
}

// extHeader returns an 8n-byte extension header with next header nh.
func extHeader(nh uint8, words int) []byte {
	h := make([]byte, 8*words)
	h[0], h[1] = nh, byte(words-1)
	return h
}

func concat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func TestIPv6RoundTrip(t *testing.T) {
	p := IPv6(buildIPv6(ProtoTCP, []byte("segment")))
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.Src() != testSrc6 || p.Dst() != testDst6 || p.HopLimit() != 255 || p.PayloadLen() != 7 || p.NextHeader() != ProtoTCP {
		t.Fatalf("fields: %v -> %v hop %d len %d nh %d", p.Src(), p.Dst(), p.HopLimit(), p.PayloadLen(), p.NextHeader())
	}
	proto, payload := p.UpperLayer()
	if proto != ProtoTCP || string(payload) != "segment" {
		t.Fatalf("UpperLayer = %d %q", proto, payload)
	}
}

func TestIPv6ExtensionChain(t *testing.T) {
	payload := concat(
		extHeader(ProtoIPv6Routing, 1),
		extHeader(ProtoIPv6DestOpts, 3),
		extHeader(ProtoTCP, 2),
		[]byte("tcp bytes"),
	)
	b := append(buildIPv6(ProtoIPv6HopByHop, payload), 0, 0, 0) // plus padding
	p := IPv6(b)
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	proto, up := p.UpperLayer()
	if proto != ProtoTCP || string(up) != "tcp bytes" {
		t.Fatalf("UpperLayer = %d %q", proto, up)
	}
}

func TestIPv6NoNextHeader(t *testing.T) {
	p := IPv6(buildIPv6(ProtoIPv6DestOpts, concat(extHeader(ProtoIPv6NoNext, 1))))
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if proto, up := p.UpperLayer(); proto != ProtoIPv6NoNext || len(up) != 0 {
		t.Fatalf("UpperLayer = %d %q", proto, up)
	}
}

func TestIPv6Malformed(t *testing.T) {
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"version 4", func() []byte { b := buildIPv6(ProtoTCP, nil); b[0] = 0x40; return b }(), ErrBadVersion},
		{"payload past end", func() []byte { b := buildIPv6(ProtoTCP, []byte("ab")); b[5] = 3; return b }(), ErrBadTotalLen},
		{"fragment header", buildIPv6(ProtoIPv6Fragment, extHeader(ProtoTCP, 1)), ErrFragment},
		{"fragment after dest opts", buildIPv6(ProtoIPv6DestOpts, concat(extHeader(ProtoIPv6Fragment, 1), extHeader(ProtoTCP, 1))), ErrFragment},
		{"hop-by-hop not first", buildIPv6(ProtoIPv6DestOpts, concat(extHeader(ProtoIPv6HopByHop, 1), extHeader(ProtoTCP, 1))), ErrBadExtHeader},
		{"ext header past payload", buildIPv6(ProtoIPv6Routing, extHeader(ProtoTCP, 1)[:7]), ErrBadExtHeader},
		{"ext length past payload", func() []byte {
			h := extHeader(ProtoTCP, 1)
			h[1] = 1 // claims 16 bytes, has 8
			return buildIPv6(ProtoIPv6Routing, h)
		}(), ErrBadExtHeader},
		{"ext header one byte", buildIPv6(ProtoIPv6HopByHop, []byte{ProtoTCP}), ErrBadExtHeader},
		{"empty chain", buildIPv6(ProtoIPv6HopByHop, nil), ErrBadExtHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := IPv6(tt.b).Validate(); !errors.Is(err, tt.want) {
				t.Fatalf("Validate = %v, want %v", err, tt.want)
			}
			if tt.want != ErrBadExtHeader && tt.want != ErrFragment {
				return
			}
			// The fixed header is sound, so UpperLayer is safe to call and
			// must not hand out bytes past a broken chain.
			if proto, up := IPv6(tt.b).UpperLayer(); up != nil {
				t.Fatalf("UpperLayer on a bad chain = %d %q, want nil payload", proto, up)
			}
		})
	}
}

func TestIPv6TruncatedEveryLength(t *testing.T) {
	good := buildIPv6(ProtoIPv6HopByHop, concat(extHeader(ProtoTCP, 1), []byte("xyz")))
	for n := range len(good) {
		if err := IPv6(good[:n]).Validate(); err == nil {
			t.Fatalf("Validate accepted a packet cut to %d of %d bytes", n, len(good))
		}
	}
}
