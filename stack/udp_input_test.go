package stack

import (
	"net/netip"
	"syscall"
	"testing"

	"github.com/synack-net/synack/wire"
)

func TestUDPMalformed(t *testing.T) {
	p := newDgramPair(t)
	mustBind(t, p.b, netip.MustParseAddrPort("10.0.0.2:9"), false)
	good := udpPacket(netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:9"), []byte("abc"))
	for name, mod := range map[string]func(b []byte) []byte{
		"short":     func(b []byte) []byte { return ipv4With(b[:20+7]) },
		"length 7":  func(b []byte) []byte { b[20+5] = 7; return b },
		"too long":  func(b []byte) []byte { b[20+5] = 12; return b },
		"corrupted": func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
	} {
		before := p.b.Counters()
		p.b.Deliver(p.now, mod(append([]byte(nil), good...)))
		after := p.b.Counters()
		if after.UDPInErrors != before.UDPInErrors+1 || after.UDPInDatagrams != 0 {
			t.Errorf("%s: InErrors %d -> %d, InDatagrams %d", name, before.UDPInErrors, after.UDPInErrors, after.UDPInDatagrams)
		}
	}
	if k := p.b.Counters(); k.UDPInCsumErrors != 1 || k.Drops[DropBadUDPHeader] != 3 {
		t.Fatalf("InCsumErrors %d, bad headers %d", k.UDPInCsumErrors, k.Drops[DropBadUDPHeader])
	}
}

// udpPacket builds an IPv4 or IPv6 packet carrying a datagram.
func udpPacket(src, dst netip.AddrPort, payload []byte) []byte {
	hl := wire.IPv4MinHeaderLen
	if src.Addr().Is6() {
		hl = wire.IPv6HeaderLen
	}
	pkt := make([]byte, hl+wire.UDPHeaderLen+len(payload))
	copy(pkt[hl+wire.UDPHeaderLen:], payload)
	n := wire.PutUDPHeader(pkt[hl:], src, dst, len(payload))
	if hl == wire.IPv6HeaderLen {
		wire.PutIPv6Header(pkt, src.Addr(), dst.Addr(), wire.ProtoUDP, 64, n)
	} else {
		wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoUDP, 64, 1, n)
	}
	return pkt
}

// ipv4With rewrites the IPv4 header of pkt for its new length.
func ipv4With(pkt []byte) []byte {
	ip := wire.IPv4(pkt)
	wire.PutIPv4Header(pkt, ip.Src(), ip.Dst(), ip.Protocol(), 64, 1, len(pkt)-wire.IPv4MinHeaderLen)
	return pkt
}

func TestUDPChecksumRules(t *testing.T) {
	p := newDgramPair(t)
	for _, f := range families {
		s := mustBind(t, p.b, netip.AddrPortFrom(pick(f.v6, dgramB4, dgramB6), 9), false)
		pkt := udpPacket(netip.AddrPortFrom(pick(f.v6, dgramA4, dgramA6), 1), s.LocalAddr(), []byte("no sum"))
		hl := len(pkt) - wire.UDPHeaderLen - 6
		wire.UDP(pkt[hl:]).SetChecksum(0)
		p.b.Deliver(p.now, pkt)
		_, _, err := s.RecvFrom(make([]byte, 10))
		if f.v6 {
			// RFC 8200 §8.1: dropped, unless the socket asked (RFC 6936).
			if err != syscall.EAGAIN || p.b.Counters().UDPInCsumErrors != 1 {
				t.Fatalf("IPv6 zero checksum accepted: %v", err)
			}
			s.SetZeroChecksum6(false, true)
			p.b.Deliver(p.now, pkt)
			_, _, err = s.RecvFrom(make([]byte, 10))
		}
		if err != nil {
			t.Fatalf("%s zero checksum: %v", f.name, err)
		}
	}
	// RFC 6935: a sender that asks sends IPv6 datagrams with no checksum.
	s := mustBind(t, p.a, netip.MustParseAddrPort("[fd00::1]:5"), false)
	s.SetZeroChecksum6(true, false)
	s.SendTo([]byte("x"), netip.MustParseAddrPort("[fd00::2]:9"))
	p.flush()
	if len(p.outA) != 1 || wire.UDP(p.outA[0][wire.IPv6HeaderLen:]).Checksum() != 0 {
		t.Fatalf("sent %x", p.outA)
	}
}

// TestUDPReceiveQueueBounds: the queue takes datagrams while their
// storage is below SO_RCVBUF, and never more than maxQueuedDatagrams;
// the rest are dropped and counted on the socket and the host.
func TestUDPReceiveQueueBounds(t *testing.T) {
	p := newDgramPair(t)
	s := mustBind(t, p.b, netip.MustParseAddrPort("10.0.0.2:9"), false)
	s.SetRecvBuffer(1) // clamped to MinDgramBuffer, 2304
	from := netip.MustParseAddrPort("10.0.0.1:1")
	// 1000 bytes take 1024-byte storage: 0, 1024 and 2048 are below 2304.
	for range 5 {
		p.b.Deliver(p.now, udpPacket(from, s.LocalAddr(), make([]byte, 1000)))
	}
	if n, charged := s.Queued(); n != 3 || charged != 3*1024 || s.Drops() != 2 {
		t.Fatalf("queued %d (%d bytes), dropped %d; want 3, 3072, 2", n, charged, s.Drops())
	}
	k := p.b.Counters()
	if k.UDPRcvbufErrors != 2 || k.UDPInErrors != 2 || k.UDPInDatagrams != 3 || k.Drops[DropRecvQueueFull] != 2 {
		t.Fatalf("counters %+v", k)
	}
	// Reading makes room again.
	recv(t, s)
	p.b.Deliver(p.now, udpPacket(from, s.LocalAddr(), make([]byte, 1000)))
	if n, _ := s.Queued(); n != 3 {
		t.Fatalf("after a read, queued %d", n)
	}

	// The count bound holds whatever SO_RCVBUF says.
	s2 := mustBind(t, p.b, netip.MustParseAddrPort("10.0.0.2:10"), false)
	s2.SetRecvBuffer(MaxDgramBuffer)
	tiny := udpPacket(from, s2.LocalAddr(), nil)
	for range maxQueuedDatagrams + 3 {
		p.b.Deliver(p.now, tiny)
	}
	if n, _ := s2.Queued(); n != maxQueuedDatagrams || s2.Drops() != 3 {
		t.Fatalf("queued %d, dropped %d", n, s2.Drops())
	}
}

// TestUDPSendBuffer: a socket whose queued output reaches SO_SNDBUF gets
// EAGAIN until Flush emits it, and is woken then.
func TestUDPSendBuffer(t *testing.T) {
	p := newDgramPair(t)
	s := mustBind(t, p.a, netip.MustParseAddrPort("10.0.0.1:5"), false)
	s.SetSendBuffer(MinDgramBuffer)
	woken := 0
	s.SetWaker(func() { woken++ })
	to := netip.MustParseAddrPort("10.0.0.2:9")
	sent := 0
	for s.SendTo(make([]byte, 1000), to) == nil {
		sent++
	}
	// 1028-byte packets in 2048-byte storage: 0 and 2048 are below 2304.
	if sent != 2 || woken != 0 {
		t.Fatalf("sent %d before EAGAIN, woken %d", sent, woken)
	}
	p.flush()
	if len(p.outA) != 2 || woken != 1 {
		t.Fatalf("flushed %d, woken %d", len(p.outA), woken)
	}
	if err := s.SendTo(make([]byte, 1000), to); err != nil {
		t.Fatalf("after the flush: %v", err)
	}
}
