package wire

import "testing"

// TestHotPathAllocs asserts that parsing and building a packet on the
// receive and send paths allocate nothing.
func TestHotPathAllocs(t *testing.T) {
	seg := buildTCP(TCPHeader{SrcPort: 1, DstPort: 2, Flags: FlagACK}, &TCPOptions{HasTS: true, TSVal: 1}, []byte("data"))
	v4 := buildIPv4(seg)
	v6 := buildIPv6(ProtoIPv6HopByHop, concat(extHeader(ProtoTCP, 1), seg))
	q := quotedTCP4()
	icmp := make([]byte, ICMPHeaderLen+len(q))
	PutICMPv4(icmp, ICMPv4TypeDestUnreachable, ICMPv4CodePortUnreachable, 0, q)
	out := make([]byte, 1500)
	var o TCPOptions
	n := testing.AllocsPerRun(100, func() {
		if IPv4(v4).Validate() != nil || IPv6(v6).Validate() != nil || ICMPv4(icmp).Validate() != nil {
			t.Fatal("validation failed")
		}
		_, up := IPv6(v6).UpperLayer()
		_ = TCP(up).ParseOptions(&o)
		_ = IPv4(v4).Src()
		_ = IPv6(v6).Dst()
		_, _, _, _, _, _, _ = Quoted(ICMPv4(icmp).Embedded())
		PutIPv4Header(out, testSrc4, testDst4, ProtoTCP, 64, 1, 20)
		PutIPv6Header(out, testSrc6, testDst6, ProtoTCP, 64, 20)
		h := PutTCPHeader(out[IPv6HeaderLen:], TCPHeader{Flags: FlagACK}, &o)
		TCP(out[IPv6HeaderLen:]).SetChecksum(TransportChecksum(testSrc6, testDst6, ProtoTCP, out[IPv6HeaderLen:IPv6HeaderLen+h]))
	})
	if n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}
