package stack

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// echoRequest builds an echo request packet from src to dst.
func echoRequest(src, dst netip.Addr, id, seq uint16, data []byte) []byte {
	hl := wire.IPv4MinHeaderLen
	if src.Is6() {
		hl = wire.IPv6HeaderLen
	}
	pkt := make([]byte, hl+wire.ICMPHeaderLen+len(data))
	rest := uint32(id)<<16 | uint32(seq)
	if src.Is6() {
		n := wire.PutICMPv6(pkt[hl:], src, dst, icmpv6EchoRequest, 0, rest, data)
		wire.PutIPv6Header(pkt, src, dst, wire.ProtoICMPv6, 64, n)
	} else {
		n := wire.PutICMPv4(pkt[hl:], icmpv4EchoRequest, 0, rest, data)
		wire.PutIPv4Header(pkt, src, dst, wire.ProtoICMPv4, 64, 1, n)
	}
	return pkt
}

// icmpOf returns the ICMP message of an IPv4 or IPv6 packet and checks
// its addresses and checksum.
func icmpOf(t *testing.T, pkt []byte, src, dst netip.Addr) []byte {
	t.Helper()
	if src.Is4() {
		ip := wire.IPv4(pkt)
		if ip.Validate() != nil || ip.Src() != src || ip.Dst() != dst || ip.Protocol() != wire.ProtoICMPv4 || wire.ICMPv4(ip.Payload()).Validate() != nil {
			t.Fatalf("not a valid ICMP packet from %v to %v: %x", src, dst, pkt)
		}
		return ip.Payload()
	}
	ip := wire.IPv6(pkt)
	if ip.Validate() != nil || ip.Src() != src || ip.Dst() != dst || ip.NextHeader() != wire.ProtoICMPv6 ||
		!wire.TransportChecksumValid(src, dst, wire.ProtoICMPv6, ip.Payload()) {
		t.Fatalf("not a valid ICMPv6 packet from %v to %v: %x", src, dst, pkt)
	}
	return ip.Payload()
}

func TestEchoReply(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			p := newDgramPair(t)
			a, b := pick(f.v6, dgramA4, dgramA6), pick(f.v6, dgramB4, dgramB6)
			data := []byte("ping payload, odd length")
			p.b.Deliver(p.now, echoRequest(a, b, 0x1234, 7, data))
			p.flush()
			if len(p.outB) != 1 {
				t.Fatalf("%d replies", len(p.outB))
			}
			m := icmpOf(t, p.outB[0], b, a)
			_, reply := echoTypes(f.v6)
			if m[0] != reply || m[1] != 0 || binary.BigEndian.Uint16(m[4:]) != 0x1234 || binary.BigEndian.Uint16(m[6:]) != 7 || !bytes.Equal(m[8:], data) {
				t.Fatalf("reply %x", m)
			}
			if k := p.b.Counters(); k.ICMPInEchos != 1 || k.ICMPOutEchoReps != 1 {
				t.Fatalf("InEchos %d OutEchoReps %d", k.ICMPInEchos, k.ICMPOutEchoReps)
			}
		})
	}
}

// TestEchoReplyRateLimit: 60 requests at one instant draw the burst of
// 50 replies; one more is allowed each millisecond after, not before.
func TestEchoReplyRateLimit(t *testing.T) {
	p := newDgramPair(t)
	req := echoRequest(dgramA4, dgramB4, 1, 1, nil)
	for range 60 {
		p.b.Deliver(p.now, req)
		if p.b.out.full() {
			p.flush()
		}
	}
	p.flush()
	if len(p.outB) != icmpGlobalBurst || p.b.Counters().ICMPOutRateLimitGlobal != 10 {
		t.Fatalf("%d replies, %d limited", len(p.outB), p.b.Counters().ICMPOutRateLimitGlobal)
	}
	p.outB = nil
	p.now = p.now.Add(icmpGlobalInterval - 1)
	p.b.Deliver(p.now, req)
	p.flush()
	if len(p.outB) != 0 {
		t.Fatal("a reply before the interval")
	}
	p.now = p.now.Add(1)
	p.b.Deliver(p.now, req)
	p.flush()
	if len(p.outB) != 1 {
		t.Fatalf("%d replies at the interval, want 1", len(p.outB))
	}
}

// TestPortUnreachableRateLimit: a peer gets a burst of 6 port
// unreachables, then one a second (Linux's icmp_ratelimit); another
// peer has its own budget.
func TestPortUnreachableRateLimit(t *testing.T) {
	p := newDgramPair(t)
	strays := func(src netip.Addr, n int) int {
		p.outB = nil
		for range n {
			p.b.Deliver(p.now, udpPacket(netip.AddrPortFrom(src, 1), netip.AddrPortFrom(dgramB4, 9), nil))
		}
		p.flush()
		return len(p.outB)
	}
	if got := strays(dgramA4, 10); got != icmpPeerBurst {
		t.Fatalf("%d unreachables, want %d", got, icmpPeerBurst)
	}
	other := netip.MustParseAddr("10.0.0.3")
	if got := strays(other, 1); got != 1 {
		t.Fatalf("another peer: %d", got)
	}
	p.now = p.now.Add(time.Second - 1)
	if got := strays(dgramA4, 1); got != 0 {
		t.Fatalf("%d unreachables before a second", got)
	}
	p.now = p.now.Add(1)
	if got := strays(dgramA4, 2); got != 1 {
		t.Fatalf("%d unreachables at a second, want 1", got)
	}
	if k := p.b.Counters(); k.ICMPOutRateLimitHost != 4+1+1 || k.UDPNoPorts != 14 {
		t.Fatalf("limited %d, no ports %d", k.ICMPOutRateLimitHost, k.UDPNoPorts)
	}
}

// TestICMPGlobalLimitOverErrors: errors to many peers stop at the
// global burst.
func TestICMPGlobalLimitOverErrors(t *testing.T) {
	p := newDgramPair(t)
	p.b.AddAddress(netip.MustParsePrefix("172.16.0.2/16"))
	sent := 0
	for i := range 80 {
		src := netip.AddrFrom4([4]byte{172, 16, 1, byte(i)})
		p.b.Deliver(p.now, udpPacket(netip.AddrPortFrom(src, 1), netip.MustParseAddrPort("172.16.0.2:9"), nil))
		p.flush()
		sent += len(p.outB)
		p.outB = nil
	}
	if k := p.b.Counters(); sent != icmpGlobalBurst || k.ICMPOutRateLimitGlobal != 30 {
		t.Fatalf("sent %d, globally limited %d", sent, k.ICMPOutRateLimitGlobal)
	}
}

func TestPingSocket(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			p := newDgramPair(t)
			b := pick(f.v6, dgramB4, dgramB6)
			s, err := p.a.OpenPing(f.v6, netip.Addr{}, netip.Addr{})
			if err != nil {
				t.Fatal(err)
			}
			request, reply := echoTypes(f.v6)
			msg := []byte{request, 0, 0xff, 0xff, 0xab, 0xcd, 0, 42, 'h', 'i'}
			if err := s.SendTo(msg, b); err != nil {
				t.Fatal(err)
			}
			p.pump()
			buf := make([]byte, 64)
			n, from, err := s.RecvFrom(buf)
			if err != nil || from != b {
				t.Fatalf("RecvFrom: %d from %v, %v", n, from, err)
			}
			got := buf[:n]
			// The socket's identifier replaced the user's; the sequence
			// number and data are the user's.
			if got[0] != reply || binary.BigEndian.Uint16(got[4:]) != s.ID() || binary.BigEndian.Uint16(got[6:]) != 42 || string(got[8:]) != "hi" {
				t.Fatalf("reply %x (id %#x)", got, s.ID())
			}
			if k := p.a.Counters(); k.ICMPOutEchos != 1 || k.ICMPInEchoReps != 1 {
				t.Fatalf("OutEchos %d InEchoReps %d", k.ICMPOutEchos, k.ICMPInEchoReps)
			}
			for _, bad := range [][]byte{msg[:7], append([]byte{reply}, msg[1:]...), append([]byte{request, 1}, msg[2:]...)} {
				if err := s.SendTo(bad, b); err != syscall.EINVAL {
					t.Errorf("SendTo(%x): %v, want EINVAL", bad, err)
				}
			}
		})
	}
}

// TestPingSocketDemux: each socket gets only the replies with its
// identifier, a connected one only its peer's, and a reply for no socket
// is dropped and counted.
func TestPingSocketDemux(t *testing.T) {
	p := newDgramPair(t)
	s1, _ := p.a.OpenPing(false, netip.Addr{}, netip.Addr{})
	s2, _ := p.a.OpenPing(false, netip.Addr{}, dgramB4)
	if s1.ID() == s2.ID() {
		t.Fatal("two sockets share an identifier")
	}
	reply := func(src netip.Addr, id uint16) []byte {
		pkt := echoRequest(src, dgramA4, id, 1, nil)
		pkt[20] = icmpv4EchoReply
		m := pkt[20:]
		m[2], m[3] = 0, 0
		binary.BigEndian.PutUint16(m[2:], wire.FoldChecksum(wire.Checksum(m, 0)))
		return pkt
	}
	other := netip.MustParseAddr("10.0.0.3")
	p.a.Deliver(p.now, reply(dgramB4, s1.ID()))
	p.a.Deliver(p.now, reply(other, s2.ID())) // not s2's peer
	p.a.Deliver(p.now, reply(dgramB4, s2.ID()))
	p.a.Deliver(p.now, reply(dgramB4, s1.ID()^s2.ID()^0x8000))
	if n, _ := s1.Queued(); n != 1 {
		t.Fatalf("s1 has %d replies", n)
	}
	if n, _ := s2.Queued(); n != 1 {
		t.Fatalf("s2 has %d replies", n)
	}
	if k := p.a.Counters(); k.ICMPInEchoReps != 4 || k.Drops[DropNoSocket] != 2 {
		t.Fatalf("InEchoReps %d, no socket %d", k.ICMPInEchoReps, k.Drops[DropNoSocket])
	}
	// A connected socket sends to its peer by default; Close frees the id.
	if err := s2.SendTo([]byte{icmpv4EchoRequest, 0, 0, 0, 0, 0, 0, 1}, netip.Addr{}); err != nil {
		t.Fatal(err)
	}
	id := s2.ID()
	s2.Close()
	if _, _, err := s2.RecvFrom(nil); err != syscall.EBADF {
		t.Fatalf("after Close: %v", err)
	}
	if p.a.dgram.pings[pingKey{id: id}] != nil {
		t.Fatal("identifier still taken after Close")
	}
}
