package wire

import (
	"encoding/binary"
	"net/netip"
)

// ICMPv6 is a view of an ICMPv6 message (RFC 4443 §2.1), starting at the
// type byte. Call Validate before any accessor.
type ICMPv6 []byte

// ICMPv6 types and Destination Unreachable codes synack handles
// (RFC 4443 §3.1–§3.4).
const (
	ICMPv6TypeDestUnreachable = 1
	ICMPv6TypePacketTooBig    = 2
	ICMPv6TypeTimeExceeded    = 3
	ICMPv6TypeParamProblem    = 4

	ICMPv6CodeNoRoute            = 0
	ICMPv6CodeAdminProhibited    = 1
	ICMPv6CodeBeyondScope        = 2
	ICMPv6CodeAddressUnreachable = 3
	ICMPv6CodePortUnreachable    = 4
	ICMPv6CodePolicyFailed       = 5 // source address failed ingress/egress policy
	ICMPv6CodeRejectRoute        = 6 // reject route to destination
)

// Validate checks that b holds at least the 8-byte ICMPv6 header. The
// checksum covers a pseudo-header (RFC 4443 §2.3), so it is checked apart,
// with TransportChecksumValid. Whether the quoted packet of an error message
// is usable is left to Quoted.
func (b ICMPv6) Validate() error {
	if len(b) < ICMPHeaderLen {
		return ErrTruncated
	}
	return nil
}

// Type is the message type.
func (b ICMPv6) Type() uint8 { return b[icmpType] }

// Code is the message code.
func (b ICMPv6) Code() uint8 { return b[icmpCode] }

// Checksum is the checksum field.
func (b ICMPv6) Checksum() uint16 { return binary.BigEndian.Uint16(b[icmpChecksum:]) }

// MTU is the MTU field of a Packet Too Big message (RFC 4443 §3.2).
func (b ICMPv6) MTU() uint32 { return binary.BigEndian.Uint32(b[icmpRest:]) }

// Embedded is the message body: for an error message, as much of the
// invoking packet as fits (RFC 4443 §3.1, §3.2), to be decoded with Quoted.
func (b ICMPv6) Embedded() []byte { return b[icmpBody:] }

// PutICMPv6 writes an ICMPv6 message sent from src to dst into b: type,
// code, the four type-specific bytes rest (for Packet Too Big, the MTU),
// body, and the checksum over the pseudo-header and message (RFC 4443 §2.3).
// It returns the message length, 8+len(body); b must hold that many bytes.
// Keeping an error message within the minimum IPv6 MTU (RFC 4443 §2.4(c)) is
// the caller's job.
func PutICMPv6(b []byte, src, dst netip.Addr, typ, code uint8, rest uint32, body []byte) int {
	n := putICMP(b, typ, code, rest, body)
	binary.BigEndian.PutUint16(b[icmpChecksum:], TransportChecksum(src, dst, ProtoICMPv6, b[:n]))
	return n
}
