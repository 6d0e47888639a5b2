package tun

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"sync/atomic"

	"github.com/synack-net/synack/wire"
)

// The virtio-net header that precedes every packet on a device opened with
// IFF_VNET_HDR (struct virtio_net_hdr in include/uapi/linux/virtio_net.h;
// native byte order, little-endian on the machines Go supports here).
const (
	vnetHdrLen = 10

	vnetFlags       = 0 // u8: vnetNeedsCsum
	vnetGSOType     = 1 // u8: gsoNone, gsoTCPv4, gsoTCPv6, | gsoECN
	vnetHdrLenField = 2 // u16: IP and TCP header bytes
	vnetGSOSize     = 4 // u16: payload bytes per segment (the MSS)
	vnetCsumStart   = 6 // u16: where the transport header starts
	vnetCsumOffset  = 8 // u16: where its checksum field is, from there

	vnetNeedsCsum = 1 // the checksum holds only the pseudo-header's sum

	gsoNone  = 0
	gsoTCPv4 = 1
	gsoTCPv6 = 4
	gsoECN   = 0x80
)

// errTooLong is a write of more than an IP packet can hold; it is
// counted as a drop.
var errTooLong = errors.New("tun: packet longer than 65535 bytes")

// maxGSO is the largest packet the kernel hands a TUN device with
// segmentation offload (GSO_LEGACY_MAX_SIZE), plus the virtio-net header.
const maxGSO = 65536 + vnetHdrLen

// TCP header offsets and flags used when splitting.
const (
	tcpSeq     = 4
	tcpDataOff = 12
	tcpFlags   = 13
	tcpCsum    = 16
	tcpUrgent  = 18
	tcpMinLen  = 20

	flagFIN = 0x01
	flagPSH = 0x08
	flagACK = 0x10
	flagCWR = 0x80
)

// offload reads packets from a device with IFF_VNET_HDR and TCP
// segmentation offload, splitting each TCP "super-packet" the kernel sends
// (up to 64 KiB, one read) into segments of the MSS it carries, as the NIC
// would have. It belongs to the device's reader goroutine.
type offload struct {
	rbuf []byte // the last read: header, then packet

	// The super-packet being split: its bytes are rbuf[vnetHdrLen:end];
	// the next segment's payload starts at off (an index into rbuf).
	// Each segment is built in place, its headers written just before
	// its payload over bytes already handed out.
	splitting bool
	end, off  int
	hdr       [120]byte // the template: IP and TCP headers (at most 60+60)
	hdrLen    int       // IP + TCP header bytes in hdr
	l4        int       // where TCP starts in hdr
	mss       int
	seq       uint32 // of the super-packet's first byte
	id        uint16 // IPv4 identification of the first segment
	index     int    // of the next segment
}

func newOffload() *offload {
	return &offload{rbuf: make([]byte, maxGSO)}
}

// read fills buf with the next packet: the next segment of a super-packet
// being split, else the next packet from f. It counts the super-packets
// in split, and drops (and counts in dropped) what it cannot parse.
func (o *offload) read(f *os.File, buf []byte, dropped, split *atomic.Uint64) (int, error) {
	for {
		if o.splitting {
			return o.nextSegment(buf), nil
		}
		n, err := f.Read(o.rbuf)
		if err != nil {
			return 0, err
		}
		k, ok := o.take(n, buf)
		if !ok {
			dropped.Add(1)
			continue
		}
		if o.splitting {
			split.Add(1)
		}
		return k, nil
	}
}

// udpChecksumOffset is where the checksum sits in a UDP header; TCP's is
// at 16.
const udpChecksumOffset = 6

// take handles a packet of n bytes (header included) just read into
// rbuf: it completes a partial checksum and copies a plain packet into
// buf, or starts splitting a super-packet. It reports false for a packet
// it cannot make sense of.
func (o *offload) take(n int, buf []byte) (int, bool) {
	if n < vnetHdrLen {
		return 0, false
	}
	h := o.rbuf[:vnetHdrLen]
	pkt := o.rbuf[vnetHdrLen:n]
	le := binary.LittleEndian
	start := int(le.Uint16(h[vnetCsumStart:]))
	switch h[vnetGSOType] &^ gsoECN {
	case gsoNone:
		if !completeChecksum(h, pkt) {
			return 0, false
		}
		return copy(buf, pkt), true
	case gsoTCPv4:
		return o.startSplit(pkt, start, int(le.Uint16(h[vnetGSOSize:])), 4, buf)
	case gsoTCPv6:
		return o.startSplit(pkt, start, int(le.Uint16(h[vnetGSOSize:])), 6, buf)
	}
	return 0, false
}

// completeChecksum fills in the checksum of pkt, a packet that is not a
// super-packet, when its header h says the kernel left it partial. It
// reports false when the checksum's place lies outside the packet.
func completeChecksum(h, pkt []byte) bool {
	if h[vnetFlags]&vnetNeedsCsum == 0 {
		return true
	}
	// CHECKSUM_PARTIAL: the field holds the pseudo-header's sum; the rest
	// is summed from start to the end.
	le := binary.LittleEndian
	start, off := int(le.Uint16(h[vnetCsumStart:])), int(le.Uint16(h[vnetCsumOffset:]))
	if start+off+2 > len(pkt) {
		return false
	}
	c := wire.FoldChecksum(wire.Checksum(pkt[start:], 0))
	if c == 0 && off == udpChecksumOffset {
		// RFC 768, RFC 8200 §8.1: a UDP checksum computed as zero is
		// sent as all ones, zero meaning none (which IPv6 forbids).
		c = 0xffff
	}
	binary.BigEndian.PutUint16(pkt[start+off:], c)
	return true
}

// startSplit checks a TCP super-packet whose TCP header starts at l4,
// keeps its headers as the template and returns its first segment.
func (o *offload) startSplit(pkt []byte, l4, mss, version int, buf []byte) (int, bool) {
	minIP := 20
	if version == 6 {
		minIP = 40
	}
	if mss <= 0 || l4 < minIP || l4+tcpMinLen > len(pkt) || int(pkt[0]>>4) != version {
		return 0, false
	}
	thl := int(pkt[l4+tcpDataOff]>>4) * 4
	hl := l4 + thl
	if thl < tcpMinLen || hl > len(o.hdr) || hl >= len(pkt) {
		return 0, false
	}
	o.hdrLen, o.l4, o.mss = hl, l4, mss
	copy(o.hdr[:], pkt[:hl])
	o.seq = binary.BigEndian.Uint32(pkt[l4+tcpSeq:])
	if version == 4 {
		o.id = binary.BigEndian.Uint16(pkt[4:])
	}
	o.splitting, o.index = true, 0
	o.off = vnetHdrLen + hl
	o.end = vnetHdrLen + len(pkt)
	return o.nextSegment(buf), true
}

// nextSegment builds the next segment in rbuf, just before its payload,
// and copies it into buf.
func (o *offload) nextSegment(buf []byte) int {
	payload := min(o.mss, o.end-o.off)
	last := o.off+payload == o.end
	seg := o.rbuf[o.off-o.hdrLen : o.off+payload]
	copy(seg, o.hdr[:o.hdrLen])
	be := binary.BigEndian
	var src, dst netip.Addr
	if seg[0]>>4 == 4 {
		be.PutUint16(seg[2:], uint16(len(seg)))
		be.PutUint16(seg[4:], o.id+uint16(o.index))
		seg[10], seg[11] = 0, 0
		be.PutUint16(seg[10:], wire.FoldChecksum(wire.Checksum(seg[:o.l4], 0)))
		src, dst = netip.AddrFrom4([4]byte(seg[12:16])), netip.AddrFrom4([4]byte(seg[16:20]))
	} else {
		be.PutUint16(seg[4:], uint16(len(seg)-40))
		src, dst = netip.AddrFrom16([16]byte(seg[8:24])), netip.AddrFrom16([16]byte(seg[24:40]))
	}
	tcp := seg[o.l4:]
	be.PutUint32(tcp[tcpSeq:], o.seq+uint32(o.off-vnetHdrLen-o.hdrLen))
	// As a NIC's TSO does: PSH and FIN on the last segment only, CWR on
	// the first only (RFC 3168 §6.1.2).
	if !last {
		tcp[tcpFlags] &^= flagFIN | flagPSH
	}
	if o.index > 0 {
		tcp[tcpFlags] &^= flagCWR
	}
	tcp[tcpCsum], tcp[tcpCsum+1] = 0, 0
	sum := wire.Checksum(tcp, wire.PseudoHeaderSum(src, dst, wire.ProtoTCP, len(tcp)))
	be.PutUint16(tcp[tcpCsum:], wire.FoldChecksum(sum))

	o.off += payload
	o.index++
	o.splitting = !last
	return copy(buf, seg)
}
