package wire

import (
	"encoding/binary"
	"net/netip"
	"testing"
)

// fuzzOptions are encoder-built option sets used to seed the corpora.
var fuzzOptions = []TCPOptions{
	{},
	{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, TSVal: 1, TSEcr: 0, HasTS: true},
	{MSS: 1220, HasMSS: true, SACKPermitted: true},
	{TSVal: 0xffffffff, TSEcr: 1, HasTS: true, NumSACK: 3, SACK: [MaxSACKBlocks]SACKBlock{{1, 2}, {3, 4}, {5, 6}}},
	{NumSACK: 4, SACK: [MaxSACKBlocks]SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}},
	{WScale: 15, HasWScale: true},
}

func seedSegments() [][]byte {
	var segs [][]byte
	for i, o := range fuzzOptions {
		segs = append(segs, buildTCP(TCPHeader{SrcPort: uint16(i), DstPort: 80, Seq: 1, Ack: 2, Flags: FlagACK | FlagPSH, Window: 512}, &o, []byte("xyz")[:i%4]))
	}
	return segs
}

// checkTCP calls every accessor of a validated segment and checks that its
// header survives a rebuild.
func checkTCP(t *testing.T, b TCP) {
	var o TCPOptions
	if err := b.ParseOptions(&o); err != nil {
		t.Fatalf("ParseOptions failed after Validate: %v", err)
	}
	h := TCPHeader{SrcPort: b.SrcPort(), DstPort: b.DstPort(), Seq: b.Seq(), Ack: b.Ack(), Flags: b.Flags(), Window: b.Window(), Urgent: b.Urgent()}
	_ = b.Checksum()
	if b.DataOffset() < TCPMinHeaderLen || len(b.Options())+TCPMinHeaderLen+len(b.Payload()) != len(b) {
		t.Fatalf("data offset %d, options %d, payload %d, len %d", b.DataOffset(), len(b.Options()), len(b.Payload()), len(b))
	}
	re := TCP(make([]byte, TCPMaxHeaderLen))
	re = re[:PutTCPHeader(re, h, &o)]
	if err := re.Validate(); err != nil {
		t.Fatalf("rebuilt header does not validate: %v", err)
	}
	var ro TCPOptions
	if err := re.ParseOptions(&ro); err != nil || ro != encodable(o) {
		t.Fatalf("rebuilt options %+v, %v; want %+v", ro, err, encodable(o))
	}
	if rh := (TCPHeader{SrcPort: re.SrcPort(), DstPort: re.DstPort(), Seq: re.Seq(), Ack: re.Ack(), Flags: re.Flags(), Window: re.Window(), Urgent: re.Urgent()}); rh != h {
		t.Fatalf("rebuilt header %+v, want %+v", rh, h)
	}
}

// encodable is o as it decodes after AppendTo: SACK blocks beyond the 40
// option bytes are left out.
func encodable(o TCPOptions) TCPOptions {
	k := o.sackBlocks(o.baseLen())
	o.NumSACK = k
	for i := k; i < MaxSACKBlocks; i++ {
		o.SACK[i] = SACKBlock{}
	}
	return o
}

func FuzzTCPOptions(f *testing.F) {
	for _, o := range fuzzOptions {
		f.Add(o.AppendTo(nil))
	}
	f.Add([]byte{30, 4, 0, 0, 1, 0, 2, 4})
	f.Fuzz(func(t *testing.T, b []byte) {
		var o TCPOptions
		if err := ParseTCPOptions(b, &o); err != nil {
			if o != (TCPOptions{}) {
				t.Fatalf("options set after error %v: %+v", err, o)
			}
			return
		}
		enc := o.AppendTo(nil)
		if len(enc) != o.Len() || len(enc)%4 != 0 || len(enc) > TCPMaxOptionsLen {
			t.Fatalf("encoded %d bytes, Len %d", len(enc), o.Len())
		}
		var p TCPOptions
		if err := ParseTCPOptions(enc, &p); err != nil {
			t.Fatalf("re-parse of % x: %v", enc, err)
		}
		if want := encodable(o); p != want {
			t.Fatalf("re-parsed %+v, want %+v", p, want)
		}
	})
}

func FuzzTCP(f *testing.F) {
	for _, s := range seedSegments() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if TCP(b).Validate() != nil {
			return
		}
		checkTCP(t, TCP(b))
	})
}

func FuzzIPv4(f *testing.F) {
	for _, s := range seedSegments() {
		f.Add(buildIPv4(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkIPv4(t, b)
		// A random header checksum rarely verifies; repair it in a copy
		// so that the fuzzer also reaches the checks behind it.
		if len(b) >= IPv4MinHeaderLen && b[0]&0x0f >= 5 && int(b[0]&0x0f)*4 <= len(b) {
			c := append([]byte(nil), b...)
			refreshIPv4Checksum(c)
			checkIPv4(t, c)
		}
	})
}

// checkIPv4 validates b and, if it is valid, calls every accessor.
func checkIPv4(t *testing.T, b []byte) {
	p := IPv4(b)
	if p.Validate() != nil {
		return
	}
	_, _, _, _, _, _ = p.TTL(), p.ID(), p.Checksum(), p.DontFragment(), p.Src(), p.Dst()
	if p.HeaderLen() < IPv4MinHeaderLen || len(p.Payload()) != p.TotalLen()-p.HeaderLen() {
		t.Fatalf("header %d total %d payload %d", p.HeaderLen(), p.TotalLen(), len(p.Payload()))
	}
	if p.Protocol() == ProtoTCP && TCP(p.Payload()).Validate() == nil {
		checkTCP(t, TCP(p.Payload()))
	}
}

func FuzzIPv6(f *testing.F) {
	for _, s := range seedSegments() {
		f.Add(buildIPv6(ProtoTCP, s))
		f.Add(buildIPv6(ProtoIPv6HopByHop, concat(extHeader(ProtoIPv6Routing, 1), extHeader(ProtoTCP, 2), s)))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p := IPv6(b)
		if p.Validate() != nil {
			return
		}
		_, _, _, _ = p.Src(), p.Dst(), p.HopLimit(), p.NextHeader()
		proto, up := p.UpperLayer()
		if up == nil {
			t.Fatal("UpperLayer returned nil after Validate")
		}
		if len(up) > len(p.Payload()) || len(p.Payload()) != p.PayloadLen() {
			t.Fatalf("upper layer %d bytes, payload %d, payload length %d", len(up), len(p.Payload()), p.PayloadLen())
		}
		if proto == ProtoTCP && TCP(up).Validate() == nil {
			checkTCP(t, TCP(up))
		}
	})
}

// checkQuoted decodes an ICMP error body and checks that a success reports
// addresses of one family.
func checkQuoted(t *testing.T, embedded []byte) {
	src, dst, _, _, _, _, err := Quoted(embedded)
	if err == nil && (!src.IsValid() || src.Is4() != dst.Is4()) {
		t.Fatalf("Quoted succeeded with addresses %v, %v", src, dst)
	}
}

func FuzzICMPv4(f *testing.F) {
	q := quotedTCP4()
	for _, code := range []uint8{ICMPv4CodePortUnreachable, ICMPv4CodeFragmentationNeeded} {
		b := make([]byte, ICMPHeaderLen+len(q))
		PutICMPv4(b, ICMPv4TypeDestUnreachable, code, 576, q)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkICMPv4(t, b)
		// Repair the checksum in a copy to reach the checks behind it.
		if len(b) >= ICMPHeaderLen {
			c := append([]byte(nil), b...)
			PutICMPv4(c, c[0], c[1], binary.BigEndian.Uint32(c[4:]), b[ICMPHeaderLen:])
			if err := ICMPv4(c).Validate(); err != nil {
				t.Fatalf("Validate after PutICMPv4: %v", err)
			}
			checkICMPv4(t, c)
		}
	})
}

// checkICMPv4 validates b and, if it is valid, calls every accessor.
func checkICMPv4(t *testing.T, b []byte) {
	m := ICMPv4(b)
	if m.Validate() != nil {
		return
	}
	_, _, _, _ = m.Type(), m.Code(), m.MTU(), m.Checksum()
	if !TransportChecksumValid(netip.Addr{}, netip.Addr{}, ProtoICMPv4, b) {
		t.Fatal("Validate and TransportChecksumValid disagree")
	}
	checkQuoted(t, m.Embedded())
}

func FuzzICMPv6(f *testing.F) {
	q := quotedTCP6()
	for _, tc := range [][2]uint8{{ICMPv6TypePacketTooBig, 0}, {ICMPv6TypeDestUnreachable, ICMPv6CodePortUnreachable}} {
		b := make([]byte, ICMPHeaderLen+len(q))
		PutICMPv6(b, testDst6, testSrc6, tc[0], tc[1], 1280, q)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m := ICMPv6(b)
		if m.Validate() != nil {
			return
		}
		_, _, _, _ = m.Type(), m.Code(), m.MTU(), m.Checksum()
		checkQuoted(t, m.Embedded())
	})
}

func FuzzChecksum(f *testing.F) {
	f.Add([]byte{0xff, 0xff, 0x00, 0x01, 0x80}, uint32(0))
	f.Add(make([]byte, 1500), uint32(0xffffffff))
	f.Fuzz(func(t *testing.T, b []byte, initial uint32) {
		if got, want := FoldChecksum(Checksum(b, initial)), naiveSum(b, initial); got != want {
			t.Fatalf("len %d initial %#x: got %#04x, want %#04x", len(b), initial, got, want)
		}
	})
}
