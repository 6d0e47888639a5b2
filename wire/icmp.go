package wire

import "encoding/binary"

// ICMPHeaderLen is the length of the ICMPv4 and ICMPv6 header: type, code,
// checksum and four type-specific bytes (RFC 792, RFC 4443 §2.1).
const ICMPHeaderLen = 8

// Field offsets shared by ICMPv4 and ICMPv6 (RFC 792, RFC 4443 §2.1).
const (
	icmpType     = 0
	icmpCode     = 1
	icmpChecksum = 2
	icmpRest     = 4
	icmpBody     = ICMPHeaderLen
)

// putICMP writes an ICMP header with a zero checksum followed by body into
// b and returns the message length.
func putICMP(b []byte, typ, code uint8, rest uint32, body []byte) int {
	n := ICMPHeaderLen + len(body)
	m := b[:n]
	m[icmpType], m[icmpCode] = typ, code
	binary.BigEndian.PutUint16(m[icmpChecksum:], 0)
	binary.BigEndian.PutUint32(m[icmpRest:], rest)
	copy(m[icmpBody:], body)
	return n
}
