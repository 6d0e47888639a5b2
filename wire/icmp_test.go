package wire

import (
	"errors"
	"net/netip"
	"testing"
)

// quotedTCP4 returns an IPv4+TCP packet as an ICMP error would quote it:
// the IP header and the first 8 bytes of the TCP header.
func quotedTCP4() []byte {
	seg := buildTCP(TCPHeader{SrcPort: 40000, DstPort: 80, Seq: 0xa1b2c3d4, Flags: FlagSYN}, nil, nil)
	b := make([]byte, IPv4MinHeaderLen+len(seg))
	PutIPv4Header(b, testSrc4, testDst4, ProtoTCP, 64, 1, len(seg))
	copy(b[IPv4MinHeaderLen:], seg)
	return b[:IPv4MinHeaderLen+8]
}

// quotedTCP6 returns an IPv6+TCP packet with a destination options header,
// quoted in full.
func quotedTCP6() []byte {
	seg := buildTCP(TCPHeader{SrcPort: 40001, DstPort: 443, Seq: 7, Flags: FlagACK}, nil, []byte("data"))
	return buildIPv6(ProtoIPv6DestOpts, concat(extHeader(ProtoTCP, 1), seg))
}

func TestICMPv4FragNeededRoundTrip(t *testing.T) {
	q := quotedTCP4()
	b := make([]byte, ICMPHeaderLen+len(q))
	n := PutICMPv4(b, ICMPv4TypeDestUnreachable, ICMPv4CodeFragmentationNeeded, 1400, q)
	m := ICMPv4(b[:n])
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if m.Type() != ICMPv4TypeDestUnreachable || m.Code() != ICMPv4CodeFragmentationNeeded || m.MTU() != 1400 || m.Checksum() == 0 {
		t.Fatalf("type %d code %d mtu %d checksum %#x", m.Type(), m.Code(), m.MTU(), m.Checksum())
	}
	src, dst, proto, sp, dp, seq, err := Quoted(m.Embedded())
	if err != nil || src != testSrc4 || dst != testDst4 || proto != ProtoTCP || sp != 40000 || dp != 80 || seq != 0xa1b2c3d4 {
		t.Fatalf("Quoted = %v %v %d %d %d %#x %v", src, dst, proto, sp, dp, seq, err)
	}
	if !TransportChecksumValid(netip.Addr{}, netip.Addr{}, ProtoICMPv4, m) {
		t.Fatal("TransportChecksumValid rejects a valid ICMPv4 message")
	}
	b[ICMPHeaderLen+3] ^= 1
	if err := m.Validate(); !errors.Is(err, ErrBadChecksum) {
		t.Fatalf("Validate after corruption = %v, want ErrBadChecksum", err)
	}
}

func TestICMPv6PacketTooBigRoundTrip(t *testing.T) {
	q := quotedTCP6()
	b := make([]byte, ICMPHeaderLen+len(q))
	n := PutICMPv6(b, testDst6, testSrc6, ICMPv6TypePacketTooBig, 0, 1280, q)
	m := ICMPv6(b[:n])
	if err := m.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if m.Type() != ICMPv6TypePacketTooBig || m.Code() != 0 || m.MTU() != 1280 {
		t.Fatalf("type %d code %d mtu %d", m.Type(), m.Code(), m.MTU())
	}
	if !TransportChecksumValid(testDst6, testSrc6, ProtoICMPv6, m) {
		t.Fatal("checksum does not verify")
	}
	src, dst, proto, sp, dp, seq, err := Quoted(m.Embedded())
	if err != nil || src != testSrc6 || dst != testDst6 || proto != ProtoTCP || sp != 40001 || dp != 443 || seq != 7 {
		t.Fatalf("Quoted = %v %v %d %d %d %d %v", src, dst, proto, sp, dp, seq, err)
	}
}

func TestICMPTruncated(t *testing.T) {
	for n := range ICMPHeaderLen {
		b := make([]byte, n)
		if err := ICMPv4(b).Validate(); !errors.Is(err, ErrTruncated) {
			t.Fatalf("ICMPv4 len %d: %v", n, err)
		}
		if err := ICMPv6(b).Validate(); !errors.Is(err, ErrTruncated) {
			t.Fatalf("ICMPv6 len %d: %v", n, err)
		}
	}
}

func TestQuotedMalformed(t *testing.T) {
	v4, v6 := quotedTCP4(), quotedTCP6()
	frag := append([]byte(nil), v4...)
	frag[7] = 1
	ihl4 := append([]byte(nil), v4...)
	ihl4[0] = 0x44
	ihlLong := append([]byte(nil), v4...)
	ihlLong[0] = 0x4f
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"version 5", []byte{0x50, 0, 0, 0}, ErrBadVersion},
		{"IPv4 short header", v4[:19], ErrTruncated},
		{"IPv4 IHL 4", ihl4, ErrBadHeaderLen},
		{"IPv4 IHL past end", ihlLong, ErrTruncated},
		{"IPv4 7 transport bytes", v4[:27], ErrTruncated},
		{"IPv4 non-first fragment", frag, ErrFragment},
		{"IPv6 short header", v6[:39], ErrTruncated},
		{"IPv6 ext header cut", v6[:45], ErrBadExtHeader},
		{"IPv6 7 transport bytes", v6[:40+8+7], ErrTruncated},
		{"IPv6 fragment", buildIPv6(ProtoIPv6Fragment, make([]byte, 16)), ErrFragment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, _, _, _, _, _, err := Quoted(tt.b); !errors.Is(err, tt.want) {
				t.Fatalf("Quoted = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestQuotedEveryLength(t *testing.T) {
	for _, q := range [][]byte{quotedTCP4(), quotedTCP6()} {
		need := len(q) - len("data") - TCPMinHeaderLen + 8 // headers plus 8 transport bytes
		if q[0]>>4 == 4 {
			need = len(q)
		}
		for n := range len(q) + 1 {
			_, _, _, _, _, _, err := Quoted(q[:n])
			if (err == nil) != (n >= need) {
				t.Fatalf("version %d, %d of %d bytes: err %v", q[0]>>4, n, len(q), err)
			}
		}
	}
}

func TestQuotedAllocs(t *testing.T) {
	q := quotedTCP6()
	if n := testing.AllocsPerRun(100, func() { _, _, _, _, _, _, _ = Quoted(q) }); n != 0 {
		t.Fatalf("Quoted allocates %v times per run", n)
	}
}
