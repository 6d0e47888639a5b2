package wire

import (
	"encoding/binary"
	"net/netip"
)

// IPv4 is a view of an IPv4 packet (RFC 791 §3.1). Call Validate before any
// accessor.
type IPv4 []byte

// IPv4MinHeaderLen is the length of an IPv4 header without options.
const IPv4MinHeaderLen = 20

// Field offsets of the IPv4 header (RFC 791 §3.1).
const (
	ipv4VerIHL   = 0
	ipv4TotalLen = 2
	ipv4ID       = 4
	ipv4Frag     = 6
	ipv4TTL      = 8
	ipv4Proto    = 9
	ipv4Checksum = 10
	ipv4Src      = 12
	ipv4Dst      = 16
)

// Bits of the flags and fragment offset field (RFC 791 §3.1).
const (
	ipv4FlagDF     = 0x4000
	ipv4FlagMF     = 0x2000
	ipv4FragOffset = 0x1fff
)

// Validate checks that b holds a whole IPv4 packet synack can deliver:
// version 4, an IHL of at least 5 words that fits in b, a total length
// between the header length and len(b), a correct header checksum, and not a
// fragment. Bytes after the total length (link-layer padding) are ignored.
// Options are not interpreted; HeaderLen steps over them.
func (b IPv4) Validate() error {
	if len(b) < IPv4MinHeaderLen {
		return ErrTruncated
	}
	if b[ipv4VerIHL]>>4 != 4 {
		return ErrBadVersion
	}
	hl := b.HeaderLen()
	if hl < IPv4MinHeaderLen {
		return ErrBadHeaderLen
	}
	if hl > len(b) {
		return ErrTruncated
	}
	if tl := b.TotalLen(); tl < hl || tl > len(b) {
		return ErrBadTotalLen
	}
	// RFC 791 §3.1: the checksum of a correct header, checksum field
	// included, is all ones, which FoldChecksum complements to zero.
	if FoldChecksum(Checksum(b[:hl], 0)) != 0 {
		return ErrBadChecksum
	}
	// RFC 791 §3.2: a fragment has More Fragments set or a non-zero offset.
	if binary.BigEndian.Uint16(b[ipv4Frag:])&(ipv4FlagMF|ipv4FragOffset) != 0 {
		return ErrFragment
	}
	return nil
}

// HeaderLen is the header length in bytes, options included (IHL × 4).
func (b IPv4) HeaderLen() int { return int(b[ipv4VerIHL]&0x0f) * 4 }

// TotalLen is the Total Length field: header plus data, in bytes.
func (b IPv4) TotalLen() int { return int(binary.BigEndian.Uint16(b[ipv4TotalLen:])) }

// ID is the Identification field.
func (b IPv4) ID() uint16 { return binary.BigEndian.Uint16(b[ipv4ID:]) }

// DontFragment reports whether the DF flag is set.
func (b IPv4) DontFragment() bool {
	return binary.BigEndian.Uint16(b[ipv4Frag:])&ipv4FlagDF != 0
}

// TTL is the Time to Live field.
func (b IPv4) TTL() uint8 { return b[ipv4TTL] }

// Protocol is the Protocol field, the upper-layer protocol number.
func (b IPv4) Protocol() uint8 { return b[ipv4Proto] }

// Checksum is the Header Checksum field.
func (b IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[ipv4Checksum:]) }

// Src is the source address.
func (b IPv4) Src() netip.Addr { return netip.AddrFrom4([4]byte(b[ipv4Src : ipv4Src+4])) }

// Dst is the destination address.
func (b IPv4) Dst() netip.Addr { return netip.AddrFrom4([4]byte(b[ipv4Dst : ipv4Dst+4])) }

// Payload is the data after the header and its options, up to the total
// length.
func (b IPv4) Payload() []byte { return b[b.HeaderLen():b.TotalLen()] }

// PutIPv4Header writes a 20-byte IPv4 header without options into b[:20]:
// Don't Fragment set (synack does path MTU discovery, RFC 1191 §3), TOS 0,
// total length 20+payloadLen, and the header checksum. src and dst must be
// IPv4 or IPv4-mapped addresses and payloadLen at most 65515; b must hold at
// least 20 bytes.
func PutIPv4Header(b []byte, src, dst netip.Addr, proto uint8, ttl uint8, id uint16, payloadLen int) {
	h := b[:IPv4MinHeaderLen]
	h[ipv4VerIHL] = 4<<4 | IPv4MinHeaderLen/4
	h[1] = 0
	binary.BigEndian.PutUint16(h[ipv4TotalLen:], uint16(IPv4MinHeaderLen+payloadLen))
	binary.BigEndian.PutUint16(h[ipv4ID:], id)
	binary.BigEndian.PutUint16(h[ipv4Frag:], ipv4FlagDF)
	h[ipv4TTL] = ttl
	h[ipv4Proto] = proto
	binary.BigEndian.PutUint16(h[ipv4Checksum:], 0)
	s, d := src.Unmap().As4(), dst.Unmap().As4()
	copy(h[ipv4Src:], s[:])
	copy(h[ipv4Dst:], d[:])
	binary.BigEndian.PutUint16(h[ipv4Checksum:], FoldChecksum(Checksum(h, 0)))
}
