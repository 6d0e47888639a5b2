package drill

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"github.com/synack-net/synack/wire"
)

// tcpHeader is the TCP header the runner builds: the fixed fields and the
// option bytes, in the order the script wrote them.
type tcpHeader struct {
	src, dst netip.AddrPort
	seq, ack uint32
	flags    wire.TCPFlags
	win, urg uint16
	opts     []byte
}

// buildPacket builds an IP packet (IPv4 or IPv6 after the addresses)
// carrying a TCP segment with payloadLen zero bytes, checksums included.
func buildPacket(h tcpHeader, payloadLen int) []byte {
	ipLen := wire.IPv4MinHeaderLen
	if h.src.Addr().Is6() {
		ipLen = wire.IPv6HeaderLen
	}
	tcpLen := wire.TCPMinHeaderLen + len(h.opts)
	pkt := make([]byte, ipLen+tcpLen+payloadLen)
	putIPHeader(pkt, h.src.Addr(), h.dst.Addr(), wire.ProtoTCP, tcpLen+payloadLen)
	t := pkt[ipLen:]
	binary.BigEndian.PutUint16(t[0:], h.src.Port())
	binary.BigEndian.PutUint16(t[2:], h.dst.Port())
	binary.BigEndian.PutUint32(t[4:], h.seq)
	binary.BigEndian.PutUint32(t[8:], h.ack)
	t[12] = byte(tcpLen/4) << 4
	t[13] = byte(h.flags)
	binary.BigEndian.PutUint16(t[14:], h.win)
	binary.BigEndian.PutUint16(t[18:], h.urg)
	copy(t[wire.TCPMinHeaderLen:], h.opts)
	wire.TCP(t).SetChecksum(wire.TransportChecksum(h.src.Addr(), h.dst.Addr(), wire.ProtoTCP, t))
	return pkt
}

// segment is a packet the host sent, decoded.
type segment struct {
	v6       bool
	src, dst netip.AddrPort
	seq, ack uint32
	flags    wire.TCPFlags
	reserved byte // the 4 bits between the data offset and the flags
	doff     int  // TCP header length in bytes
	win, urg uint16
	opts     []rawOption
	optBytes []byte
	payload  []byte
}

// decodeSegment parses a packet the host sent. The IP checks of section
// 3.7 (version, protocol, header length, total length and the IPv4 header
// checksum) happen here.
func decodeSegment(pkt []byte) (segment, error) {
	var s segment
	var src, dst netip.Addr
	var proto uint8
	var body []byte
	switch {
	case len(pkt) > 0 && pkt[0]>>4 == 4:
		ip := wire.IPv4(pkt)
		if err := ip.Validate(); err != nil {
			return s, fmt.Errorf("bad IPv4 header: %w", err)
		}
		if ip.HeaderLen() != wire.IPv4MinHeaderLen {
			return s, errors.New("IPv4 header with options")
		}
		if ip.TotalLen() != len(pkt) {
			return s, fmt.Errorf("IPv4 total length %d for a %d-byte packet", ip.TotalLen(), len(pkt))
		}
		src, dst, proto, body = ip.Src(), ip.Dst(), ip.Protocol(), ip.Payload()
	case len(pkt) > 0 && pkt[0]>>4 == 6:
		ip := wire.IPv6(pkt)
		if err := ip.Validate(); err != nil {
			return s, fmt.Errorf("bad IPv6 header: %w", err)
		}
		if ip.PayloadLen()+wire.IPv6HeaderLen != len(pkt) {
			return s, fmt.Errorf("IPv6 payload length %d for a %d-byte packet", ip.PayloadLen(), len(pkt))
		}
		s.v6 = true
		src, dst, proto, body = ip.Src(), ip.Dst(), ip.NextHeader(), ip.Payload()
	default:
		return s, errors.New("not an IP packet")
	}
	if proto != wire.ProtoTCP {
		return s, fmt.Errorf("IP protocol %d, not TCP", proto)
	}
	t := wire.TCP(body)
	if err := t.Validate(); err != nil {
		return s, fmt.Errorf("bad TCP header: %w", err)
	}
	s.src, s.dst = netip.AddrPortFrom(src, t.SrcPort()), netip.AddrPortFrom(dst, t.DstPort())
	s.seq, s.ack, s.flags = t.Seq(), t.Ack(), t.Flags()
	s.reserved = body[12] & 0x0f
	s.doff, s.win, s.urg = t.DataOffset(), t.Window(), t.Urgent()
	s.optBytes, s.payload = t.Options(), t.Payload()
	var err error
	if s.opts, err = splitOptions(s.optBytes); err != nil {
		return s, fmt.Errorf("bad TCP options: %w", err)
	}
	return s, nil
}

// describeRaw renders a packet the host sent with its wire numbers, for
// the trace.
func describeRaw(pkt []byte) string {
	s, err := decodeSegment(pkt)
	if err != nil {
		return "undecodable packet: " + err.Error()
	}
	d := fmt.Sprintf("%v > %v %s %d:%d(%d) ack %d win %d", s.src, s.dst, flagString(s.flags),
		s.seq, s.seq+uint32(len(s.payload)), len(s.payload), s.ack, s.win)
	if len(s.opts) > 0 {
		d += " " + formatRawOptions(s.opts, 0, 0, false)
	}
	return d
}
