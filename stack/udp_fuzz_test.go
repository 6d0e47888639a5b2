package stack

import (
	"net/netip"
	"testing"

	"github.com/synack-net/synack/wire"
)

// FuzzDeliverDatagram hands a host with UDP and ping sockets arbitrary
// packets, seeded with well-formed UDP datagrams, echo requests and
// replies and ICMP errors: nothing may panic, and everything the host
// sends in answer must be a valid IP packet no larger than the MTU.
func FuzzDeliverDatagram(f *testing.F) {
	a4 := netip.AddrPortFrom(dgramA4, 4000)
	f.Add(udpPacket(a4, netip.AddrPortFrom(dgramB4, 53), []byte("query")))
	f.Add(udpPacket(netip.AddrPortFrom(dgramA6, 4000), netip.AddrPortFrom(dgramB6, 9), []byte("closed")))
	f.Add(echoRequest(dgramA4, dgramB4, 1, 2, []byte("ping")))
	f.Add(echoRequest(dgramA6, dgramB6, 1, 2, nil))
	reply := echoRequest(dgramA4, dgramB4, 7, 1, nil)
	reply[20] = icmpv4EchoReply
	f.Add(reply)
	sent := udpPacket(netip.AddrPortFrom(dgramB4, 5353), a4, []byte("x"))
	icmpMsg := make([]byte, wire.ICMPHeaderLen+len(sent))
	wire.PutICMPv4(icmpMsg, wire.ICMPv4TypeDestUnreachable, wire.ICMPv4CodePortUnreachable, 0, sent)
	errPkt := make([]byte, wire.IPv4MinHeaderLen+len(icmpMsg))
	copy(errPkt[wire.IPv4MinHeaderLen:], icmpMsg)
	wire.PutIPv4Header(errPkt, dgramA4, dgramB4, wire.ProtoICMPv4, 64, 1, len(icmpMsg))
	f.Add(errPkt)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		p := newDgramPair(t)
		mustBind(t, p.b, netip.MustParseAddrPort("[::]:53"), true)
		if _, err := p.b.ConnectUDP(netip.MustParseAddrPort("10.0.0.2:5353"), a4); err != nil {
			t.Fatal(err)
		}
		if _, err := p.b.OpenPing(false, netip.Addr{}, netip.Addr{}); err != nil {
			t.Fatal(err)
		}
		p.b.Deliver(p.now, pkt)
		p.flush()
		for _, out := range p.outB {
			var err error
			if out[0]>>4 == 4 {
				err = wire.IPv4(out).Validate()
			} else {
				err = wire.IPv6(out).Validate()
			}
			if err != nil || len(out) > p.b.MTU() {
				t.Fatalf("sent an invalid packet (%v, %d bytes): %x", err, len(out), out)
			}
		}
	})
}
