package wire

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/synack-net/synack/internal/fuzzseed"
)

// FuzzIPHeaders builds IPv4 and IPv6 headers from fuzzed fields
// (serialize), parses them back and checks every field survives, for a
// payload of fuzzed bytes: the round trip the host's output path takes.
// The input: 16 address bytes each for source and destination, then
// protocol, TTL, a 2-byte ID, and the payload.
func FuzzIPHeaders(f *testing.F) {
	fuzzseed.Bytes(f,
		append(append(make([]byte, 32), ProtoTCP, 64, 0, 1), "payload"...),
		append([]byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
			ProtoICMPv6, 255, 0xff, 0xff}, make([]byte, 40)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 36 || len(b) > 36+9000 {
			return
		}
		src16, dst16 := netip.AddrFrom16([16]byte(b[0:16])), netip.AddrFrom16([16]byte(b[16:32]))
		proto, ttl, id, payload := b[32], b[33], binary.BigEndian.Uint16(b[34:]), b[36:]

		v4 := make([]byte, IPv4MinHeaderLen+len(payload))
		src4, dst4 := netip.AddrFrom4([4]byte(b[0:4])), netip.AddrFrom4([4]byte(b[16:20]))
		PutIPv4Header(v4, src4, dst4, proto, ttl, id, len(payload))
		copy(v4[IPv4MinHeaderLen:], payload)
		p := IPv4(v4)
		if err := p.Validate(); err != nil {
			t.Fatalf("built IPv4 header does not validate: %v", err)
		}
		if p.Src() != src4 || p.Dst() != dst4 || p.Protocol() != proto || p.TTL() != ttl || p.ID() != id ||
			!p.DontFragment() || string(p.Payload()) != string(payload) {
			t.Fatalf("IPv4 round trip: %v %v %d %d %d %q", p.Src(), p.Dst(), p.Protocol(), p.TTL(), p.ID(), p.Payload())
		}

		v6 := make([]byte, IPv6HeaderLen+len(payload))
		PutIPv6Header(v6, src16, dst16, proto, ttl, len(payload))
		copy(v6[IPv6HeaderLen:], payload)
		q := IPv6(v6)
		if err := q.Validate(); err != nil {
			return // an extension header chain in the payload may be malformed
		}
		if q.Src() != src16 || q.Dst() != dst16 || q.NextHeader() != proto || q.HopLimit() != ttl ||
			q.PayloadLen() != len(payload) || string(q.Payload()) != string(payload) {
			t.Fatalf("IPv6 round trip: %v %v %d %d %q", q.Src(), q.Dst(), q.NextHeader(), q.HopLimit(), q.Payload())
		}
	})
}

// FuzzTransportChecksum stores TransportChecksum in a fuzzed TCP segment,
// ICMPv4 or ICMPv6 message and checks that TransportChecksumValid accepts
// it, in both address families, and rejects the segment with any one bit
// of it flipped (the Internet checksum catches every single-bit error,
// RFC 1071 §2). The input: a byte picking the protocol, the family and the
// bit to flip, then the segment.
func FuzzTransportChecksum(f *testing.F) {
	seeds := [][]byte{}
	for i, s := range seedSegments()[:3] {
		seeds = append(seeds, append([]byte{byte(i * 37)}, s...))
	}
	fuzzseed.Bytes(f, append(seeds, []byte{1, 8, 0, 0, 0, 0, 0, 0, 0, 'p', 'i', 'n', 'g'})...)
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 1+ICMPHeaderLen || len(b) > 1+9000 {
			return
		}
		sel, seg := b[0], append([]byte(nil), b[1:]...)
		proto := [3]uint8{ProtoTCP, ProtoICMPv4, ProtoICMPv6}[int(sel&3)%3]
		field := 2 // ICMP
		if proto == ProtoTCP {
			if len(seg) < TCPMinHeaderLen {
				return
			}
			field = 16
		}
		src, dst := testSrc6, testDst6
		if sel&4 != 0 {
			src, dst = netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("198.51.100.2")
		}
		binary.BigEndian.PutUint16(seg[field:], 0)
		binary.BigEndian.PutUint16(seg[field:], TransportChecksum(src, dst, proto, seg))
		if !TransportChecksumValid(src, dst, proto, seg) {
			t.Fatalf("%d bytes, protocol %d: the checksum TransportChecksum stored does not verify", len(seg), proto)
		}
		bit := int(sel>>3) * 8191 % (len(seg) * 8)
		seg[bit/8] ^= 1 << (bit % 8)
		if TransportChecksumValid(src, dst, proto, seg) {
			t.Fatalf("%d bytes, protocol %d: bit %d flipped and the checksum still verifies", len(seg), proto, bit)
		}
	})
}
