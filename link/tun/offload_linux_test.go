package tun

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"

	"github.com/synack-net/synack/wire"
)

// superPacket builds what the kernel hands a TUN device with segmentation
// offload: a virtio-net header, then one TCP packet with payload bytes of
// data, a 12-byte timestamp option, the given flags and a checksum field
// holding only the pseudo-header's sum (CHECKSUM_PARTIAL).
func superPacket(v6 bool, payload, mss int, flags byte) []byte {
	ipLen := 20
	if v6 {
		ipLen = 40
	}
	const tcpLen = 32
	pkt := make([]byte, vnetHdrLen+ipLen+tcpLen+payload)
	h, p := pkt[:vnetHdrLen], pkt[vnetHdrLen:]
	le, be := binary.LittleEndian, binary.BigEndian
	h[vnetFlags] = vnetNeedsCsum
	h[vnetGSOType] = gsoTCPv4 | gsoECN
	var src, dst netip.Addr
	if v6 {
		h[vnetGSOType] = gsoTCPv6
		p[0] = 0x60
		be.PutUint16(p[4:], uint16(tcpLen+payload))
		p[6], p[7] = wire.ProtoTCP, 64
		src, dst = netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")
		copy(p[8:], src.AsSlice())
		copy(p[24:], dst.AsSlice())
	} else {
		p[0] = 0x45
		be.PutUint16(p[2:], uint16(len(p)))
		be.PutUint16(p[4:], 1000) // identification
		p[6] = 0x40               // DF
		p[8], p[9] = 64, wire.ProtoTCP
		src, dst = netip.MustParseAddr("10.99.0.1"), netip.MustParseAddr("10.99.0.2")
		copy(p[12:], src.AsSlice())
		copy(p[16:], dst.AsSlice())
		be.PutUint16(p[10:], wire.FoldChecksum(wire.Checksum(p[:20], 0)))
	}
	le.PutUint16(h[vnetGSOSize:], uint16(mss))
	le.PutUint16(h[vnetCsumStart:], uint16(ipLen))
	le.PutUint16(h[vnetCsumOffset:], tcpCsum)
	tcp := p[ipLen:]
	be.PutUint16(tcp[0:], 5000)
	be.PutUint16(tcp[2:], 40000)
	be.PutUint32(tcp[tcpSeq:], 0xfffff000) // wraps within the packet
	be.PutUint32(tcp[8:], 12345)
	tcp[tcpDataOff] = tcpLen / 4 << 4
	tcp[tcpFlags] = flags
	be.PutUint16(tcp[14:], 65535)
	copy(tcp[20:], []byte{1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9}) // NOP NOP TS
	for i := range payload {
		tcp[tcpLen+i] = byte(i * 7)
	}
	// The kernel leaves the folded pseudo-header sum, uncomplemented.
	be.PutUint16(tcp[tcpCsum:], ^wire.FoldChecksum(wire.PseudoHeaderSum(src, dst, wire.ProtoTCP, len(tcp))))
	return pkt
}

// split feeds pkt to an offload reader and returns the packets it gives.
func split(t *testing.T, pkt []byte) [][]byte {
	t.Helper()
	o := newOffload()
	n := copy(o.rbuf, pkt)
	buf := make([]byte, maxGSO)
	k, ok := o.take(n, buf)
	if !ok {
		t.Fatal("take refused the packet")
	}
	out := [][]byte{bytes.Clone(buf[:k])}
	for o.splitting {
		k = o.nextSegment(buf)
		out = append(out, bytes.Clone(buf[:k]))
	}
	return out
}

func TestSplitSegments(t *testing.T) {
	const (
		payload = 10000
		flags   = 0x80 | 0x10 | flagPSH | flagFIN // CWR ACK PSH FIN
	)
	for _, v6 := range []bool{false, true} {
		ipLen := 20
		if v6 {
			ipLen = 40
		}
		hl := ipLen + 32
		mss := 1500 - hl
		in := superPacket(v6, payload, mss, flags)
		want := in[vnetHdrLen+hl:]
		segs := split(t, in)
		if len(segs) != (payload+mss-1)/mss {
			t.Fatalf("v6=%v: %d segments, want %d", v6, len(segs), (payload+mss-1)/mss)
		}
		var got []byte
		for i, s := range segs {
			be := binary.BigEndian
			var src, dst netip.Addr
			if v6 {
				if int(be.Uint16(s[4:])) != len(s)-40 {
					t.Errorf("segment %d: payload length %d for %d bytes", i, be.Uint16(s[4:]), len(s))
				}
				src, dst = netip.AddrFrom16([16]byte(s[8:24])), netip.AddrFrom16([16]byte(s[24:40]))
			} else {
				ip := wire.IPv4(s)
				if err := ip.Validate(); err != nil {
					t.Errorf("segment %d: %v", i, err)
				}
				if ip.ID() != uint16(1000+i) || ip.TotalLen() != len(s) {
					t.Errorf("segment %d: ID %d, total length %d; want %d, %d", i, ip.ID(), ip.TotalLen(), 1000+i, len(s))
				}
				src, dst = netip.AddrFrom4([4]byte(s[12:16])), netip.AddrFrom4([4]byte(s[16:20]))
			}
			tcp := s[ipLen:]
			if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, tcp) {
				t.Errorf("v6=%v segment %d: bad TCP checksum", v6, i)
			}
			if seq := be.Uint32(tcp[tcpSeq:]); seq != 0xfffff000+uint32(len(got)) {
				t.Errorf("segment %d: seq %#x, want %#x", i, seq, 0xfffff000+uint32(len(got)))
			}
			f := tcp[tcpFlags]
			last := i == len(segs)-1
			if f&(flagPSH|flagFIN) != 0 != last || f&flagCWR != 0 != (i == 0) || f&0x10 == 0 {
				t.Errorf("segment %d of %d: flags %#x", i, len(segs), f)
			}
			if !bytes.Equal(tcp[20:32], in[vnetHdrLen+ipLen+20:vnetHdrLen+hl]) {
				t.Errorf("segment %d: options changed", i)
			}
			if len(s)-hl > mss {
				t.Errorf("segment %d: %d bytes of payload, more than the MSS", i, len(s)-hl)
			}
			got = append(got, s[hl:]...)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("v6=%v: the segments' payloads are not the packet's", v6)
		}
	}
}

func TestPartialChecksumCompleted(t *testing.T) {
	in := superPacket(false, 100, 1448, 0x18)
	in[vnetGSOType] = gsoNone
	segs := split(t, in)
	if len(segs) != 1 || len(segs[0]) != len(in)-vnetHdrLen {
		t.Fatalf("%d packets, want the one", len(segs))
	}
	s := segs[0]
	src, dst := netip.AddrFrom4([4]byte(s[12:16])), netip.AddrFrom4([4]byte(s[16:20]))
	if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, s[20:]) {
		t.Error("the partial checksum was not completed")
	}
}

// TestPartialUDPChecksumOfZeroSentAsOnes completes a UDP/IPv6 checksum
// that comes out as zero: RFC 768 and RFC 8200 §8.1 have it sent as
// 0xffff, since zero means no checksum, which IPv6 receivers drop.
func TestPartialUDPChecksumOfZeroSentAsOnes(t *testing.T) {
	const udpLen = 8 + 4
	pkt := make([]byte, vnetHdrLen+40+udpLen)
	h, p := pkt[:vnetHdrLen], pkt[vnetHdrLen:]
	le, be := binary.LittleEndian, binary.BigEndian
	h[vnetFlags] = vnetNeedsCsum
	le.PutUint16(h[vnetCsumStart:], 40)
	le.PutUint16(h[vnetCsumOffset:], udpChecksumOffset)
	src, dst := netip.MustParseAddr("fd00::1"), netip.MustParseAddr("fd00::2")
	p[0] = 0x60
	be.PutUint16(p[4:], udpLen)
	p[6], p[7] = wire.ProtoUDP, 64
	copy(p[8:], src.AsSlice())
	copy(p[24:], dst.AsSlice())
	udp := p[40:]
	be.PutUint16(udp[0:], 5000)
	be.PutUint16(udp[2:], 53)
	be.PutUint16(udp[4:], udpLen)
	pseudo := ^wire.FoldChecksum(wire.PseudoHeaderSum(src, dst, wire.ProtoUDP, udpLen))
	be.PutUint16(udp[udpChecksumOffset:], pseudo)
	// The last payload word makes the whole sum all ones, so that its
	// complement, the checksum, is zero.
	be.PutUint16(udp[10:], wire.FoldChecksum(wire.Checksum(udp, 0)))
	if c := wire.FoldChecksum(wire.Checksum(udp, 0)); c != 0 {
		t.Fatalf("the test packet's checksum is %#04x, want 0", c)
	}
	segs := split(t, pkt)
	s := segs[0][40:]
	if c := be.Uint16(s[udpChecksumOffset:]); c != 0xffff {
		t.Errorf("checksum field %#04x, want 0xffff", c)
	}
	if !wire.TransportChecksumValid(src, dst, wire.ProtoUDP, s) {
		t.Error("the completed checksum does not verify")
	}
}

func TestTakeRefusesMalformed(t *testing.T) {
	good := superPacket(false, 3000, 1448, 0x10)
	tests := map[string]func(p []byte) []byte{
		"short header":   func(p []byte) []byte { return p[:5] },
		"unknown GSO":    func(p []byte) []byte { p[vnetGSOType] = 3; return p },
		"zero MSS":       func(p []byte) []byte { p[vnetGSOSize], p[vnetGSOSize+1] = 0, 0; return p },
		"version":        func(p []byte) []byte { p[vnetHdrLen] = 0x65; return p },
		"TCP past end":   func(p []byte) []byte { return p[:vnetHdrLen+30] },
		"data offset":    func(p []byte) []byte { p[vnetHdrLen+20+tcpDataOff] = 0x20; return p },
		"csum past end":  func(p []byte) []byte { p[vnetGSOType] = gsoNone; p[vnetCsumStart+1] = 0xff; return p },
		"no payload":     func(p []byte) []byte { return p[:vnetHdrLen+52] },
		"csum start low": func(p []byte) []byte { p[vnetCsumStart] = 8; return p },
	}
	for name, mangle := range tests {
		p := mangle(bytes.Clone(good))
		o := newOffload()
		if _, ok := o.take(copy(o.rbuf, p), make([]byte, 1500)); ok {
			t.Errorf("%s: take accepted it", name)
		}
	}
}

// FuzzOffloadTake feeds arbitrary reads to the splitter: it must never
// panic, and never return more than the buffer holds. (Each segment moves
// the split forward, so it ends; the first segments are enough to check,
// and keep each run short when a mutated MSS is tiny.)
func FuzzOffloadTake(f *testing.F) {
	f.Add(superPacket(false, 3000, 1448, 0x19))
	f.Add(superPacket(true, 3000, 1428, 0x10))
	f.Add(superPacket(false, 1, 1, 0x10))
	// One splitter for every input, as a Device keeps one: each take
	// starts afresh.
	o := newOffload()
	buf := make([]byte, 1500)
	f.Fuzz(func(t *testing.T, p []byte) {
		o.splitting = false
		k, ok := o.take(copy(o.rbuf, p), buf)
		for i := 0; ok && i < 64; i++ {
			if k > len(buf) {
				t.Fatalf("returned %d bytes for a %d-byte buffer", k, len(buf))
			}
			if !o.splitting {
				return
			}
			k = o.nextSegment(buf)
		}
	})
}

// TestReadAfterCloseWhileSplitting: a super-packet half split when the
// Device closes yields no more segments: reads return net.ErrClosed.
func TestReadAfterCloseWhileSplitting(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	d := &Device{name: "test0", mtu: 1500, f: r, vnet: newOffload(), done: make(chan struct{})}
	in := superPacket(false, 5000, 1448, 0x10)
	if _, ok := d.vnet.take(copy(d.vnet.rbuf, in), make([]byte, 1500)); !ok || !d.vnet.splitting {
		t.Fatal("the super-packet was not taken for splitting")
	}
	d.Close()
	if _, err := d.ReadPacket(make([]byte, 1500)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("ReadPacket after Close: %v, want net.ErrClosed", err)
	}
}
