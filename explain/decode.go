package explain

import (
	"encoding/binary"
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/pcap"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// EtherTypes of the frames and cooked headers we step through.
const (
	etherTypeIPv4  = 0x0800
	etherTypeIPv6  = 0x86dd
	etherTypeVLAN  = 0x8100 // IEEE 802.1Q
	etherTypeQinQ  = 0x88a8 // IEEE 802.1ad, the outer tag of stacked VLANs
	ethernetHdrLen = 14
	vlanTagLen     = 4
	sllHdrLen      = 16 // Linux cooked v1: the protocol is its last two bytes
	sll2HdrLen     = 20 // Linux cooked v2: the protocol is its first two bytes
)

// packet is one captured TCP segment, decoded.
type packet struct {
	at       clock.Instant // since the first record of the capture
	src, dst netip.AddrPort
	seg      trace.Segment
	// csumBad is set when the TCP checksum is wrong on the wire, which a
	// capture on the sending host shows when the NIC computes it
	// (checksum offload); csumUnknown when the capture cut the packet.
	csumBad, csumUnknown bool
	// fingerprint identifies the packet's bytes, to recognise a packet the
	// capture holds twice.
	fingerprint uint64
}

// seq and end are SEG.SEQ and SEG.SEQ+SEG.LEN (RFC 9293 §3.4).
func (p *packet) seq() tcp.Seq { return tcp.Seq(p.seg.Seq) }
func (p *packet) end() tcp.Seq {
	n := uint32(p.seg.Len)
	if p.has(wire.FlagSYN) {
		n++
	}
	if p.has(wire.FlagFIN) {
		n++
	}
	return p.seq().Add(n)
}
func (p *packet) ack() tcp.Seq             { return tcp.Seq(p.seg.Ack) }
func (p *packet) has(f wire.TCPFlags) bool { return p.seg.Flags&f != 0 }

// skipReason says why a record is not a TCP segment we can follow.
type skipReason string

// networkPacket returns the IP packet inside a record of the given link
// type, or why there is none.
func networkPacket(linkType uint16, b []byte) ([]byte, skipReason) {
	switch linkType {
	case pcap.LinkTypeRaw, pcap.LinkTypeIPv4, pcap.LinkTypeIPv6:
		return b, ""
	case pcap.LinkTypeEthernet:
		if len(b) < ethernetHdrLen {
			return nil, "truncated link-layer header"
		}
		typ, off := binary.BigEndian.Uint16(b[12:]), ethernetHdrLen
		for typ == etherTypeVLAN || typ == etherTypeQinQ {
			if len(b) < off+vlanTagLen {
				return nil, "truncated link-layer header"
			}
			typ, off = binary.BigEndian.Uint16(b[off+2:]), off+vlanTagLen
		}
		return ipOfEtherType(typ, b[off:])
	case pcap.LinkTypeLinuxSLL:
		if len(b) < sllHdrLen {
			return nil, "truncated link-layer header"
		}
		return ipOfEtherType(binary.BigEndian.Uint16(b[14:]), b[sllHdrLen:])
	case pcap.LinkTypeLinuxSLL2:
		if len(b) < sll2HdrLen {
			return nil, "truncated link-layer header"
		}
		return ipOfEtherType(binary.BigEndian.Uint16(b[0:]), b[sll2HdrLen:])
	}
	return nil, "unsupported link type"
}

// ipOfEtherType returns b if typ says it is IPv4 or IPv6.
func ipOfEtherType(typ uint16, b []byte) ([]byte, skipReason) {
	if typ == etherTypeIPv4 || typ == etherTypeIPv6 {
		return b, ""
	}
	return nil, "not IP"
}

// decodeTCP decodes an IP packet carrying TCP. The capture may have cut it
// (a snapshot length shorter than the packet): the headers must be whole,
// the payload length comes from the IP header, and the checksum is then
// left unverified.
func decodeTCP(ip []byte, at clock.Instant) (packet, skipReason) {
	src, dst, seg, total, why := ipPayload(ip)
	if why != "" {
		return packet{}, why
	}
	h := wire.TCP(seg)
	if h.Validate() != nil {
		return packet{}, "malformed TCP header"
	}
	p := packet{
		at:  at,
		src: netip.AddrPortFrom(src, h.SrcPort()),
		dst: netip.AddrPortFrom(dst, h.DstPort()),
		seg: trace.Segment{
			Seq: h.Seq(), Ack: h.Ack(), Flags: h.Flags(), Window: h.Window(),
			Len: total - h.DataOffset(),
		},
	}
	if p.seg.Len < 0 {
		return packet{}, "malformed TCP header"
	}
	h.ParseOptions(&p.seg.Options) // Validate has checked them
	if len(seg) < total {
		p.csumUnknown = true
	} else {
		p.csumBad = !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, seg[:total])
	}
	p.fingerprint = fingerprint(ip, seg[:min(total, len(seg))])
	return p, ""
}

// ipPayload returns the addresses of an IPv4 or IPv6 packet carrying TCP,
// the captured bytes of the TCP segment and its length on the wire.
func ipPayload(ip []byte) (src, dst netip.Addr, seg []byte, total int, why skipReason) {
	if len(ip) == 0 {
		return src, dst, nil, 0, "truncated IP header"
	}
	switch ip[0] >> 4 {
	case 4:
		h := wire.IPv4(ip)
		if len(h) < wire.IPv4MinHeaderLen || h.HeaderLen() < wire.IPv4MinHeaderLen || h.HeaderLen() > len(h) {
			return src, dst, nil, 0, "truncated IP header"
		}
		if binary.BigEndian.Uint16(h[6:])&0x3fff != 0 {
			return src, dst, nil, 0, "IP fragment"
		}
		if h.Protocol() != wire.ProtoTCP {
			return src, dst, nil, 0, "not TCP"
		}
		hl := h.HeaderLen()
		total = h.TotalLen() - hl
		if total < 0 {
			return src, dst, nil, 0, "malformed IP header"
		}
		return h.Src(), h.Dst(), ip[hl:min(len(ip), hl+total)], total, ""
	case 6:
		h := wire.IPv6(ip)
		if len(h) < wire.IPv6HeaderLen {
			return src, dst, nil, 0, "truncated IP header"
		}
		n := min(h.PayloadLen(), len(h)-wire.IPv6HeaderLen)
		whole := h
		if n < h.PayloadLen() {
			// The capture cut the packet: walk the extension headers
			// (which must have been captured whole) in a copy whose
			// payload length is what the capture holds.
			whole = wire.IPv6(append([]byte(nil), h[:wire.IPv6HeaderLen+n]...))
			binary.BigEndian.PutUint16(whole[4:], uint16(n))
		}
		proto, payload := whole.UpperLayer()
		switch {
		case proto == wire.ProtoIPv6Fragment:
			return src, dst, nil, 0, "IP fragment"
		case proto != wire.ProtoTCP || payload == nil:
			return src, dst, nil, 0, "not TCP"
		}
		extLen := n - len(payload)
		return h.Src(), h.Dst(), payload, h.PayloadLen() - extLen, ""
	}
	return src, dst, nil, 0, "not IP"
}

// fingerprint hashes what tells two copies of one packet from two packets
// (FNV-1a): the TCP segment and, for IPv4, the identification field, which
// a sender changes for every packet it sends, retransmissions included.
func fingerprint(ip, seg []byte) uint64 {
	h := uint64(14695981039346656037)
	mix := func(b []byte) {
		for _, c := range b {
			h ^= uint64(c)
			h *= 1099511628211
		}
	}
	if ip[0]>>4 == 4 {
		mix(ip[4:6])
	}
	mix(seg)
	return h
}
