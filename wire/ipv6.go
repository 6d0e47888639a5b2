package wire

import (
	"encoding/binary"
	"net/netip"
)

// IPv6 is a view of an IPv6 packet (RFC 8200 §3). Call Validate before any
// accessor.
type IPv6 []byte

// IPv6HeaderLen is the length of the fixed IPv6 header.
const IPv6HeaderLen = 40

// Field offsets of the IPv6 header (RFC 8200 §3).
const (
	ipv6VerTCFlow  = 0
	ipv6PayloadLen = 4
	ipv6NextHeader = 6
	ipv6HopLimit   = 7
	ipv6Src        = 8
	ipv6Dst        = 24
)

// Validate checks that b holds a whole IPv6 packet synack can deliver:
// version 6, a payload length that fits in b, and a well-formed chain of
// extension headers that is not fragmented. Bytes after the payload length
// (link-layer padding) are ignored. Jumbograms (RFC 2675) are not supported:
// a payload length of zero means an empty payload.
func (b IPv6) Validate() error {
	if len(b) < IPv6HeaderLen {
		return ErrTruncated
	}
	if b[ipv6VerTCFlow]>>4 != 6 {
		return ErrBadVersion
	}
	if IPv6HeaderLen+b.PayloadLen() > len(b) {
		return ErrBadTotalLen
	}
	_, _, err := skipIPv6Extensions(b[ipv6NextHeader], b.Payload())
	return err
}

// PayloadLen is the Payload Length field: the bytes after the fixed header,
// extension headers included.
func (b IPv6) PayloadLen() int { return int(binary.BigEndian.Uint16(b[ipv6PayloadLen:])) }

// NextHeader is the Next Header field of the fixed header.
func (b IPv6) NextHeader() uint8 { return b[ipv6NextHeader] }

// HopLimit is the Hop Limit field.
func (b IPv6) HopLimit() uint8 { return b[ipv6HopLimit] }

// Src is the source address.
func (b IPv6) Src() netip.Addr { return netip.AddrFrom16([16]byte(b[ipv6Src : ipv6Src+16])) }

// Dst is the destination address.
func (b IPv6) Dst() netip.Addr { return netip.AddrFrom16([16]byte(b[ipv6Dst : ipv6Dst+16])) }

// Payload is the data after the fixed header, extension headers included,
// up to the payload length.
func (b IPv6) Payload() []byte { return b[IPv6HeaderLen : IPv6HeaderLen+b.PayloadLen()] }

// UpperLayer steps over the Hop-by-Hop, Routing and Destination Options
// headers and returns the protocol number of what follows and its bytes. On
// a chain that Validate would reject it returns the protocol reached and a
// nil payload.
func (b IPv6) UpperLayer() (proto uint8, payload []byte) {
	p := b.Payload()
	proto, off, err := skipIPv6Extensions(b[ipv6NextHeader], p)
	if err != nil {
		return proto, nil
	}
	return proto, p[off:]
}

// skipIPv6Extensions walks the extension headers at the start of p, the
// first of which has protocol number nh, and returns the protocol number of
// the first header it does not step over and that header's offset in p.
func skipIPv6Extensions(nh uint8, p []byte) (proto uint8, off int, err error) {
	for {
		switch nh {
		case ProtoIPv6HopByHop, ProtoIPv6Routing, ProtoIPv6DestOpts:
		case ProtoIPv6Fragment:
			return nh, off, ErrFragment
		default:
			return nh, off, nil
		}
		// RFC 8200 §4.1: Hop-by-Hop Options may only follow the fixed header.
		if nh == ProtoIPv6HopByHop && off != 0 {
			return nh, off, ErrBadExtHeader
		}
		// RFC 8200 §4.3, §4.4, §4.6: these headers start with Next Header and
		// Hdr Ext Len, the length in 8-octet units not counting the first.
		if len(p)-off < 2 {
			return nh, off, ErrBadExtHeader
		}
		n := (int(p[off+1]) + 1) * 8
		if n > len(p)-off {
			return nh, off, ErrBadExtHeader
		}
		nh = p[off]
		off += n
	}
}

// PutIPv6Header writes the 40-byte fixed IPv6 header into b[:40], with
// traffic class and flow label 0. src and dst are written in their 16-byte
// form; payloadLen (extension headers included) must be at most 65535; b must
// hold at least 40 bytes.
func PutIPv6Header(b []byte, src, dst netip.Addr, nextHeader uint8, hopLimit uint8, payloadLen int) {
	h := b[:IPv6HeaderLen]
	binary.BigEndian.PutUint32(h[ipv6VerTCFlow:], 6<<28)
	binary.BigEndian.PutUint16(h[ipv6PayloadLen:], uint16(payloadLen))
	h[ipv6NextHeader] = nextHeader
	h[ipv6HopLimit] = hopLimit
	s, d := src.As16(), dst.As16()
	copy(h[ipv6Src:], s[:])
	copy(h[ipv6Dst:], d[:])
}
