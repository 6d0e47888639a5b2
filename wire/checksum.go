package wire

import (
	"encoding/binary"
	"math/bits"
	"net/netip"
)

// Checksum adds the bytes of b, taken as big-endian 16-bit words, to the
// running one's complement sum initial and returns the new running sum,
// unfolded (RFC 1071 §1). An odd final byte is padded with a zero byte
// (RFC 9293 §3.1). Sums can be chained: Checksum(b2, Checksum(b1, 0)) equals
// the sum over b1 followed by b2 provided len(b1) is even. Pass the result to
// FoldChecksum to get the value for a header.
//
// The loop adds 64-bit words with an end-around carry; since 2^16 ≡ 1 modulo
// 2^16−1, that is the same one's complement sum as adding 16-bit words one by
// one (RFC 1071 §2(B), "parallel summation"), at a quarter of the additions.
func Checksum(b []byte, initial uint32) uint32 {
	sum := uint64(initial)
	var carry uint64
	for len(b) >= 32 {
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[0:8]), carry)
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[8:16]), carry)
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[16:24]), carry)
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b[24:32]), carry)
		b = b[32:]
	}
	for len(b) >= 8 {
		sum, carry = bits.Add64(sum, binary.BigEndian.Uint64(b), carry)
		b = b[8:]
	}
	if len(b) >= 4 {
		sum, carry = bits.Add64(sum, uint64(binary.BigEndian.Uint32(b)), carry)
		b = b[4:]
	}
	if len(b) >= 2 {
		sum, carry = bits.Add64(sum, uint64(binary.BigEndian.Uint16(b)), carry)
		b = b[2:]
	}
	if len(b) == 1 {
		sum, carry = bits.Add64(sum, uint64(b[0])<<8, carry)
	}
	// End-around carry: when sum wrapped, it is at most 2^64−2, so adding
	// the carry back cannot wrap again.
	sum += carry
	s, c := bits.Add32(uint32(sum), uint32(sum>>32), 0)
	return s + c
}

// FoldChecksum folds a running sum from Checksum to 16 bits and complements
// it, giving the value to store in a checksum field (RFC 1071 §1). Over data
// that includes a correct checksum field, the result is 0.
func FoldChecksum(sum uint32) uint16 {
	sum = sum>>16 + sum&0xffff
	sum = sum>>16 + sum&0xffff
	return ^uint16(sum)
}

// PseudoHeaderSum returns the running sum of the pseudo-header that a TCP or
// ICMPv6 checksum covers: for IPv4 addresses (including IPv4-mapped IPv6
// ones) the IPv4 pseudo-header of RFC 9293 §3.1, otherwise the IPv6
// pseudo-header of RFC 8200 §8.1. length is the upper-layer length in bytes
// (header plus data).
func PseudoHeaderSum(src, dst netip.Addr, proto uint8, length int) uint32 {
	src, dst = src.Unmap(), dst.Unmap()
	var sum uint64
	if src.Is4() && dst.Is4() {
		s, d := src.As4(), dst.As4()
		sum = uint64(binary.BigEndian.Uint32(s[:])) + uint64(binary.BigEndian.Uint32(d[:]))
	} else {
		s, d := src.As16(), dst.As16()
		sum = uint64(binary.BigEndian.Uint32(s[0:])) + uint64(binary.BigEndian.Uint32(s[4:])) +
			uint64(binary.BigEndian.Uint32(s[8:])) + uint64(binary.BigEndian.Uint32(s[12:])) +
			uint64(binary.BigEndian.Uint32(d[0:])) + uint64(binary.BigEndian.Uint32(d[4:])) +
			uint64(binary.BigEndian.Uint32(d[8:])) + uint64(binary.BigEndian.Uint32(d[12:]))
	}
	// The protocol (zero-padded to 16 bits, or to 32 in IPv6) and the
	// length (16 bits in IPv4, 32 in IPv6) add the same in both forms.
	sum += uint64(proto) + uint64(uint32(length)>>16) + uint64(uint32(length)&0xffff)
	s, c := bits.Add32(uint32(sum), uint32(sum>>32), 0)
	return s + c
}

// TransportChecksum returns the checksum to store in segment, a TCP segment
// or ICMP message whose checksum field is still zero, sent from src to dst.
// ICMPv4 messages are summed without a pseudo-header (RFC 792); TCP
// (RFC 9293 §3.1) and ICMPv6 (RFC 4443 §2.3) include one.
func TransportChecksum(src, dst netip.Addr, proto uint8, segment []byte) uint16 {
	return FoldChecksum(transportSum(src, dst, proto, segment))
}

// TransportChecksumValid reports whether the checksum in segment, a TCP
// segment or ICMP message received from src for dst, is correct. ICMPv4 is
// checked without a pseudo-header, as in TransportChecksum.
func TransportChecksumValid(src, dst netip.Addr, proto uint8, segment []byte) bool {
	return FoldChecksum(transportSum(src, dst, proto, segment)) == 0
}

func transportSum(src, dst netip.Addr, proto uint8, segment []byte) uint32 {
	var initial uint32
	if proto != ProtoICMPv4 {
		initial = PseudoHeaderSum(src, dst, proto, len(segment))
	}
	return Checksum(segment, initial)
}
