package wire_test

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/synack-net/synack/wire"
)

// The UDP codec cross-checked against gopacket, both ways, over IPv4 and
// IPv6 (the addresses of gopacket_test.go).

var udpPayloads = [][]byte{nil, []byte("!"), []byte("a query of odd length"), bytes.Repeat([]byte{0xa5}, 1400)}

// ourUDPPacket builds an IP packet from src to dst carrying a datagram
// from port 40001 to 9999.
func ourUDPPacket(src, dst netip.Addr, payload []byte) []byte {
	hl := wire.IPv4MinHeaderLen
	if src.Is6() {
		hl = wire.IPv6HeaderLen
	}
	pkt := make([]byte, hl+wire.UDPHeaderLen+len(payload))
	copy(pkt[hl+wire.UDPHeaderLen:], payload)
	n := wire.PutUDPHeader(pkt[hl:], netip.AddrPortFrom(src, 40001), netip.AddrPortFrom(dst, 9999), len(payload))
	if src.Is4() {
		wire.PutIPv4Header(pkt, src, dst, wire.ProtoUDP, 64, 7, n)
	} else {
		wire.PutIPv6Header(pkt, src, dst, wire.ProtoUDP, 64, n)
	}
	return pkt
}

func TestCrossUDPOursToGopacket(t *testing.T) {
	for _, ends := range [][2]netip.Addr{{src4, dst4}, {src6, dst6}} {
		for _, payload := range udpPayloads {
			pkt := ourUDPPacket(ends[0], ends[1], payload)
			first := layers.LayerTypeIPv4
			if ends[0].Is6() {
				first = layers.LayerTypeIPv6
			}
			p := gopacket.NewPacket(pkt, first, gopacket.Default)
			if err := p.ErrorLayer(); err != nil {
				t.Fatalf("gopacket decode: %v", err.Error())
			}
			udp, _ := p.Layer(layers.LayerTypeUDP).(*layers.UDP)
			if udp == nil {
				t.Fatal("gopacket found no UDP layer")
			}
			if udp.SrcPort != 40001 || udp.DstPort != 9999 || int(udp.Length) != wire.UDPHeaderLen+len(payload) || !bytes.Equal(udp.Payload, payload) {
				t.Fatalf("gopacket UDP fields: %+v", udp)
			}
			if err := udp.SetNetworkLayerForChecksum(p.NetworkLayer()); err != nil {
				t.Fatal(err)
			}
			if err, r := udp.VerifyChecksum(); err != nil || !r.Valid {
				t.Fatalf("gopacket UDP checksum: %v %+v", err, r)
			}
		}
	}
}

func TestCrossUDPGopacketToOurs(t *testing.T) {
	for _, ends := range [][2]netip.Addr{{src4, dst4}, {src6, dst6}} {
		for _, payload := range udpPayloads {
			udp := &layers.UDP{SrcPort: 40001, DstPort: 9999}
			var ip gopacket.SerializableLayer
			if ends[0].Is4() {
				l := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ends[0].AsSlice(), DstIP: ends[1].AsSlice()}
				udp.SetNetworkLayerForChecksum(l)
				ip = l
			} else {
				l := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolUDP, SrcIP: ends[0].AsSlice(), DstIP: ends[1].AsSlice()}
				udp.SetNetworkLayerForChecksum(l)
				ip = l
			}
			pkt := serialize(t, ip, udp, gopacket.Payload(payload))
			hl := wire.IPv4MinHeaderLen
			if ends[0].Is6() {
				hl = wire.IPv6HeaderLen
			}
			d := wire.UDP(pkt[hl:])
			if err := d.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if d.SrcPort() != 40001 || d.DstPort() != 9999 || !bytes.Equal(d.Payload(), payload) {
				t.Fatalf("fields %d %d %q", d.SrcPort(), d.DstPort(), d.Payload())
			}
			if err := d.VerifyChecksum(ends[0], ends[1]); err != nil {
				t.Fatalf("gopacket's checksum does not verify here: %v", err)
			}
			// Our encoder gives gopacket's bytes exactly.
			if ours := ourUDPPacket(ends[0], ends[1], payload); !bytes.Equal(ours[hl:], pkt[hl:]) {
				t.Fatalf("datagram differs:\nours     %x\ngopacket %x", ours[hl:], pkt[hl:])
			}
		}
	}
}
