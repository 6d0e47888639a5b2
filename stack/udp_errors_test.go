package stack

import (
	"bytes"
	"errors"
	"net/netip"
	"syscall"
	"testing"

	"github.com/synack-net/synack/wire"
)

// TestUDPPortUnreachable: a datagram to a closed port draws ICMP port
// unreachable quoting it, and the connected sender's next read (and only
// that one) returns ECONNREFUSED, before any queued datagram.
func TestUDPPortUnreachable(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			p := newDgramPair(t)
			closed := netip.AddrPortFrom(pick(f.v6, dgramB4, dgramB6), 9)
			cli, err := p.a.ConnectUDP(netip.AddrPort{}, closed)
			if err != nil {
				t.Fatal(err)
			}
			woken := 0
			cli.SetWaker(func() { woken++ })
			cli.SendTo([]byte("anyone?"), netip.AddrPort{})
			p.flush()
			sent := p.outA[0]
			p.outA = nil
			p.b.Deliver(p.now, sent)
			p.flush()
			if len(p.outB) != 1 {
				t.Fatalf("B sent %d packets, want 1", len(p.outB))
			}
			checkUnreachable(t, p.outB[0], closed.Addr(), cli.LocalAddr().Addr(), sent)
			// A datagram from the peer arrives after the error.
			srv := mustBind(t, p.b, closed, false)
			srv.SendTo([]byte("late"), cli.LocalAddr())
			p.pump()
			if woken != 2 {
				t.Fatalf("woken %d times, want 2", woken)
			}
			if _, _, err := cli.RecvFrom(make([]byte, 10)); err != syscall.ECONNREFUSED {
				t.Fatalf("first read: %v, want ECONNREFUSED", err)
			}
			if got, _ := recv(t, cli); string(got) != "late" {
				t.Fatalf("second read %q", got)
			}
			if k := p.b.Counters(); k.UDPNoPorts != 1 || k.ICMPOutDestUnreachs != 1 || k.Drops[DropNoSocket] != 1 {
				t.Fatalf("counters %+v", k)
			}
		})
	}
}

// checkUnreachable checks a port unreachable message from src to dst
// that quotes sent.
func checkUnreachable(t *testing.T, pkt []byte, src, dst netip.Addr, sent []byte) {
	t.Helper()
	var typ, code uint8
	var body []byte
	if src.Is4() {
		ip := wire.IPv4(pkt)
		if ip.Validate() != nil || ip.Src() != src || ip.Dst() != dst || ip.Protocol() != wire.ProtoICMPv4 {
			t.Fatalf("not an ICMP packet from %v to %v: %x", src, dst, pkt)
		}
		m := wire.ICMPv4(ip.Payload())
		if m.Validate() != nil {
			t.Fatal("bad ICMPv4")
		}
		typ, code, body = m.Type(), m.Code(), m.Embedded()
		if typ != wire.ICMPv4TypeDestUnreachable || code != wire.ICMPv4CodePortUnreachable {
			t.Fatalf("type %d code %d", typ, code)
		}
	} else {
		ip := wire.IPv6(pkt)
		if ip.Validate() != nil || ip.Src() != src || ip.Dst() != dst || ip.NextHeader() != wire.ProtoICMPv6 {
			t.Fatalf("not an ICMPv6 packet from %v to %v: %x", src, dst, pkt)
		}
		m := wire.ICMPv6(ip.Payload())
		if m.Validate() != nil || !wire.TransportChecksumValid(src, dst, wire.ProtoICMPv6, m) {
			t.Fatal("bad ICMPv6")
		}
		typ, code, body = m.Type(), m.Code(), m.Embedded()
		if typ != wire.ICMPv6TypeDestUnreachable || code != wire.ICMPv6CodePortUnreachable {
			t.Fatalf("type %d code %d", typ, code)
		}
	}
	if !bytes.Equal(body, sent) {
		t.Fatalf("quoted %x, want the whole datagram %x", body, sent)
	}
}

// TestUDPUnconnectedIgnoresErrors: an unconnected socket is not told of
// port unreachable (Linux without IP_RECVERR).
func TestUDPUnconnectedIgnoresErrors(t *testing.T) {
	p := newDgramPair(t)
	s := mustBind(t, p.a, netip.MustParseAddrPort("0.0.0.0:5"), false)
	s.SendTo([]byte("x"), netip.MustParseAddrPort("10.0.0.2:9"))
	p.pump()
	if _, _, err := s.RecvFrom(nil); err != syscall.EAGAIN {
		t.Fatalf("RecvFrom: %v, want EAGAIN", err)
	}
	if p.b.Counters().ICMPOutDestUnreachs != 1 {
		t.Fatal("no port unreachable sent")
	}
}

// TestUDPFragmentationNeeded: a path MTU message about a connected
// socket's datagram leaves EMSGSIZE (synack does not fragment).
func TestUDPFragmentationNeeded(t *testing.T) {
	p := newDgramPair(t)
	cli, _ := p.a.ConnectUDP(netip.AddrPort{}, netip.MustParseAddrPort("10.0.0.2:9"))
	cli.SendTo(make([]byte, 1400), netip.AddrPort{})
	p.flush()
	sent := p.outA[0]
	p.outA = nil
	msg := make([]byte, wire.ICMPHeaderLen+28)
	wire.PutICMPv4(msg, wire.ICMPv4TypeDestUnreachable, wire.ICMPv4CodeFragmentationNeeded, 1000, sent[:28])
	pkt := make([]byte, 20+len(msg))
	copy(pkt[20:], msg)
	wire.PutIPv4Header(pkt, netip.MustParseAddr("10.0.0.254"), dgramA4, wire.ProtoICMPv4, 64, 1, len(msg))
	p.a.Deliver(p.now, pkt)
	if err := cli.SendTo([]byte("x"), netip.AddrPort{}); !errors.Is(err, syscall.EMSGSIZE) {
		t.Fatalf("next send: %v, want EMSGSIZE", err)
	}
	if err := cli.SendTo([]byte("x"), netip.AddrPort{}); err != nil {
		t.Fatalf("the error is returned once: %v", err)
	}
}
