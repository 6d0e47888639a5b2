package drill

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/wire"
)

func TestICMPResolve(t *testing.T) {
	tests := []struct {
		fam       Family
		m         ICMPMessage
		typ, code uint8
		rest      uint32
		err       string // a text the error must contain; "" for none
	}{
		{IPv4, ICMPMessage{Type: "unreachable", Code: "host_unreachable"}, 3, 1, 0, ""},
		{IPv4, ICMPMessage{Type: "unreachable", Code: "packet_filtered"}, 3, 13, 0, ""},
		{IPv4, ICMPMessage{Type: "unreachable", Code: "precedence_cutoff"}, 3, 15, 0, ""},
		{IPv4, ICMPMessage{Type: "unreachable", Code: "frag_needed", MTU: 1000, HasMTU: true}, 3, 4, 1000, ""},
		{IPv4, ICMPMessage{Type: "source_quench"}, 4, 0, 0, ""},
		{IPv4, ICMPMessage{Type: "time_exceeded"}, 11, 0, 0, ""},
		{IPv4, ICMPMessage{Type: "type_3", Code: "code_10"}, 3, 10, 0, ""},
		{IPv6, ICMPMessage{Type: "unreachable", Code: "address_unreachable"}, 1, 3, 0, ""},
		{IPv6, ICMPMessage{Type: "unreachable", Code: "no_route"}, 1, 0, 0, ""},
		{IPv6, ICMPMessage{Type: "unreachable", Code: "admin_prohibited"}, 1, 1, 0, ""},
		{IPv6, ICMPMessage{Type: "unreachable", Code: "port_unreachable"}, 1, 4, 0, ""},
		{IPv6, ICMPMessage{Type: "packet_too_big", MTU: 70000, HasMTU: true}, 2, 0, 70000, ""},
		{IPv6, ICMPMessage{Type: "time_exceeded", Code: "exceeded_hop_limit"}, 3, 0, 0, ""},
		{IPv6, ICMPMessage{Type: "unreachable", Code: "host_unreachable"}, 0, 0, 0, "does not exist for unreachable in ipv6"},
		{IPv4, ICMPMessage{Type: "packet_too_big"}, 0, 0, 0, "type packet_too_big does not exist in ipv4"},
		{IPv4, ICMPMessage{Type: "unreachable", Code: "frag_needed", MTU: 70000, HasMTU: true}, 0, 0, 0, "out of range"},
		{IPv6, ICMPMessage{Type: "unreachable", Code: "port_unreachable", MTU: 1280, HasMTU: true}, 0, 0, 0, "an MTU is only for"},
		{IPv4, ICMPMessage{Type: "type_3", Code: "host_unreachable"}, 0, 0, 0, "does not exist"},
	}
	for _, tt := range tests {
		typ, code, rest, err := tt.m.resolve(tt.fam)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%v %+v: error %v, want one containing %q", tt.fam, tt.m, err, tt.err)
		case tt.err == "" && (err != nil || typ != tt.typ || code != tt.code || rest != tt.rest):
			t.Errorf("%v %+v = %d, %d, %d, %v; want %d, %d, %d", tt.fam, tt.m, typ, code, rest, err, tt.typ, tt.code, tt.rest)
		}
	}
}

// TestBuildICMP decodes the messages the runner injects with gopacket, an
// independent decoder: the outer header from the peer to us, the type,
// code, MTU and checksum, and the quoted IP header and TCP ports and
// sequence number of our segment.
func TestBuildICMP(t *testing.T) {
	for _, fam := range []Family{IPv4, IPv6} {
		local, remote := fam.addrs()
		tuple := stack.Tuple{Local: netip.AddrPortFrom(local, 54321), Remote: netip.AddrPortFrom(remote, 8080)}
		typ, code, mtu := uint8(3), uint8(4), uint32(1000)
		decoder := layers.LayerTypeIPv4
		if fam == IPv6 {
			typ, code, mtu, decoder = 2, 0, 1280, layers.LayerTypeIPv6
		}
		pkt := buildICMP(tuple, typ, code, mtu, 0xfffffff0, 100)
		p := gopacket.NewPacket(pkt, decoder, gopacket.Default)
		if e := p.ErrorLayer(); e != nil {
			t.Fatalf("%v: gopacket: %v", fam, e.Error())
		}
		var body []byte
		if fam == IPv4 {
			ip := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			m := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
			if ip.SrcIP.String() != remote.String() || ip.DstIP.String() != local.String() || ip.Protocol != layers.IPProtocolICMPv4 {
				t.Errorf("%v: outer header %v > %v proto %v", fam, ip.SrcIP, ip.DstIP, ip.Protocol)
			}
			if err, _ := m.VerifyChecksum(); err != nil || m.TypeCode != layers.CreateICMPv4TypeCode(typ, code) || uint32(m.Seq) != mtu {
				t.Errorf("%v: ICMP %v checksum %v, next-hop MTU %d", fam, m.TypeCode, err, m.Seq)
			}
			body = m.Payload
		} else {
			ip := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
			m := p.Layer(layers.LayerTypeICMPv6).(*layers.ICMPv6)
			if ip.SrcIP.String() != remote.String() || ip.DstIP.String() != local.String() || ip.NextHeader != layers.IPProtocolICMPv6 {
				t.Errorf("%v: outer header %v > %v next header %v", fam, ip.SrcIP, ip.DstIP, ip.NextHeader)
			}
			if got := binary.BigEndian.Uint32(m.Payload); m.TypeCode != layers.CreateICMPv6TypeCode(typ, code) || got != mtu {
				t.Errorf("%v: ICMPv6 %v, MTU %d", fam, m.TypeCode, got)
			}
			if want := icmpv6Checksum(t, ip, m); m.Checksum != want {
				t.Errorf("%v: ICMPv6 checksum %#x, gopacket computes %#x", fam, m.Checksum, want)
			}
			body = m.Payload[4:]
		}
		checkQuote(t, fam, body, tuple, 0xfffffff0, 100)
	}
}

// icmpv6Checksum is the checksum gopacket computes for m carried in ip.
func icmpv6Checksum(t *testing.T, ip *layers.IPv6, m *layers.ICMPv6) uint16 {
	t.Helper()
	c := &layers.ICMPv6{TypeCode: m.TypeCode}
	if err := c.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true}, c, gopacket.Payload(m.Payload)); err != nil {
		t.Fatal(err)
	}
	return binary.BigEndian.Uint16(buf.Bytes()[2:])
}

// checkQuote checks the quoted part of an ICMP message: an IP header from
// our address to the peer's for a TCP segment of n bytes, the ports and
// sequence number, then n zero bytes.
func checkQuote(t *testing.T, fam Family, body []byte, tuple stack.Tuple, seq uint32, n int) {
	t.Helper()
	decoder, ipLen := layers.LayerTypeIPv4, wire.IPv4MinHeaderLen
	if fam == IPv6 {
		decoder, ipLen = layers.LayerTypeIPv6, wire.IPv6HeaderLen
	}
	if len(body) != ipLen+8+n {
		t.Fatalf("%v: quote of %d bytes, want %d", fam, len(body), ipLen+8+n)
	}
	q := gopacket.NewPacket(body[:ipLen], decoder, gopacket.Default)
	var src, dst string
	var length int
	if fam == IPv4 {
		ip := q.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
		src, dst, length = ip.SrcIP.String(), ip.DstIP.String(), int(ip.Length)-ipLen
	} else {
		ip := q.Layer(layers.LayerTypeIPv6).(*layers.IPv6)
		src, dst, length = ip.SrcIP.String(), ip.DstIP.String(), int(ip.Length)
	}
	if src != tuple.Local.Addr().String() || dst != tuple.Remote.Addr().String() || length != wire.TCPMinHeaderLen+n {
		t.Errorf("%v: quoted header %s > %s, %d bytes after it", fam, src, dst, length)
	}
	tcp := body[ipLen:]
	if sp, dp, s := binary.BigEndian.Uint16(tcp), binary.BigEndian.Uint16(tcp[2:]), binary.BigEndian.Uint32(tcp[4:]); sp != tuple.Local.Port() || dp != tuple.Remote.Port() || s != seq {
		t.Errorf("%v: quoted ports %d > %d, seq %#x", fam, sp, dp, s)
	}
	if !allZero(tcp[8:]) {
		t.Errorf("%v: the quoted payload is not zeros", fam)
	}
}

func TestRunICMP(t *testing.T) {
	connect := "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0...0.1 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)\n"
	syn := "+0 > S 0:0(0) <...>\n"
	tests := []struct {
		name, src string
		fam       Family
		status    Status
		line      int
		reason    string
	}{
		{"refused", connect + syn + "+.1 < icmp unreachable port_unreachable [0:0(0)]\n", IPv4, Pass, 0, ""},
		{"refused in ipv6", connect + syn + "+.1 < icmp unreachable port_unreachable\n", IPv6, Pass, 0, ""},
		{"ipv4 code in ipv6", connect + syn + "+.1 < icmp unreachable host_unreachable [0:0(0)]\n", IPv6, Fail, 4, "parse error: ICMP code host_unreachable does not exist"},
		{"before our SYN's line", connect + "+.1 < icmp unreachable port_unreachable [0:0(0)]\n", IPv4, Fail, 3, "ISN is not known"},
		{"no connection", "0 < icmp unreachable port_unreachable [0:0(0)]\n", IPv4, Fail, 1, "no connection under test"},
		{"ignored out of window", connect + syn + "+.1 < icmp unreachable port_unreachable [7:7(0)]\n", IPv4, Fail, 2, "had not returned"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.pkt", tt.src)
			if err != nil {
				t.Fatal(err)
			}
			res := Run(s, Options{Family: tt.fam})
			if res.Status != tt.status || res.Line != tt.line || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("got %v; want %v line %d containing %q", res, tt.status, tt.line, tt.reason)
			}
		})
	}
}
