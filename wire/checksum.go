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
// the sum over b1 followed by b2 provided len(b1) is even (else see
// CombineChecksum). Pass the result to FoldChecksum to get the value for a
// header.
func Checksum(b []byte, initial uint32) uint32 {
	return finishSum(sum64(b), initial)
}

// sum64 is the one's complement sum of b in 64-bit words, loaded in
// little-endian order, with b's tail zero-padded to a whole word.
//
// Adding 64-bit words with an end-around carry gives the same one's
// complement sum as adding 16-bit words one by one, since 2^16 ≡ 1 modulo
// 2^16−1 (RFC 1071 §2(B), "parallel summation"), at a quarter of the
// additions. Little-endian loads are one plain load on common machines;
// finishSum swaps the bytes of the folded sum once instead ("byte order
// independence", RFC 1071 §2(A)). The main loop is one carry chain eight
// words long: consecutive add-with-carry steps keep the carry in the flags
// (the compiler emits a run of ADC on amd64 and arm64), where several
// interleaved chains each had to save and restore their carry at every
// step.
func sum64(b []byte) uint64 {
	var s, c uint64
	for len(b) >= 64 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[0:8]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[8:16]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[16:24]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[24:32]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[32:40]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[40:48]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[48:56]), c)
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b[56:64]), c)
		b = b[64:]
	}
	return sumTail(b, s, c)
}

// sumTail adds b and the pending carry c to the running 64-bit sum s, and
// returns the sum with its carries folded in (end-around). A final partial
// word is zero-padded; its odd last byte, if any, then sits at an even
// position, the low byte of its little-endian 16-bit word, followed by the
// pad byte of RFC 9293 §3.1.
func sumTail(b []byte, s, c uint64) uint64 {
	for len(b) >= 8 {
		s, c = bits.Add64(s, binary.LittleEndian.Uint64(b), c)
		b = b[8:]
	}
	var w uint64
	i := 0
	if len(b) >= 4 {
		w, i = uint64(binary.LittleEndian.Uint32(b)), 4
	}
	if len(b)-i >= 2 {
		w |= uint64(binary.LittleEndian.Uint16(b[i:])) << (8 * i)
		i += 2
	}
	if len(b)-i == 1 {
		w |= uint64(b[i]) << (8 * i)
	}
	s, c = bits.Add64(s, w, c)
	return s + c // it wrapped, so it is at most 2^64−2: this cannot wrap again
}

// finishSum folds a 64-bit sum from sum64 to 16 bits, swaps it back to
// network byte order and adds it to the running sum initial.
func finishSum(sum uint64, initial uint32) uint32 {
	folded := uint32(sum) + uint32(sum>>32)
	if folded < uint32(sum) {
		folded++
	}
	folded = folded&0xffff + folded>>16
	folded = folded&0xffff + folded>>16
	total := uint64(initial) + uint64(bits.ReverseBytes16(uint16(folded)))
	s, carry := bits.Add32(uint32(total), uint32(total>>32), 0)
	return s + carry
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
