package tun

import (
	"encoding/binary"
	"net/netip"

	"github.com/synack-net/synack/wire"
)

// whole turns what one read of a device with IFF_VNET_HDR left in b (the
// virtio-net header, then the packet) into a packet the stack can take as
// it is, in place: a plain packet with its partial checksum completed, or
// a TCP super-packet made one IP packet that carries all of its payload,
// its lengths and checksums those of that packet. Linux hands its TCP
// such packets from GRO (tcp_gro_receive merges in-order segments of a
// flow into one): the receiver takes up to 64 KiB, and acknowledges it,
// in one pass instead of one per segment. RFC 9293 §3.7.1 bounds what the
// peer sends by our MSS, not what we accept; a super-packet is what the
// peer's TCP sent, before its NIC would have cut it up.
//
// large reports a super-packet; ok is false for a packet that makes no
// sense, to be dropped.
func whole(b []byte) (pkt []byte, large, ok bool) {
	if len(b) <= vnetHdrLen {
		return nil, false, false
	}
	h, pkt := b[:vnetHdrLen], b[vnetHdrLen:]
	version := 4
	switch h[vnetGSOType] &^ gsoECN {
	case gsoNone:
		return pkt, false, completeChecksum(h, pkt)
	case gsoTCPv4:
	case gsoTCPv6:
		version = 6
	default:
		return nil, false, false
	}
	l4 := int(binary.LittleEndian.Uint16(h[vnetCsumStart:]))
	if len(pkt) > maxIPPacket || int(pkt[0]>>4) != version || l4+tcpMinLen > len(pkt) {
		return nil, false, false
	}
	if thl := int(pkt[l4+tcpDataOff]>>4) * 4; thl < tcpMinLen || l4+thl > len(pkt) {
		return nil, false, false
	}
	be := binary.BigEndian
	var src, dst netip.Addr
	if version == 4 {
		if l4 != int(pkt[0]&0x0f)*4 || l4 < 20 {
			return nil, false, false
		}
		be.PutUint16(pkt[2:], uint16(len(pkt)))
		pkt[10], pkt[11] = 0, 0
		be.PutUint16(pkt[10:], wire.FoldChecksum(wire.Checksum(pkt[:l4], 0)))
		src, dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
	} else {
		if l4 < 40 {
			return nil, false, false
		}
		be.PutUint16(pkt[4:], uint16(len(pkt)-40))
		src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
	}
	// The kernel left the pseudo-header's sum (CHECKSUM_PARTIAL) for the
	// segmentation to complete per segment; here it is completed once.
	tcp := pkt[l4:]
	tcp[tcpCsum], tcp[tcpCsum+1] = 0, 0
	sum := wire.Checksum(tcp, wire.PseudoHeaderSum(src, dst, wire.ProtoTCP, len(tcp)))
	be.PutUint16(tcp[tcpCsum:], wire.FoldChecksum(sum))
	return pkt, true, true
}
