package stack

import (
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/internal/fuzzseed"
	"github.com/synack-net/synack/wire"
)

// timeWaitHosts is FuzzTimeWaitDeliver's world: host A has closed a
// connection over IPv4 and one over IPv6 to host B first, so both are in
// A's TIME_WAIT tables; capture, if not nil, gets every packet B sends.
func timeWaitHosts(tb testing.TB, capture func(pkt []byte)) *testPair {
	p := &testPair{}
	host := func(name string, addrs ...netip.Prefix) *Host {
		cfg := Config{Name: name, Addrs: addrs}
		cfg.Secret[0] = name[0]
		return NewHost(cfg)
	}
	p.a, p.b = host("A", testAddrA, fuzzAddrA6), host("B", testAddrB, fuzzAddrB6)
	pump := func() {
		for {
			var toB, toA [][]byte
			p.a.Flush(p.now, func(pkt []byte) { toB = append(toB, append([]byte(nil), pkt...)) })
			p.b.Flush(p.now, func(pkt []byte) {
				toA = append(toA, append([]byte(nil), pkt...))
				if capture != nil {
					capture(pkt)
				}
			})
			if len(toA) == 0 && len(toB) == 0 {
				return
			}
			for _, pkt := range toB {
				p.b.Deliver(p.now, pkt)
			}
			for _, pkt := range toA {
				p.a.Deliver(p.now, pkt)
			}
		}
	}
	for _, addr := range []netip.AddrPort{testPortB, fuzzPortB6} {
		ln, err := p.b.Listen(0, addr, 16)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := p.a.Connect(p.now, netip.AddrPort{}, addr)
		if err != nil {
			tb.Fatal(err)
		}
		pump()
		s, _ := ln.Accept()
		if s == nil {
			tb.Fatal("not accepted")
		}
		c.Close(p.now)
		pump()
		s.Close(p.now)
		pump()
		if !inTable(c) {
			tb.Fatalf("%v: not in a TIME_WAIT table", addr)
		}
	}
	return p
}

// FuzzTimeWaitDeliver hands host A, whose two connections are in its
// TIME_WAIT tables, one arbitrary packet (the first byte says whether to
// repair its checksums), answers it through B, and runs the timers past
// 2×MSL: the host's invariants must hold at every step, and at the end
// nothing of either connection may be left.
func FuzzTimeWaitDeliver(f *testing.F) {
	var seeds [][]byte
	timeWaitHosts(f, func(pkt []byte) { seeds = append(seeds, append([]byte{1}, pkt...)) })
	// B's last packets were the FINs and ACKs of the closes: repeated,
	// they restart 2×MSL or draw an ACK.
	seeds = append(seeds, append([]byte{1}, segFrom(testPortB, netip.AddrPortFrom(testAddrA.Addr(), 40000), 1, 0, wire.FlagSYN, 1)...))
	fuzzseed.Bytes(f, seeds...)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 || len(in) > fuzzHostMaxInput {
			return
		}
		p := timeWaitHosts(t, nil)
		pkt := append([]byte(nil), in[1:]...)
		if in[0]&1 != 0 {
			repairChecksums(pkt)
		}
		p.a.Deliver(p.now, pkt)
		checkHosts(t, p, "the packet")
		p.pump()
		checkHosts(t, p, "the answers")
		untilChecked(t, p, p.now+clock.Instant(61*time.Second))
		if k := p.a.Census(); k.Conns != 0 || k.TimeWait != 0 {
			t.Fatalf("after 2×MSL, A holds %+v", k)
		}
	})
}
