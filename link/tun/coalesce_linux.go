package tun

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/netip"
	"sync/atomic"

	"github.com/synack-net/synack/wire"
)

// coalescer writes packets to a device opened with IFF_VNET_HDR. Runs of
// TCP segments of one flow that a NIC's segmentation offload could have
// produced from one packet are joined back into that packet (up to 64
// KiB) and written once, with a virtio-net header asking the kernel for
// GSO: the kernel then takes it in as a single packet (as it takes a
// packet its own GRO has merged) instead of one per segment. Anything else
// is written alone, behind a header that asks for nothing.
//
// It belongs to the device's writer goroutine.
type coalescer struct {
	// buf holds the virtio-net header, then the packet being built:
	// n bytes of it, the first segment's headers (hdrLen bytes, TCP from
	// l4) followed by every segment's payload.
	buf    []byte
	n      int
	hdrLen int
	l4     int
	mss    int    // payload bytes of the first segment, the GSO size
	segs   int    // segments joined so far; 0 when nothing is pending
	seq    uint32 // sequence number the next segment must have
	id     uint16 // IPv4 identification the next segment must have
	closed bool   // the last segment was short or pushed: no more

	coalesced atomic.Uint64 // GSO packets written, for Device.Coalesced
}

func newCoalescer() *coalescer {
	return &coalescer{buf: make([]byte, vnetHdrLen+maxIPPacket)}
}

// maxIPPacket is the longest IP packet: IPv4's total length, and the most
// an IPv6 packet without a jumbo payload option carries beyond its header
// that a TUN device accepts.
const maxIPPacket = 65535

// write queues pkt, joining it to the pending packet when it continues
// it. A packet that cannot be joined first sends the pending one; one that
// cannot be coalesced at all is sent at once.
func (c *coalescer) write(f io.Writer, pkt []byte) error {
	if c.segs > 0 && c.joins(pkt) {
		c.join(pkt)
		return nil
	}
	if err := c.flush(f); err != nil {
		return err
	}
	if len(pkt) > maxIPPacket {
		return errTooLong
	}
	if c.start(pkt) {
		return nil
	}
	clear(c.buf[:vnetHdrLen])
	n := copy(c.buf[vnetHdrLen:], pkt)
	_, err := f.Write(c.buf[:vnetHdrLen+n])
	return err
}

// flush sends the pending packet, if any: alone and unchanged if it is
// one segment, else as a GSO packet.
func (c *coalescer) flush(f io.Writer) error {
	if c.segs == 0 {
		return nil
	}
	h := c.buf[:vnetHdrLen]
	clear(h)
	if c.segs > 1 {
		c.finish()
		c.coalesced.Add(1)
	}
	c.segs = 0
	_, err := f.Write(c.buf[:vnetHdrLen+c.n])
	return err
}

// tcpSegment parses pkt as an IPv4 packet without options or an IPv6
// packet without extension headers, carrying TCP with a payload. It
// returns where TCP starts and where the payload starts.
func tcpSegment(pkt []byte) (l4, hdrLen int, ok bool) {
	if len(pkt) < 20 {
		return 0, 0, false
	}
	switch pkt[0] >> 4 {
	case 4:
		// No options, no fragment, the whole packet present.
		if pkt[0] != 0x45 || pkt[9] != wire.ProtoTCP || binary.BigEndian.Uint16(pkt[6:])&0x3fff != 0 ||
			int(binary.BigEndian.Uint16(pkt[2:])) != len(pkt) {
			return 0, 0, false
		}
		l4 = 20
	case 6:
		if len(pkt) < 40 || pkt[6] != wire.ProtoTCP || int(binary.BigEndian.Uint16(pkt[4:]))+40 != len(pkt) {
			return 0, 0, false
		}
		l4 = 40
	default:
		return 0, 0, false
	}
	if len(pkt) < l4+tcpMinLen {
		return 0, 0, false
	}
	hdrLen = l4 + int(pkt[l4+tcpDataOff]>>4)*4
	if hdrLen < l4+tcpMinLen || hdrLen >= len(pkt) {
		return 0, 0, false
	}
	return l4, hdrLen, true
}

// coalescable is true of TCP flags a segment may carry and still be
// joined: ACK, with PSH allowed on the last segment. SYN, FIN, RST, URG
// and the ECN signals go alone.
func coalescable(flags byte) bool { return flags&^flagPSH == flagACK }

// start makes pkt the pending packet if it is a TCP segment that later
// ones may join.
func (c *coalescer) start(pkt []byte) bool {
	l4, hdrLen, ok := tcpSegment(pkt)
	if !ok || !coalescable(pkt[l4+tcpFlags]) || binary.BigEndian.Uint16(pkt[l4+tcpUrgent:]) != 0 {
		return false
	}
	c.n = copy(c.buf[vnetHdrLen:], pkt)
	c.l4, c.hdrLen = l4, hdrLen
	c.mss = len(pkt) - hdrLen
	c.segs = 1
	c.seq = binary.BigEndian.Uint32(pkt[l4+tcpSeq:]) + uint32(c.mss)
	c.id = binary.BigEndian.Uint16(pkt[4:]) + 1
	c.closed = pkt[l4+tcpFlags]&flagPSH != 0
	return true
}

// joins reports whether pkt continues the pending packet: the same flow,
// headers equal but for the lengths, sequence number, IPv4 identification
// and checksums, the next sequence number, a payload no longer than the
// first one's, and room left. These are the rules of the kernel's GRO
// (tcp_gro_receive), so that the kernel's segmentation would give back
// exactly the segments joined.
func (c *coalescer) joins(pkt []byte) bool {
	if c.closed || len(pkt) <= c.hdrLen || len(pkt)-c.hdrLen > c.mss || c.n+len(pkt)-c.hdrLen > maxIPPacket {
		return false
	}
	p := c.buf[vnetHdrLen : vnetHdrLen+c.hdrLen]
	q := pkt[:c.hdrLen]
	be := binary.BigEndian
	if c.l4 == 20 {
		// Version to TOS; flags to protocol; addresses. The length was
		// checked by the payload rule, the identification is next.
		if q[0] != p[0] || q[1] != p[1] || !bytes.Equal(q[6:10], p[6:10]) || !bytes.Equal(q[12:20], p[12:20]) ||
			be.Uint16(q[4:]) != c.id || be.Uint16(q[2:]) != uint16(len(pkt)) {
			return false
		}
	} else if !bytes.Equal(q[:4], p[:4]) || !bytes.Equal(q[6:40], p[6:40]) || int(be.Uint16(q[4:]))+40 != len(pkt) {
		return false
	}
	tp, tq := p[c.l4:], q[c.l4:]
	return bytes.Equal(tq[:tcpSeq], tp[:tcpSeq]) && // ports
		be.Uint32(tq[tcpSeq:]) == c.seq &&
		bytes.Equal(tq[8:tcpFlags], tp[8:tcpFlags]) && // ack, header length
		coalescable(tq[tcpFlags]) &&
		bytes.Equal(tq[14:tcpCsum], tp[14:tcpCsum]) && // window
		be.Uint16(tq[tcpUrgent:]) == 0 &&
		bytes.Equal(tq[tcpMinLen:], tp[tcpMinLen:]) // options
}

// join appends pkt's payload to the pending packet; joins said it may.
func (c *coalescer) join(pkt []byte) {
	payload := pkt[c.hdrLen:]
	c.n += copy(c.buf[vnetHdrLen+c.n:], payload)
	c.segs++
	c.seq += uint32(len(payload))
	c.id++
	if flags := pkt[c.l4+tcpFlags]; flags&flagPSH != 0 || len(payload) < c.mss {
		c.closed = true
		// As the kernel's segmentation does, PSH in the packet's
		// header lands on its last segment only.
		c.buf[vnetHdrLen+c.l4+tcpFlags] |= flags & flagPSH
	}
}

// finish turns the pending segments into one GSO packet: its lengths and
// IPv4 header checksum fixed, the TCP checksum left partial (the
// pseudo-header's sum, for the kernel to complete per segment), and the
// virtio-net header describing the segmentation.
func (c *coalescer) finish() {
	h, pkt := c.buf[:vnetHdrLen], c.buf[vnetHdrLen:vnetHdrLen+c.n]
	be, le := binary.BigEndian, binary.LittleEndian
	var src, dst netip.Addr
	if c.l4 == 20 {
		be.PutUint16(pkt[2:], uint16(c.n))
		pkt[10], pkt[11] = 0, 0
		be.PutUint16(pkt[10:], wire.FoldChecksum(wire.Checksum(pkt[:20], 0)))
		src, dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
		h[vnetGSOType] = gsoTCPv4
	} else {
		be.PutUint16(pkt[4:], uint16(c.n-40))
		src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
		h[vnetGSOType] = gsoTCPv6
	}
	tcp := pkt[c.l4:]
	be.PutUint16(tcp[tcpCsum:], ^wire.FoldChecksum(wire.PseudoHeaderSum(src, dst, wire.ProtoTCP, len(tcp))))
	h[vnetFlags] = vnetNeedsCsum
	le.PutUint16(h[vnetHdrLenField:], uint16(c.hdrLen))
	le.PutUint16(h[vnetGSOSize:], uint16(c.mss))
	le.PutUint16(h[vnetCsumStart:], uint16(c.l4))
	le.PutUint16(h[vnetCsumOffset:], tcpCsum)
}
