package wire

import "encoding/binary"

// ICMPv4 is a view of an ICMP message carried in IPv4 (RFC 792), starting at
// the type byte. Call Validate before any accessor.
type ICMPv4 []byte

// ICMPv4 types and Destination Unreachable codes synack handles (RFC 792,
// RFC 1191 §4, RFC 1812 §5.2.7.1); stack's errno table names the rest.
const (
	ICMPv4TypeDestUnreachable = 3
	ICMPv4TypeTimeExceeded    = 11
	ICMPv4TypeParamProblem    = 12

	ICMPv4CodeNetUnreachable      = 0
	ICMPv4CodeHostUnreachable     = 1
	ICMPv4CodeProtocolUnreachable = 2
	ICMPv4CodePortUnreachable     = 3
	ICMPv4CodeFragmentationNeeded = 4
	ICMPv4CodeAdminProhibited     = 13
)

// icmpv4MTU is the offset of the Next-Hop MTU in a Fragmentation Needed
// message (RFC 1191 §4).
const icmpv4MTU = 6

// Validate checks that b holds at least the 8-byte ICMP header and that the
// checksum over the whole message is correct (RFC 792). Whether the quoted
// packet of an error message is usable is left to Quoted.
func (b ICMPv4) Validate() error {
	if len(b) < ICMPHeaderLen {
		return ErrTruncated
	}
	if FoldChecksum(Checksum(b, 0)) != 0 {
		return ErrBadChecksum
	}
	return nil
}

// Type is the message type.
func (b ICMPv4) Type() uint8 { return b[icmpType] }

// Code is the message code.
func (b ICMPv4) Code() uint8 { return b[icmpCode] }

// Checksum is the checksum field.
func (b ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[icmpChecksum:]) }

// MTU is the Next-Hop MTU of a Destination Unreachable, Fragmentation Needed
// message (RFC 1191 §4); routers older than RFC 1191 send zero.
func (b ICMPv4) MTU() uint16 { return binary.BigEndian.Uint16(b[icmpv4MTU:]) }

// Embedded is the message body: for an error message, the quoted IP header
// and at least the first 8 bytes of its data (RFC 792), to be decoded with
// Quoted.
func (b ICMPv4) Embedded() []byte { return b[icmpBody:] }

// PutICMPv4 writes an ICMPv4 message into b: type, code, the four
// type-specific bytes rest (for Fragmentation Needed, the next-hop MTU in
// the low 16 bits), body, and the checksum. It returns the message length,
// 8+len(body); b must hold that many bytes.
func PutICMPv4(b []byte, typ, code uint8, rest uint32, body []byte) int {
	n := putICMP(b, typ, code, rest, body)
	binary.BigEndian.PutUint16(b[icmpChecksum:], FoldChecksum(Checksum(b[:n], 0)))
	return n
}
