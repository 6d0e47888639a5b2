package tun

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/synack-net/synack/wire"
)

// TestWholeSuperPacket: a super-packet is lent as one TCP segment with
// all of its payload, its lengths and checksums made right, its sequence
// number, flags and options those the kernel gave it.
func TestWholeSuperPacket(t *testing.T) {
	const (
		payload = 10000
		flags   = flagCWR | flagACK | flagPSH | flagFIN
	)
	for _, v6 := range []bool{false, true} {
		ipLen := 20
		if v6 {
			ipLen = 40
		}
		in := superPacket(v6, payload, 1448, flags)
		want := bytes.Clone(in[vnetHdrLen:])
		pkt, large, ok := whole(in)
		if !ok || !large || len(pkt) != len(want) || &pkt[0] != &in[vnetHdrLen] {
			t.Fatalf("v6=%v: whole = %d bytes, large %v, ok %v; want the %d bytes in place, large", v6, len(pkt), large, ok, len(want))
		}
		be := binary.BigEndian
		var src, dst netip.Addr
		if v6 {
			if int(be.Uint16(pkt[4:])) != len(pkt)-40 {
				t.Errorf("payload length %d for %d bytes", be.Uint16(pkt[4:]), len(pkt))
			}
			src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
		} else {
			ip := wire.IPv4(pkt)
			if err := ip.Validate(); err != nil || ip.TotalLen() != len(pkt) || ip.ID() != 1000 {
				t.Errorf("IPv4 header: %v, total length %d, ID %d; want valid, %d, 1000", err, ip.TotalLen(), ip.ID(), len(pkt))
			}
			src, dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
		}
		tcp := pkt[ipLen:]
		if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, tcp) {
			t.Errorf("v6=%v: bad TCP checksum", v6)
		}
		// Everything but the checksums and lengths is the kernel's.
		for _, b := range [][]byte{pkt, want} {
			b[ipLen+tcpCsum], b[ipLen+tcpCsum+1] = 0, 0
			if !v6 {
				b[10], b[11] = 0, 0
			}
		}
		if !bytes.Equal(pkt, want) {
			t.Errorf("v6=%v: headers or payload changed", v6)
		}
	}
}

func TestWholePlainChecksumCompleted(t *testing.T) {
	in := superPacket(false, 100, 1448, flagACK|flagPSH)
	in[vnetGSOType] = gsoNone
	pkt, large, ok := whole(in)
	if !ok || large || len(pkt) != len(in)-vnetHdrLen {
		t.Fatalf("whole = %d bytes, large %v, ok %v; want the packet, not large", len(pkt), large, ok)
	}
	src, dst := netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
	if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, pkt[20:]) {
		t.Error("the partial checksum was not completed")
	}
}

func TestWholeRefusesMalformed(t *testing.T) {
	good := superPacket(false, 3000, 1448, flagACK)
	tests := map[string]func(p []byte) []byte{
		"header only":    func(p []byte) []byte { return p[:vnetHdrLen] },
		"unknown GSO":    func(p []byte) []byte { p[vnetGSOType] = 3; return p },
		"version":        func(p []byte) []byte { p[vnetHdrLen] = 0x65; return p },
		"IPv6 as IPv4":   func(p []byte) []byte { p[vnetGSOType] = gsoTCPv6; return p },
		"TCP past end":   func(p []byte) []byte { return p[:vnetHdrLen+30] },
		"data offset":    func(p []byte) []byte { p[vnetHdrLen+20+tcpDataOff] = 0x20; return p },
		"options past":   func(p []byte) []byte { p[vnetHdrLen+20+tcpDataOff] = 0xf0; return p[:vnetHdrLen+60] },
		"csum past end":  func(p []byte) []byte { p[vnetGSOType] = gsoNone; p[vnetCsumStart+1] = 0xff; return p },
		"csum start low": func(p []byte) []byte { p[vnetCsumStart] = 8; return p },
		"not at the IHL": func(p []byte) []byte { p[vnetHdrLen] = 0x46; return p },
		"over 64 KiB":    func(p []byte) []byte { return append(p, make([]byte, 65536-len(p)+vnetHdrLen)...) },
	}
	for name, mangle := range tests {
		if _, _, ok := whole(mangle(bytes.Clone(good))); ok {
			t.Errorf("%s: whole accepted it", name)
		}
	}
}

// FuzzWhole feeds arbitrary reads to whole: it must never panic, and a
// super-packet it accepts carries a correct TCP checksum within what was
// read.
func FuzzWhole(f *testing.F) {
	f.Add(superPacket(false, 3000, 1448, flagACK|flagPSH))
	f.Add(superPacket(true, 3000, 1428, flagACK))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkt, large, ok := whole(b)
		if !ok {
			return
		}
		if len(pkt) != len(b)-vnetHdrLen {
			t.Fatalf("%d bytes from a %d-byte read", len(pkt), len(b))
		}
		if !large {
			return
		}
		l4 := int(binary.LittleEndian.Uint16(b[vnetCsumStart:]))
		src, dst := netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
		if pkt[0]>>4 == 6 {
			src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
		}
		if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, pkt[l4:]) {
			t.Fatal("an accepted super-packet's TCP checksum does not verify")
		}
	})
}
