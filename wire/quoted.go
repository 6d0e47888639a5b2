package wire

import (
	"encoding/binary"
	"net/netip"
)

// quotedTransportLen is how much of the quoted transport header an ICMP
// error is sure to carry: 64 bits (RFC 792), which for TCP are the ports and
// the sequence number (RFC 5927 §4.1).
const quotedTransportLen = 8

// Quoted decodes the packet quoted in an ICMPv4 or ICMPv6 error message (the
// Embedded bytes): the IP addresses and protocol of the original packet and,
// from the first 8 bytes of its transport header, the ports and the TCP
// sequence number (meaningless for protocols other than TCP). The quoted
// packet is usually cut short, so its total length and checksums are not
// checked. IPv4 options and IPv6 Hop-by-Hop, Routing and Destination Options
// headers are stepped over. It returns ErrTruncated when the bytes end before
// the 8 transport bytes, ErrFragment when the quote is of a fragment that
// does not carry them, and the errors of the IP validators for malformed
// headers.
func Quoted(embedded []byte) (src, dst netip.Addr, proto uint8, srcPort, dstPort uint16, seq uint32, err error) {
	if len(embedded) < 1 {
		return src, dst, 0, 0, 0, 0, ErrTruncated
	}
	var t []byte
	switch embedded[0] >> 4 {
	case 4:
		src, dst, proto, t, err = quotedIPv4(IPv4(embedded))
	case 6:
		src, dst, proto, t, err = quotedIPv6(IPv6(embedded))
	default:
		err = ErrBadVersion
	}
	if err != nil {
		return netip.Addr{}, netip.Addr{}, 0, 0, 0, 0, err
	}
	if len(t) < quotedTransportLen {
		return netip.Addr{}, netip.Addr{}, 0, 0, 0, 0, ErrTruncated
	}
	tcp := TCP(t)
	return src, dst, proto, tcp.SrcPort(), tcp.DstPort(), tcp.Seq(), nil
}

// quotedIPv4 returns the addresses, protocol and data of a quoted IPv4
// packet.
func quotedIPv4(b IPv4) (src, dst netip.Addr, proto uint8, data []byte, err error) {
	if len(b) < IPv4MinHeaderLen {
		return src, dst, 0, nil, ErrTruncated
	}
	hl := b.HeaderLen()
	if hl < IPv4MinHeaderLen {
		return src, dst, 0, nil, ErrBadHeaderLen
	}
	if hl > len(b) {
		return src, dst, 0, nil, ErrTruncated
	}
	// RFC 791 §3.2: only the first fragment starts with the transport header.
	if binary.BigEndian.Uint16(b[ipv4Frag:])&ipv4FragOffset != 0 {
		return src, dst, 0, nil, ErrFragment
	}
	return b.Src(), b.Dst(), b.Protocol(), b[hl:], nil
}

// quotedIPv6 returns the addresses, upper-layer protocol and its data of a
// quoted IPv6 packet, stepping over extension headers within the bytes
// quoted.
func quotedIPv6(b IPv6) (src, dst netip.Addr, proto uint8, data []byte, err error) {
	if len(b) < IPv6HeaderLen {
		return src, dst, 0, nil, ErrTruncated
	}
	p := b[IPv6HeaderLen:]
	proto, off, err := skipIPv6Extensions(b.NextHeader(), p)
	if err != nil {
		return src, dst, 0, nil, err
	}
	return b.Src(), b.Dst(), proto, p[off:], nil
}
