package stack

import (
	"encoding/binary"
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/internal/fuzzseed"
	"github.com/synack-net/synack/wire"
)

var (
	fuzzAddrA6 = netip.MustParsePrefix("fd00::1/64")
	fuzzAddrB6 = netip.MustParsePrefix("fd00::2/64")
	fuzzPortB6 = netip.AddrPortFrom(fuzzAddrB6.Addr(), 80)
)

// fuzzHostMaxInput caps FuzzHostDeliver's packets at a jumbo Ethernet frame.
const fuzzHostMaxInput = 9000

// fuzzHosts is FuzzHostDeliver's world: host A holds an established
// connection over IPv4 and one over IPv6 to host B, which listens on both
// families' port 80; each side has written data the other has not read.
func fuzzHosts(tb testing.TB, capture func(pkt []byte)) *testPair {
	p := &testPair{}
	host := func(name string, addrs ...netip.Prefix) *Host {
		cfg := Config{Name: name, Addrs: addrs}
		cfg.Secret[0] = name[0]
		return NewHost(cfg)
	}
	p.a, p.b = host("A", testAddrA, fuzzAddrA6), host("B", testAddrB, fuzzAddrB6)
	for _, addr := range []netip.AddrPort{testPortB, fuzzPortB6} {
		ln, err := p.b.Listen(0, addr, 16)
		if err != nil {
			tb.Fatal(err)
		}
		c, err := p.a.Connect(p.now, netip.AddrPort{}, addr)
		if err != nil {
			tb.Fatal(err)
		}
		p.pumpCapture(capture)
		s, _ := ln.Accept()
		if s == nil {
			tb.Fatal("not accepted")
		}
		c.Write(make([]byte, 3000))
		s.Write([]byte("hello"))
		p.pumpCapture(capture)
	}
	return p
}

// pumpCapture is pump, handing capture (if not nil) every packet A sends.
func (p *testPair) pumpCapture(capture func(pkt []byte)) {
	for {
		var toB, toA [][]byte
		p.a.Flush(p.now, func(pkt []byte) { toB = append(toB, append([]byte(nil), pkt...)) })
		p.b.Flush(p.now, func(pkt []byte) { toA = append(toA, append([]byte(nil), pkt...)) })
		if len(toA) == 0 && len(toB) == 0 {
			return
		}
		for _, pkt := range toB {
			if capture != nil {
				capture(pkt)
			}
			p.b.Deliver(p.now, pkt)
		}
		for _, pkt := range toA {
			p.a.Deliver(p.now, pkt)
		}
	}
}

// FuzzHostDeliver hands host B (a listener and established connections in
// both IP versions) an arbitrary packet, then runs both hosts on for a
// few seconds of virtual time. Nothing may panic, both hosts must keep
// their invariants (Host.CheckInvariants) after the packet and after
// every timer, and everything B sends in answer must be a valid IP
// packet no larger than the MTU.
//
// The input's first byte is a mode: with bit 0 set the packet's IPv4
// header checksum and TCP checksum are recomputed, so that the fuzzer
// reaches the TCP layer; the rest is the packet. Seeds are the packets A
// sent while opening the connections.
func FuzzHostDeliver(f *testing.F) {
	var seeds [][]byte
	fuzzHosts(f, func(pkt []byte) { seeds = append(seeds, append([]byte{1}, pkt...)) })
	if len(seeds) > 8 {
		// The handshakes and the first data of both families, and a
		// last ACK; one of them also with a broken checksum.
		seeds = append(seeds[:3:3], seeds[len(seeds)/2], seeds[len(seeds)/2+1], seeds[len(seeds)-1])
		seeds = append(seeds, append([]byte{0}, seeds[1][1:]...))
	}
	fuzzseed.Bytes(f, seeds...)
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) < 2 || len(in) > fuzzHostMaxInput {
			return
		}
		p := fuzzHosts(t, nil)
		pkt := append([]byte(nil), in[1:]...)
		if in[0]&1 != 0 {
			repairChecksums(pkt)
		}
		p.b.Deliver(p.now, pkt)
		checkHosts(t, p, "the packet")
		var out [][]byte
		p.b.Flush(p.now, func(b []byte) { out = append(out, append([]byte(nil), b...)) })
		for _, b := range out {
			var err error
			if b[0]>>4 == 4 {
				err = wire.IPv4(b).Validate()
			} else {
				err = wire.IPv6(b).Validate()
			}
			if err != nil || len(b) > p.b.MTU() {
				t.Fatalf("sent an invalid packet (%v, %d bytes): %x", err, len(b), b)
			}
			p.a.Deliver(p.now, b)
		}
		p.pump()
		checkHosts(t, p, "the answers")
		untilChecked(t, p, p.now+clock.Instant(5*time.Second))
	})
}

func checkHosts(t *testing.T, p *testPair, after string) {
	t.Helper()
	for _, h := range []*Host{p.a, p.b} {
		if err := h.CheckInvariants(); err != nil {
			t.Fatalf("at %v after %s: %v", p.now, after, err)
		}
	}
}

// repairChecksums recomputes, in place, the IPv4 header checksum and the
// TCP checksum of a packet whose headers are long enough to hold them.
func repairChecksums(pkt []byte) {
	if len(pkt) < 1 {
		return
	}
	var src, dst netip.Addr
	var proto uint8
	var seg []byte
	switch pkt[0] >> 4 {
	case 4:
		ihl := int(pkt[0]&0x0f) * 4
		if ihl < wire.IPv4MinHeaderLen || len(pkt) < ihl {
			return
		}
		binary.BigEndian.PutUint16(pkt[10:], 0)
		binary.BigEndian.PutUint16(pkt[10:], wire.FoldChecksum(wire.Checksum(pkt[:ihl], 0)))
		total := min(int(binary.BigEndian.Uint16(pkt[2:])), len(pkt))
		src, dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
		proto = pkt[9]
		if total > ihl {
			seg = pkt[ihl:total]
		}
	case 6:
		if len(pkt) < wire.IPv6HeaderLen {
			return
		}
		end := min(wire.IPv6HeaderLen+int(binary.BigEndian.Uint16(pkt[4:])), len(pkt))
		src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
		proto, seg = pkt[6], pkt[wire.IPv6HeaderLen:end]
	}
	if proto != wire.ProtoTCP || len(seg) < wire.TCPMinHeaderLen {
		return
	}
	binary.BigEndian.PutUint16(seg[16:], 0)
	binary.BigEndian.PutUint16(seg[16:], wire.TransportChecksum(src, dst, proto, seg))
}

// untilChecked is testPair.until with the hosts' invariants checked after
// every timer.
func untilChecked(t *testing.T, p *testPair, end clock.Instant) {
	t.Helper()
	for {
		next := min(p.a.NextDeadline(), p.b.NextDeadline())
		if next > end {
			break
		}
		p.now = max(p.now, next)
		p.a.Tick(p.now)
		p.b.Tick(p.now)
		p.pump()
		checkHosts(t, p, "a timer")
	}
}
