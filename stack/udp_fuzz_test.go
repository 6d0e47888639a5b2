package stack

import (
	"net/netip"
	"testing"
	"time"

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

// FuzzForwardDatagram hands a host that forwards TCP and UDP a packet
// three times, a second apart, accepting and answering every flow in
// between; seeded with datagrams to foreign addresses of both families,
// a SYN to one and ICMP errors about a flow's reply. Nothing may panic,
// what the host sends must be valid IP no larger than the MTU, the flows
// stay within their bound, and they all expire in the end.
func FuzzForwardDatagram(f *testing.F) {
	far4 := netip.MustParseAddrPort("192.0.2.53:53")
	far6 := netip.MustParseAddrPort("[2001:db8:53::53]:53")
	a4, a6 := netip.AddrPortFrom(dgramA4, 4000), netip.AddrPortFrom(dgramA6, 4000)
	f.Add(udpPacket(a4, far4, []byte("query")))
	f.Add(udpPacket(a6, far6, []byte("query")))
	f.Add(udpPacket(a4, netip.AddrPortFrom(dgramB4, 9), nil))
	f.Add(synFrom(a4, netip.MustParseAddrPort("192.0.2.80:80"), 1))
	reply := udpPacket(far4, a4, []byte("answer"))
	for _, code := range []uint8{wire.ICMPv4CodePortUnreachable, wire.ICMPv4CodeFragmentationNeeded} {
		msg := make([]byte, wire.ICMPHeaderLen+len(reply))
		wire.PutICMPv4(msg, wire.ICMPv4TypeDestUnreachable, code, 576, reply)
		pkt := make([]byte, wire.IPv4MinHeaderLen+len(msg))
		copy(pkt[wire.IPv4MinHeaderLen:], msg)
		wire.PutIPv4Header(pkt, dgramA4, far4.Addr(), wire.ProtoICMPv4, 64, 1, len(msg))
		f.Add(pkt)
	}
	f.Fuzz(func(t *testing.T, pkt []byte) {
		p := newDgramPair(t)
		fl, err := p.b.ListenForwardUDP(UDPForwardOptions{MaxFlows: 2, Backlog: 1, QueueLen: 2})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.b.ListenForward(p.now, ForwardOptions{}); err != nil {
			t.Fatal(err)
		}
		var flows []*UDPFlow
		for range 3 {
			p.b.Deliver(p.now, pkt)
			for {
				fw, _ := fl.Accept()
				if fw == nil {
					break
				}
				flows = append(flows, fw)
			}
			for _, fw := range flows {
				buf := make([]byte, 2048)
				if n, err := fw.Recv(buf); err == nil {
					fw.Send(p.now, buf[:n])
				}
			}
			p.b.Tick(p.now)
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
			p.outB = nil
			if fl.Flows() > 2 {
				t.Fatalf("%d flows", fl.Flows())
			}
			if err := p.b.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
			p.now = p.now.Add(time.Second)
		}
		p.b.Tick(p.now.Add(DefaultUDPStreamTimeout))
		if fl.Flows() != 0 {
			t.Fatalf("%d flows outlived their timeout", fl.Flows())
		}
	})
}
