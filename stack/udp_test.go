package stack

import (
	"net/netip"
	"syscall"
	"testing"

	"github.com/synack-net/synack/clock"
)

// dgramPair is two hosts back to back, each with an IPv4 and an IPv6
// address, driven by hand on virtual time: what one host flushes is
// kept in its outbox until deliver hands it to the other.
type dgramPair struct {
	a, b       *Host
	now        clock.Instant
	outA, outB [][]byte // packets flushed by A (for B) and by B (for A)
}

var (
	dgramA4 = netip.MustParseAddr("10.0.0.1")
	dgramB4 = netip.MustParseAddr("10.0.0.2")
	dgramA6 = netip.MustParseAddr("fd00::1")
	dgramB6 = netip.MustParseAddr("fd00::2")
)

func newDgramPair(t *testing.T) *dgramPair {
	t.Helper()
	host := func(name string, a4, a6 netip.Addr) *Host {
		cfg := Config{Name: name, Addrs: []netip.Prefix{netip.PrefixFrom(a4, 24), netip.PrefixFrom(a6, 64)}}
		cfg.Secret[0] = name[0]
		return NewHost(cfg)
	}
	return &dgramPair{a: host("A", dgramA4, dgramA6), b: host("B", dgramB4, dgramB6)}
}

// flush collects what both hosts send now.
func (p *dgramPair) flush() {
	p.a.Flush(p.now, func(pkt []byte) { p.outA = append(p.outA, append([]byte(nil), pkt...)) })
	p.b.Flush(p.now, func(pkt []byte) { p.outB = append(p.outB, append([]byte(nil), pkt...)) })
}

// pump flushes and delivers until both hosts are quiet.
func (p *dgramPair) pump() {
	for {
		p.flush()
		if len(p.outA) == 0 && len(p.outB) == 0 {
			return
		}
		toB, toA := p.outA, p.outB
		p.outA, p.outB = nil, nil
		for _, pkt := range toB {
			p.b.Deliver(p.now, pkt)
		}
		for _, pkt := range toA {
			p.a.Deliver(p.now, pkt)
		}
	}
}

// pick returns the address of family v6 from a pair of addresses.
func pick(v6 bool, a4, a6 netip.Addr) netip.Addr {
	if v6 {
		return a6
	}
	return a4
}

var families = []struct {
	name string
	v6   bool
}{{"IPv4", false}, {"IPv6", true}}

// recv reads one datagram, failing the test on an error.
func recv(t *testing.T, s *UDPSocket) ([]byte, netip.AddrPort) {
	t.Helper()
	buf := make([]byte, 2048)
	n, from, err := s.RecvFrom(buf)
	if err != nil {
		t.Fatalf("RecvFrom: %v", err)
	}
	return buf[:n], from
}

func mustBind(t *testing.T, h *Host, local netip.AddrPort, dual bool) *UDPSocket {
	t.Helper()
	s, err := h.BindUDP(local, dual)
	if err != nil {
		t.Fatalf("BindUDP %v dual=%v: %v", local, dual, err)
	}
	return s
}

func TestUDPRequestReply(t *testing.T) {
	for _, f := range families {
		t.Run(f.name, func(t *testing.T) {
			p := newDgramPair(t)
			srv := mustBind(t, p.b, netip.AddrPortFrom(unspecified(f.v6), 53), false)
			woken := 0
			srv.SetWaker(func() { woken++ })
			bAddr := netip.AddrPortFrom(pick(f.v6, dgramB4, dgramB6), 53)
			cli, err := p.a.ConnectUDP(netip.AddrPort{}, bAddr)
			if err != nil {
				t.Fatal(err)
			}
			if l := cli.LocalAddr(); l.Addr() != pick(f.v6, dgramA4, dgramA6) || l.Port() < 32768 || l.Port() > 60999 {
				t.Fatalf("connected socket bound to %v", l)
			}
			if err := cli.SendTo([]byte("query"), netip.AddrPort{}); err != nil {
				t.Fatal(err)
			}
			if !p.a.HasPendingOutput() {
				t.Fatal("a queued datagram is not pending output")
			}
			p.pump()
			got, from := recv(t, srv)
			if string(got) != "query" || from != cli.LocalAddr() || woken != 1 {
				t.Fatalf("server got %q from %v (woken %d), want \"query\" from %v", got, from, woken, cli.LocalAddr())
			}
			if _, _, err := srv.RecvFrom(make([]byte, 10)); err != syscall.EAGAIN {
				t.Fatalf("empty queue: %v, want EAGAIN", err)
			}
			if err := srv.SendTo([]byte("answer"), from); err != nil {
				t.Fatal(err)
			}
			p.pump()
			if got, from := recv(t, cli); string(got) != "answer" || from != bAddr {
				t.Fatalf("client got %q from %v", got, from)
			}
			ka, kb := p.a.Counters(), p.b.Counters()
			if ka.UDPOutDatagrams != 1 || ka.UDPInDatagrams != 1 || kb.UDPOutDatagrams != 1 || kb.UDPInDatagrams != 1 {
				t.Fatalf("counters A %+v B %+v", ka, kb)
			}
		})
	}
}

// TestUDPDualStack: a socket bound with dual takes both families and
// answers each from its own.
func TestUDPDualStack(t *testing.T) {
	p := newDgramPair(t)
	srv := mustBind(t, p.b, netip.AddrPortFrom(netip.Addr{}, 7), true)
	if srv.LocalAddr() != netip.MustParseAddrPort("[::]:7") {
		t.Fatalf("dual socket's address %v", srv.LocalAddr())
	}
	for _, f := range families {
		cli, err := p.a.ConnectUDP(netip.AddrPort{}, netip.AddrPortFrom(pick(f.v6, dgramB4, dgramB6), 7))
		if err != nil {
			t.Fatal(err)
		}
		cli.SendTo([]byte(f.name), netip.AddrPort{})
		p.pump()
		got, from := recv(t, srv)
		if string(got) != f.name || from != cli.LocalAddr() {
			t.Fatalf("got %q from %v", got, from)
		}
		srv.SendTo(got, from)
		p.pump()
		if got, _ := recv(t, cli); string(got) != f.name {
			t.Fatalf("%s echo: %q", f.name, got)
		}
	}
}

func TestUDPBindRules(t *testing.T) {
	p := newDgramPair(t)
	h := p.b
	ap := netip.MustParseAddrPort
	mustBind(t, h, ap("10.0.0.2:100"), false)
	mustBind(t, h, ap("[::]:100"), false) // the other family's wildcard is free
	mustBind(t, h, ap("0.0.0.0:101"), false)
	mustBind(t, h, ap("[::]:102"), true)
	for _, c := range []struct {
		local netip.AddrPort
		dual  bool
		want  error
	}{
		{ap("10.0.0.2:100"), false, syscall.EADDRINUSE},  // the same address and port
		{ap("0.0.0.0:100"), false, syscall.EADDRINUSE},   // a wildcard over a specific bind
		{ap("10.0.0.2:101"), false, syscall.EADDRINUSE},  // a specific bind under a wildcard
		{ap("10.0.0.2:102"), false, syscall.EADDRINUSE},  // under a dual socket's IPv4 half
		{ap("[fd00::2]:102"), false, syscall.EADDRINUSE}, // and its IPv6 half
		{ap("[::]:100"), true, syscall.EADDRINUSE},       // dual over a bound port
		{ap("10.0.0.9:103"), false, syscall.EADDRNOTAVAIL},
		{ap("10.0.0.2:103"), true, syscall.EINVAL}, // dual needs the unspecified address
	} {
		if _, err := h.BindUDP(c.local, c.dual); err != c.want {
			t.Errorf("BindUDP %v dual=%v: %v, want %v", c.local, c.dual, err, c.want)
		}
	}
	// Ephemeral ports are in the range and distinct; Close frees a port.
	seen := map[uint16]bool{}
	for range 100 {
		s := mustBind(t, h, ap("0.0.0.0:0"), false)
		port := s.LocalAddr().Port()
		if port < 32768 || port > 60999 || seen[port] {
			t.Fatalf("ephemeral port %d (seen before: %v)", port, seen[port])
		}
		seen[port] = true
	}
	s := mustBind(t, h, ap("10.0.0.2:200"), false)
	s.Close()
	mustBind(t, h, ap("0.0.0.0:200"), false)
}

// TestUDPEphemeralExhausted: with a range of two ports, the third bind
// fails and is counted.
func TestUDPEphemeralExhausted(t *testing.T) {
	h := NewHost(Config{Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}, EphemeralPortLow: 5000, EphemeralPortHigh: 5001})
	a := mustBind(t, h, netip.MustParseAddrPort("0.0.0.0:0"), false)
	b := mustBind(t, h, netip.MustParseAddrPort("0.0.0.0:0"), false)
	if a.LocalAddr().Port() == b.LocalAddr().Port() {
		t.Fatal("two sockets on one port")
	}
	if _, err := h.BindUDP(netip.MustParseAddrPort("0.0.0.0:0"), false); err != syscall.EADDRINUSE {
		t.Fatalf("third bind: %v", err)
	}
	if h.Counters().EphemeralExhausted != 1 {
		t.Fatal("exhaustion not counted")
	}
}

func TestUDPSendErrors(t *testing.T) {
	p := newDgramPair(t)
	s := mustBind(t, p.a, netip.MustParseAddrPort("0.0.0.0:0"), false)
	big := make([]byte, 1500-20-8+1)
	for _, c := range []struct {
		to   netip.AddrPort
		p    []byte
		want error
	}{
		{netip.AddrPort{}, nil, syscall.EDESTADDRREQ},
		{netip.MustParseAddrPort("10.0.0.2:0"), nil, syscall.EINVAL},
		{netip.MustParseAddrPort("0.0.0.0:53"), nil, syscall.EINVAL},
		{netip.MustParseAddrPort("[fd00::2]:53"), nil, syscall.EAFNOSUPPORT},
		{netip.MustParseAddrPort("10.0.0.2:53"), big, syscall.EMSGSIZE},
		{netip.MustParseAddrPort("10.0.0.2:53"), big[1:], nil}, // exactly the MTU
	} {
		if err := s.SendTo(c.p, c.to); err != c.want {
			t.Errorf("SendTo(%d bytes, %v): %v, want %v", len(c.p), c.to, err, c.want)
		}
	}
	s.Close()
	if err := s.SendTo(nil, netip.MustParseAddrPort("10.0.0.2:53")); err != syscall.EBADF {
		t.Errorf("after Close: %v, want EBADF", err)
	}
	if _, _, err := s.RecvFrom(nil); err != syscall.EBADF {
		t.Errorf("RecvFrom after Close: %v, want EBADF", err)
	}
}

func TestUDPTruncatedRead(t *testing.T) {
	p := newDgramPair(t)
	srv := mustBind(t, p.b, netip.MustParseAddrPort("10.0.0.2:9"), false)
	cli := mustBind(t, p.a, netip.MustParseAddrPort("10.0.0.1:0"), false)
	cli.SendTo([]byte("0123456789"), srv.LocalAddr())
	cli.SendTo([]byte("next"), srv.LocalAddr())
	p.pump()
	buf := make([]byte, 4)
	if n, _, err := srv.RecvFrom(buf); n != 4 || err != nil || string(buf) != "0123" {
		t.Fatalf("truncated read: %d %q %v", n, buf[:n], err)
	}
	// The rest of the datagram is gone, as with recvfrom(2).
	if got, _ := recv(t, srv); string(got) != "next" {
		t.Fatalf("next read %q", got)
	}
}

// TestUDPConnectedFilter: a connected socket takes only its peer's
// datagrams; another source finds no socket and draws port unreachable,
// as on Linux.
func TestUDPConnectedFilter(t *testing.T) {
	p := newDgramPair(t)
	peer := netip.MustParseAddrPort("10.0.0.1:4000")
	s, err := p.b.ConnectUDP(netip.MustParseAddrPort("10.0.0.2:53"), peer)
	if err != nil {
		t.Fatal(err)
	}
	stranger := mustBind(t, p.a, netip.MustParseAddrPort("10.0.0.1:4001"), false)
	friend := mustBind(t, p.a, peer, false)
	stranger.SendTo([]byte("who?"), s.LocalAddr())
	friend.SendTo([]byte("me"), s.LocalAddr())
	p.pump()
	if got, from := recv(t, s); string(got) != "me" || from != peer {
		t.Fatalf("got %q from %v", got, from)
	}
	if _, _, err := s.RecvFrom(nil); err != syscall.EAGAIN {
		t.Fatalf("stranger's datagram was queued: %v", err)
	}
	if k := p.b.Counters(); k.UDPNoPorts != 1 || k.ICMPOutDestUnreachs != 1 {
		t.Fatalf("NoPorts %d, OutDestUnreachs %d", k.UDPNoPorts, k.ICMPOutDestUnreachs)
	}
}

// TestUDPCloseAndCrash: Close and a crash wake the user and free the
// port; a crash also forgets output not yet flushed.
func TestUDPCloseAndCrash(t *testing.T) {
	p := newDgramPair(t)
	s := mustBind(t, p.a, netip.MustParseAddrPort("10.0.0.1:5"), false)
	woken := 0
	s.SetWaker(func() { woken++ })
	s.Close()
	s.Close()
	if woken != 1 {
		t.Fatalf("Close woke %d times", woken)
	}
	s = mustBind(t, p.a, netip.MustParseAddrPort("10.0.0.1:5"), false)
	s.SetWaker(func() { woken++ })
	s.SendTo([]byte("lost"), netip.MustParseAddrPort("10.0.0.2:9"))
	p.a.Crash(p.now)
	p.flush()
	if woken != 2 || len(p.outA) != 0 || p.a.HasPendingOutput() {
		t.Fatalf("after the crash: woken %d, sent %d", woken, len(p.outA))
	}
	if _, _, err := s.RecvFrom(nil); err != syscall.EBADF {
		t.Fatalf("RecvFrom after the crash: %v", err)
	}
	mustBind(t, p.a, netip.MustParseAddrPort("10.0.0.1:5"), false)
}
