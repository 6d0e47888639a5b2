package wire_test

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/synack-net/synack/wire"
)

// This file cross-checks the codecs against gopacket's layers, an
// independent implementation: packets we build must decode there with the
// same fields and valid checksums, and packets gopacket builds must decode
// here.

var (
	src4 = netip.MustParseAddr("10.0.0.1")
	dst4 = netip.MustParseAddr("10.0.0.2")
	src6 = netip.MustParseAddr("fd00::1")
	dst6 = netip.MustParseAddr("fd00::2:3")
)

var crossOptions = []wire.TCPOptions{
	{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, TSVal: 0x11223344, TSEcr: 0, HasTS: true},
	{MSS: 1440, HasMSS: true, WScale: 14, HasWScale: true, SACKPermitted: true},
	{TSVal: 5, TSEcr: 6, HasTS: true, NumSACK: 3, SACK: [wire.MaxSACKBlocks]wire.SACKBlock{{100, 200}, {300, 400}, {0xfffffff0, 0x10}}},
	{NumSACK: 4, SACK: [wire.MaxSACKBlocks]wire.SACKBlock{{1, 2}, {3, 4}, {5, 6}, {7, 8}}},
	{},
}

var crossHeader = wire.TCPHeader{
	SrcPort: 50000, DstPort: 8080, Seq: 0x01020304, Ack: 0xa0b0c0d0,
	Flags: wire.FlagACK | wire.FlagPSH, Window: 29200, Urgent: 0,
}

// ourTCP builds a TCP segment from src to dst with options o and payload.
func ourTCP(src, dst netip.Addr, o *wire.TCPOptions, payload []byte) []byte {
	b := make([]byte, wire.TCPMaxHeaderLen+len(payload))
	n := wire.PutTCPHeader(b, crossHeader, o)
	b = append(b[:n], payload...)
	wire.TCP(b).SetChecksum(wire.TransportChecksum(src, dst, wire.ProtoTCP, b))
	return b
}

// optionsFromGopacket decodes gopacket's option list into a TCPOptions by
// hand, without our parser.
func optionsFromGopacket(t *testing.T, opts []layers.TCPOption) wire.TCPOptions {
	t.Helper()
	var o wire.TCPOptions
	for _, op := range opts {
		d := op.OptionData
		switch op.OptionType {
		case layers.TCPOptionKindMSS:
			o.MSS, o.HasMSS = binary.BigEndian.Uint16(d), true
		case layers.TCPOptionKindWindowScale:
			o.WScale, o.HasWScale = d[0], true
		case layers.TCPOptionKindSACKPermitted:
			o.SACKPermitted = true
		case layers.TCPOptionKindSACK:
			o.NumSACK = len(d) / 8
			for i := range o.NumSACK {
				o.SACK[i] = wire.SACKBlock{Left: binary.BigEndian.Uint32(d[8*i:]), Right: binary.BigEndian.Uint32(d[8*i+4:])}
			}
		case layers.TCPOptionKindTimestamps:
			o.TSVal, o.TSEcr, o.HasTS = binary.BigEndian.Uint32(d), binary.BigEndian.Uint32(d[4:]), true
		case layers.TCPOptionKindNop, layers.TCPOptionKindEndList:
		default:
			t.Fatalf("unexpected option kind %v", op.OptionType)
		}
	}
	return o
}

// optionsToGopacket lists o's options for gopacket to serialize, in an
// order different from ours (BSD style: MSS, NOP, WS, SACKOK, TS, SACK).
func optionsToGopacket(o wire.TCPOptions) []layers.TCPOption {
	var opts []layers.TCPOption
	add := func(kind layers.TCPOptionKind, data []byte) {
		opts = append(opts, layers.TCPOption{OptionType: kind, OptionLength: uint8(2 + len(data)), OptionData: data})
	}
	if o.HasMSS {
		add(layers.TCPOptionKindMSS, binary.BigEndian.AppendUint16(nil, o.MSS))
	}
	if o.HasWScale {
		opts = append(opts, layers.TCPOption{OptionType: layers.TCPOptionKindNop})
		add(layers.TCPOptionKindWindowScale, []byte{o.WScale})
	}
	if o.SACKPermitted {
		add(layers.TCPOptionKindSACKPermitted, nil)
	}
	if o.HasTS {
		add(layers.TCPOptionKindTimestamps, binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, o.TSVal), o.TSEcr))
	}
	if o.NumSACK > 0 {
		var d []byte
		for _, s := range o.SACK[:o.NumSACK] {
			d = binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(d, s.Left), s.Right)
		}
		add(layers.TCPOptionKindSACK, d)
	}
	return opts
}

func gopacketTCP(o wire.TCPOptions) *layers.TCP {
	return &layers.TCP{
		SrcPort: layers.TCPPort(crossHeader.SrcPort), DstPort: layers.TCPPort(crossHeader.DstPort),
		Seq: crossHeader.Seq, Ack: crossHeader.Ack, ACK: true, PSH: true,
		Window: crossHeader.Window, Options: optionsToGopacket(o),
	}
}

func serialize(t *testing.T, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatalf("gopacket serialize: %v", err)
	}
	return buf.Bytes()
}

// checkGopacketTCP checks a TCP layer gopacket decoded from our bytes.
func checkGopacketTCP(t *testing.T, tcp *layers.TCP, net gopacket.NetworkLayer, o wire.TCPOptions, payload []byte) {
	t.Helper()
	if tcp == nil {
		t.Fatal("gopacket found no TCP layer")
	}
	if uint16(tcp.SrcPort) != crossHeader.SrcPort || uint16(tcp.DstPort) != crossHeader.DstPort ||
		tcp.Seq != crossHeader.Seq || tcp.Ack != crossHeader.Ack || tcp.Window != crossHeader.Window ||
		!tcp.ACK || !tcp.PSH || tcp.SYN || tcp.FIN || tcp.RST || tcp.URG {
		t.Fatalf("gopacket TCP fields: %+v", tcp)
	}
	if got := optionsFromGopacket(t, tcp.Options); got != o {
		t.Fatalf("gopacket options = %+v, want %+v", got, o)
	}
	if !bytes.Equal(tcp.Payload, payload) {
		t.Fatalf("gopacket payload %q", tcp.Payload)
	}
	if err := tcp.SetNetworkLayerForChecksum(net); err != nil {
		t.Fatal(err)
	}
	if err, r := tcp.VerifyChecksum(); err != nil || !r.Valid {
		t.Fatalf("gopacket TCP checksum: %v %+v", err, r)
	}
}

// checkOurTCP checks a TCP segment gopacket built.
func checkOurTCP(t *testing.T, src, dst netip.Addr, seg []byte, o wire.TCPOptions, payload []byte) {
	t.Helper()
	tcp := wire.TCP(seg)
	if err := tcp.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	got := wire.TCPHeader{SrcPort: tcp.SrcPort(), DstPort: tcp.DstPort(), Seq: tcp.Seq(), Ack: tcp.Ack(), Flags: tcp.Flags(), Window: tcp.Window(), Urgent: tcp.Urgent()}
	if got != crossHeader {
		t.Fatalf("header = %+v, want %+v", got, crossHeader)
	}
	var p wire.TCPOptions
	if err := tcp.ParseOptions(&p); err != nil || p != o {
		t.Fatalf("options = %+v, %v; want %+v", p, err, o)
	}
	if !bytes.Equal(tcp.Payload(), payload) {
		t.Fatalf("payload %q", tcp.Payload())
	}
	if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, seg) {
		t.Fatal("gopacket's TCP checksum does not verify here")
	}
}

func TestCrossIPv4TCPOursToGopacket(t *testing.T) {
	payload := []byte("GET / HTTP/1.1\r\n\r\n!") // odd length
	for _, o := range crossOptions {
		seg := ourTCP(src4, dst4, &o, payload)
		pkt := make([]byte, wire.IPv4MinHeaderLen+len(seg))
		wire.PutIPv4Header(pkt, src4, dst4, wire.ProtoTCP, 63, 0xbeef, len(seg))
		copy(pkt[wire.IPv4MinHeaderLen:], seg)

		p := gopacket.NewPacket(pkt, layers.LayerTypeIPv4, gopacket.Default)
		if err := p.ErrorLayer(); err != nil {
			t.Fatalf("gopacket decode: %v", err.Error())
		}
		ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if ip.Version != 4 || ip.IHL != 5 || int(ip.Length) != len(pkt) || ip.Id != 0xbeef || ip.Flags != layers.IPv4DontFragment ||
			ip.FragOffset != 0 || ip.TTL != 63 || ip.Protocol != layers.IPProtocolTCP ||
			!ip.SrcIP.Equal(net.IP(src4.AsSlice())) || !ip.DstIP.Equal(net.IP(dst4.AsSlice())) {
			t.Fatalf("gopacket IPv4 fields: %+v", ip)
		}
		if err, r := ip.VerifyChecksum(); err != nil || !r.Valid {
			t.Fatalf("gopacket IPv4 checksum: %v %+v", err, r)
		}
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		checkGopacketTCP(t, tcp, ip, o, payload)

		// gopacket re-serializing what it decoded, checksums recomputed,
		// must give our bytes back.
		again := serialize(t, ip, tcp, gopacket.Payload(payload))
		if !bytes.Equal(again, pkt) {
			t.Fatalf("gopacket re-serialization differs:\n ours % x\n gopk % x", pkt, again)
		}
	}
}

func TestCrossIPv4TCPGopacketToOurs(t *testing.T) {
	payload := []byte("response body")
	for _, o := range crossOptions {
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: 77, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP,
			SrcIP: net.IP(src4.AsSlice()), DstIP: net.IP(dst4.AsSlice())}
		tcp := gopacketTCP(o)
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		pkt := wire.IPv4(serialize(t, ip, tcp, gopacket.Payload(payload)))
		if err := pkt.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if pkt.Src() != src4 || pkt.Dst() != dst4 || pkt.TTL() != 64 || pkt.ID() != 77 || pkt.Protocol() != wire.ProtoTCP || pkt.TotalLen() != len(pkt) {
			t.Fatalf("IPv4 fields: %v %v ttl %d id %d proto %d len %d", pkt.Src(), pkt.Dst(), pkt.TTL(), pkt.ID(), pkt.Protocol(), pkt.TotalLen())
		}
		checkOurTCP(t, src4, dst4, pkt.Payload(), o, payload)
	}
}

func TestCrossIPv6TCPOursToGopacket(t *testing.T) {
	payload := []byte("v6 data")
	for _, o := range crossOptions {
		seg := ourTCP(src6, dst6, &o, payload)
		pkt := make([]byte, wire.IPv6HeaderLen+len(seg))
		wire.PutIPv6Header(pkt, src6, dst6, wire.ProtoTCP, 255, len(seg))
		copy(pkt[wire.IPv6HeaderLen:], seg)

		p := gopacket.NewPacket(pkt, layers.LayerTypeIPv6, gopacket.Default)
		if err := p.ErrorLayer(); err != nil {
			t.Fatalf("gopacket decode: %v", err.Error())
		}
		ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		if ip.Version != 6 || int(ip.Length) != len(seg) || ip.NextHeader != layers.IPProtocolTCP || ip.HopLimit != 255 ||
			!ip.SrcIP.Equal(net.IP(src6.AsSlice())) || !ip.DstIP.Equal(net.IP(dst6.AsSlice())) {
			t.Fatalf("gopacket IPv6 fields: %+v", ip)
		}
		tcp, _ := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		checkGopacketTCP(t, tcp, ip, o, payload)
	}
}

func TestCrossIPv6TCPGopacketToOurs(t *testing.T) {
	payload := []byte("v6 reply!")
	for _, o := range crossOptions {
		ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
			SrcIP: net.IP(src6.AsSlice()), DstIP: net.IP(dst6.AsSlice())}
		tcp := gopacketTCP(o)
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		pkt := wire.IPv6(serialize(t, ip, tcp, gopacket.Payload(payload)))
		if err := pkt.Validate(); err != nil {
			t.Fatalf("Validate: %v", err)
		}
		if pkt.Src() != src6 || pkt.Dst() != dst6 || pkt.HopLimit() != 64 || pkt.PayloadLen() != len(pkt)-wire.IPv6HeaderLen {
			t.Fatalf("IPv6 fields: %v %v hop %d len %d", pkt.Src(), pkt.Dst(), pkt.HopLimit(), pkt.PayloadLen())
		}
		proto, seg := pkt.UpperLayer()
		if proto != wire.ProtoTCP {
			t.Fatalf("upper layer protocol %d", proto)
		}
		checkOurTCP(t, src6, dst6, seg, o, payload)
	}
}

// gopacketQuote returns what an ICMP error quotes of a gopacket-built
// IPv4 or IPv6 packet carrying a TCP SYN: the IP header and 8 bytes of TCP.
func gopacketQuote(t *testing.T, ip gopacket.NetworkLayer, ipLen int) []byte {
	tcp := &layers.TCP{SrcPort: 33333, DstPort: 22, Seq: 0xcafef00d, SYN: true, Window: 1024}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serialize(t, ip.(gopacket.SerializableLayer), tcp)[:ipLen+8]
}

func checkQuoted(t *testing.T, embedded []byte, wantSrc, wantDst netip.Addr, sport, dport uint16, seq uint32) {
	t.Helper()
	s, d, proto, sp, dp, sq, err := wire.Quoted(embedded)
	if err != nil || s != wantSrc || d != wantDst || proto != wire.ProtoTCP || sp != sport || dp != dport || sq != seq {
		t.Fatalf("Quoted = %v %v %d %d %d %#x %v", s, d, proto, sp, dp, sq, err)
	}
}

func TestCrossICMPv4OursToGopacket(t *testing.T) {
	for _, code := range []uint8{wire.ICMPv4CodePortUnreachable, wire.ICMPv4CodeFragmentationNeeded} {
		// The quoted packet: our SYN from src4 to dst4, cut after 8 TCP bytes.
		seg := ourTCP(src4, dst4, &crossOptions[0], nil)
		orig := make([]byte, wire.IPv4MinHeaderLen+len(seg))
		wire.PutIPv4Header(orig, src4, dst4, wire.ProtoTCP, 64, 1, len(seg))
		copy(orig[wire.IPv4MinHeaderLen:], seg)
		quote := orig[:wire.IPv4MinHeaderLen+8]

		msg := make([]byte, wire.ICMPHeaderLen+len(quote))
		n := wire.PutICMPv4(msg, wire.ICMPv4TypeDestUnreachable, code, 1400, quote)
		pkt := make([]byte, wire.IPv4MinHeaderLen+n)
		wire.PutIPv4Header(pkt, dst4, src4, wire.ProtoICMPv4, 64, 2, n)
		copy(pkt[wire.IPv4MinHeaderLen:], msg[:n])

		p := gopacket.NewPacket(pkt, layers.LayerTypeIPv4, gopacket.Default)
		icmp, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
		if icmp == nil {
			t.Fatal("gopacket found no ICMPv4 layer")
		}
		if icmp.TypeCode != layers.CreateICMPv4TypeCode(wire.ICMPv4TypeDestUnreachable, code) || icmp.Seq != 1400 || icmp.Id != 0 {
			t.Fatalf("gopacket ICMPv4: %+v", icmp)
		}
		if err, r := icmp.VerifyChecksum(); err != nil || !r.Valid {
			t.Fatalf("gopacket ICMPv4 checksum: %v %+v", err, r)
		}
		if !bytes.Equal(icmp.Payload, quote) {
			t.Fatalf("gopacket ICMPv4 payload % x", icmp.Payload)
		}
		// gopacket reads the quoted IP header too.
		q := gopacket.NewPacket(icmp.Payload, layers.LayerTypeIPv4, gopacket.Default)
		qip, _ := q.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		if qip == nil || !qip.SrcIP.Equal(net.IP(src4.AsSlice())) || !qip.DstIP.Equal(net.IP(dst4.AsSlice())) || qip.Protocol != layers.IPProtocolTCP {
			t.Fatalf("gopacket quoted IPv4: %+v", qip)
		}
	}
}

func TestCrossICMPv4GopacketToOurs(t *testing.T) {
	quote := gopacketQuote(t, &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP,
		SrcIP: net.IP(src4.AsSlice()), DstIP: net.IP(dst4.AsSlice())}, wire.IPv4MinHeaderLen)
	ip := &layers.IPv4{Version: 4, TTL: 255, Protocol: layers.IPProtocolICMPv4,
		SrcIP: net.IP(dst4.AsSlice()), DstIP: net.IP(src4.AsSlice())}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodeFragmentationNeeded), Seq: 1280}
	pkt := wire.IPv4(serialize(t, ip, icmp, gopacket.Payload(quote)))
	if err := pkt.Validate(); err != nil || pkt.Protocol() != wire.ProtoICMPv4 {
		t.Fatalf("Validate = %v, protocol %d", err, pkt.Protocol())
	}
	m := wire.ICMPv4(pkt.Payload())
	if err := m.Validate(); err != nil {
		t.Fatalf("ICMPv4 Validate: %v", err)
	}
	if m.Type() != wire.ICMPv4TypeDestUnreachable || m.Code() != wire.ICMPv4CodeFragmentationNeeded || m.MTU() != 1280 {
		t.Fatalf("type %d code %d mtu %d", m.Type(), m.Code(), m.MTU())
	}
	checkQuoted(t, m.Embedded(), src4, dst4, 33333, 22, 0xcafef00d)
}

func TestCrossICMPv6OursToGopacket(t *testing.T) {
	seg := ourTCP(src6, dst6, &crossOptions[2], []byte("a big segment"))
	orig := make([]byte, wire.IPv6HeaderLen+len(seg))
	wire.PutIPv6Header(orig, src6, dst6, wire.ProtoTCP, 64, len(seg))
	copy(orig[wire.IPv6HeaderLen:], seg)

	msg := make([]byte, wire.ICMPHeaderLen+len(orig))
	n := wire.PutICMPv6(msg, dst6, src6, wire.ICMPv6TypePacketTooBig, 0, 1280, orig)
	pkt := make([]byte, wire.IPv6HeaderLen+n)
	wire.PutIPv6Header(pkt, dst6, src6, wire.ProtoICMPv6, 64, n)
	copy(pkt[wire.IPv6HeaderLen:], msg[:n])

	p := gopacket.NewPacket(pkt, layers.LayerTypeIPv6, gopacket.Default)
	ip, _ := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
	icmp, _ := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
	if ip == nil || icmp == nil {
		t.Fatal("gopacket found no IPv6/ICMPv6 layers")
	}
	if icmp.TypeCode != layers.CreateICMPv6TypeCode(layers.ICMPv6TypePacketTooBig, 0) {
		t.Fatalf("gopacket ICMPv6 type code %v", icmp.TypeCode)
	}
	if err := icmp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	if err, r := icmp.VerifyChecksum(); err != nil || !r.Valid {
		t.Fatalf("gopacket ICMPv6 checksum: %v %+v", err, r)
	}
	body := icmp.Payload // the MTU, then the invoking packet
	if len(body) < 4 || binary.BigEndian.Uint32(body) != 1280 || !bytes.Equal(body[4:], orig) {
		t.Fatalf("gopacket ICMPv6 body % x", body)
	}
	q := gopacket.NewPacket(body[4:], layers.LayerTypeIPv6, gopacket.Default)
	qtcp, _ := q.Layer(layers.LayerTypeTCP).(*layers.TCP)
	if qtcp == nil || qtcp.SrcPort != layers.TCPPort(crossHeader.SrcPort) || qtcp.Seq != crossHeader.Seq {
		t.Fatalf("gopacket quoted TCP: %+v", qtcp)
	}
}

func TestCrossICMPv6GopacketToOurs(t *testing.T) {
	quote := gopacketQuote(t, &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP,
		SrcIP: net.IP(src6.AsSlice()), DstIP: net.IP(dst6.AsSlice())}, wire.IPv6HeaderLen)
	ip := &layers.IPv6{Version: 6, HopLimit: 255, NextHeader: layers.IPProtocolICMPv6,
		SrcIP: net.IP(dst6.AsSlice()), DstIP: net.IP(src6.AsSlice())}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypePacketTooBig, 0)}
	if err := icmp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	pkt := wire.IPv6(serialize(t, ip, icmp, gopacket.Payload(append(binary.BigEndian.AppendUint32(nil, 1300), quote...))))
	if err := pkt.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	proto, body := pkt.UpperLayer()
	if proto != wire.ProtoICMPv6 || !wire.TransportChecksumValid(pkt.Src(), pkt.Dst(), wire.ProtoICMPv6, body) {
		t.Fatalf("protocol %d or checksum invalid", proto)
	}
	m := wire.ICMPv6(body)
	if err := m.Validate(); err != nil {
		t.Fatalf("ICMPv6 Validate: %v", err)
	}
	if m.Type() != wire.ICMPv6TypePacketTooBig || m.Code() != 0 || m.MTU() != 1300 {
		t.Fatalf("type %d code %d mtu %d", m.Type(), m.Code(), m.MTU())
	}
	checkQuoted(t, m.Embedded(), src6, dst6, 33333, 22, 0xcafef00d)
}
