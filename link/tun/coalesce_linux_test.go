package tun

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net/netip"
	"testing"

	"github.com/synack-net/synack/wire"
)

// seg describes a TCP segment for the coalescer's tests; packet builds it
// as synack's stack does, checksums and all.
type seg struct {
	v6      bool
	port    uint16 // source port
	seq     uint32
	ack     uint32
	flags   byte
	window  uint16
	tsval   uint32
	id      uint16 // IPv4 identification
	ttl     uint8
	payload int
	urgent  uint16
}

// base is a full-sized data segment; tests vary it.
func base(v6 bool) seg {
	return seg{v6: v6, port: 5000, seq: 0xfffff000, ack: 777, flags: flagACK, window: 501,
		tsval: 99, id: 1000, ttl: 64, payload: 1448}
}

func (s seg) packet() []byte {
	src, dst := netip.MustParseAddr("10.99.0.2"), netip.MustParseAddr("10.99.0.1")
	ipLen := wire.IPv4MinHeaderLen
	if s.v6 {
		src, dst = netip.MustParseAddr("fd00::2"), netip.MustParseAddr("fd00::1")
		ipLen = wire.IPv6HeaderLen
	}
	opts := wire.TCPOptions{HasTS: true, TSVal: s.tsval, TSEcr: 5}
	tcpLen := wire.TCPMinHeaderLen + opts.Len()
	pkt := make([]byte, ipLen+tcpLen+s.payload)
	if s.v6 {
		wire.PutIPv6Header(pkt, src, dst, wire.ProtoTCP, s.ttl, tcpLen+s.payload)
	} else {
		wire.PutIPv4Header(pkt, src, dst, wire.ProtoTCP, s.ttl, s.id, tcpLen+s.payload)
	}
	tcp := wire.TCP(pkt[ipLen:])
	wire.PutTCPHeader(tcp, wire.TCPHeader{SrcPort: s.port, DstPort: 40000, Seq: s.seq, Ack: s.ack,
		Flags: wire.TCPFlags(s.flags), Window: s.window}, &opts)
	binary.BigEndian.PutUint16(tcp[tcpUrgent:], s.urgent)
	for i := range s.payload {
		tcp[tcpLen+i] = byte(s.seq + uint32(i))
	}
	tcp.SetChecksum(wire.TransportChecksum(src, dst, wire.ProtoTCP, tcp))
	return pkt
}

// next is the segment that follows s in its flow, with the given payload.
func (s seg) next(payload int) seg {
	s.seq += uint32(s.payload)
	s.id++
	s.payload = payload
	return s
}

// writes records what the coalescer writes to the device, one entry per
// write.
type writes [][]byte

func (w *writes) Write(b []byte) (int, error) {
	*w = append(*w, bytes.Clone(b))
	return len(b), nil
}

// coalesce writes pkts through a coalescer, flushes it, and returns what
// reached the device.
func coalesce(t *testing.T, pkts ...[]byte) writes {
	t.Helper()
	var w writes
	c := newCoalescer()
	for _, p := range pkts {
		if err := c.write(&w, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.flush(&w); err != nil {
		t.Fatal(err)
	}
	return w
}

// resplit turns what the coalescer wrote back into segments with the
// receive side's splitter, which does what the kernel's segmentation
// does.
func resplit(t *testing.T, w writes) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range w {
		if p[vnetGSOType] == gsoNone {
			if !bytes.Equal(p[:vnetHdrLen], make([]byte, vnetHdrLen)) {
				t.Errorf("a plain packet's virtio-net header is % x, want zeros", p[:vnetHdrLen])
			}
			out = append(out, p[vnetHdrLen:])
			continue
		}
		out = append(out, split(t, p)...)
	}
	return out
}

func TestCoalesceRunIntoOneGSOPacket(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		t.Run(fmt.Sprintf("v6=%v", v6), func(t *testing.T) {
			s := base(v6)
			var in [][]byte
			for range 5 {
				in = append(in, s.packet())
				s = s.next(1448)
			}
			s.payload, s.flags = 300, flagACK|flagPSH
			in = append(in, s.packet())

			w := coalesce(t, in...)
			if len(w) != 1 {
				t.Fatalf("%d writes, want 1", len(w))
			}
			h, pkt := w[0][:vnetHdrLen], w[0][vnetHdrLen:]
			le := binary.LittleEndian
			l4, hdrLen := 20, 20+32
			gso := byte(gsoTCPv4)
			if v6 {
				l4, hdrLen, gso = 40, 40+32, gsoTCPv6
			}
			if h[vnetFlags] != vnetNeedsCsum || h[vnetGSOType] != gso ||
				le.Uint16(h[vnetHdrLenField:]) != uint16(hdrLen) || le.Uint16(h[vnetGSOSize:]) != 1448 ||
				le.Uint16(h[vnetCsumStart:]) != uint16(l4) || le.Uint16(h[vnetCsumOffset:]) != tcpCsum {
				t.Errorf("virtio-net header % x", h)
			}
			if want := hdrLen + 5*1448 + 300; len(pkt) != want {
				t.Errorf("packet of %d bytes, want %d", len(pkt), want)
			}
			if pkt[l4+tcpFlags] != flagACK|flagPSH {
				t.Errorf("flags %#x, want ACK|PSH (for the last segment)", pkt[l4+tcpFlags])
			}
			if !v6 && wire.FoldChecksum(wire.Checksum(pkt[:20], 0)) != 0 {
				t.Error("bad IPv4 header checksum")
			}
			got := resplit(t, w)
			if len(got) != len(in) {
				t.Fatalf("split back into %d segments, want %d", len(got), len(in))
			}
			for i := range in {
				if !bytes.Equal(got[i], in[i]) {
					t.Errorf("segment %d differs after the round trip:\n got % x\nwant % x", i, got[i][:hdrLen], in[i][:hdrLen])
				}
			}
		})
	}
}

func TestCoalesceSingleSegmentUnchanged(t *testing.T) {
	p := base(false).packet()
	w := coalesce(t, p)
	if len(w) != 1 || !bytes.Equal(w[0][vnetHdrLen:], p) || !bytes.Equal(w[0][:vnetHdrLen], make([]byte, vnetHdrLen)) {
		t.Errorf("one segment written as % x", w)
	}
	if w := coalesce(t); len(w) != 0 {
		t.Errorf("flush with nothing pending wrote %d packets", len(w))
	}
}

// TestCoalesceRefuses: a second segment that differs from the first in
// anything the kernel's GRO would not merge over is written separately,
// in order, and both come back unchanged.
func TestCoalesceRefuses(t *testing.T) {
	cases := map[string]func(s *seg){
		"sequence gap":        func(s *seg) { s.seq++ },
		"ack":                 func(s *seg) { s.ack++ },
		"window":              func(s *seg) { s.window++ },
		"options":             func(s *seg) { s.tsval++ },
		"port":                func(s *seg) { s.port++ },
		"identification gap":  func(s *seg) { s.id += 2 },
		"TTL":                 func(s *seg) { s.ttl-- },
		"longer payload":      func(s *seg) { s.payload++ },
		"empty payload":       func(s *seg) { s.payload = 0 },
		"FIN":                 func(s *seg) { s.flags |= flagFIN },
		"SYN":                 func(s *seg) { s.flags |= 0x02 },
		"RST":                 func(s *seg) { s.flags |= 0x04 },
		"URG":                 func(s *seg) { s.flags |= 0x20; s.urgent = 1 },
		"ECE":                 func(s *seg) { s.flags |= 0x40 },
		"CWR":                 func(s *seg) { s.flags |= flagCWR },
		"urgent pointer only": func(s *seg) { s.urgent = 1 },
	}
	for name, mutate := range cases {
		for _, v6 := range []bool{false, true} {
			if v6 && name == "identification gap" {
				continue // IPv6 has none
			}
			t.Run(fmt.Sprintf("%s/v6=%v", name, v6), func(t *testing.T) {
				first := base(v6)
				second := first.next(1448)
				mutate(&second)
				in := [][]byte{first.packet(), second.packet()}
				w := coalesce(t, in...)
				if len(w) != 2 {
					t.Fatalf("%d writes, want 2", len(w))
				}
				for i, p := range resplit(t, w) {
					if !bytes.Equal(p, in[i]) {
						t.Errorf("packet %d changed", i)
					}
				}
			})
		}
	}
}

func TestCoalesceStopsAfterShortOrPushed(t *testing.T) {
	for name, last := range map[string]func(s *seg){
		"short":  func(s *seg) { s.payload = 100 },
		"pushed": func(s *seg) { s.flags |= flagPSH },
	} {
		t.Run(name, func(t *testing.T) {
			a := base(false)
			b := a.next(1448)
			last(&b)
			c := b.next(100)
			w := coalesce(t, a.packet(), b.packet(), c.packet())
			if len(w) != 2 || w[0][vnetGSOType] != gsoTCPv4 || w[1][vnetGSOType] != gsoNone {
				t.Fatalf("wrote %d packets; want a GSO packet of two segments, then the third alone", len(w))
			}
		})
	}
}

func TestCoalesceStopsAt64KiB(t *testing.T) {
	s := base(false)
	var in [][]byte
	for range 100 {
		in = append(in, s.packet())
		s = s.next(1448)
	}
	w := coalesce(t, in...)
	// (65535 - 52) / 1448 = 45 segments fit in one packet.
	if len(w) != 3 {
		t.Fatalf("%d writes, want 3 (45 + 45 + 10 segments)", len(w))
	}
	for i, p := range w {
		if len(p)-vnetHdrLen > maxIPPacket {
			t.Errorf("write %d is %d bytes", i, len(p)-vnetHdrLen)
		}
	}
	got := resplit(t, w)
	if len(got) != len(in) {
		t.Fatalf("split back into %d segments, want %d", len(got), len(in))
	}
	for i := range in {
		if !bytes.Equal(got[i], in[i]) {
			t.Fatalf("segment %d differs after the round trip", i)
		}
	}
}

// TestCoalesceOtherTrafficInOrder: a packet that is not TCP data (here an
// ICMP echo request) sends what is pending first and goes alone.
func TestCoalesceOtherTrafficInOrder(t *testing.T) {
	a := base(false)
	b := a.next(1448)
	icmp := echoRequestPacket()
	w := coalesce(t, a.packet(), b.packet(), icmp, b.next(1448).packet())
	if len(w) != 3 || w[0][vnetGSOType] != gsoTCPv4 || !bytes.Equal(w[1][vnetHdrLen:], icmp) || w[2][vnetGSOType] != gsoNone {
		t.Fatalf("wrote %d packets; want the two segments joined, the ICMP packet, the third segment", len(w))
	}
}

// echoRequestPacket is a minimal IPv4 ICMP echo request.
func echoRequestPacket() []byte {
	pkt := make([]byte, 28)
	wire.PutIPv4Header(pkt, netip.MustParseAddr("10.99.0.2"), netip.MustParseAddr("10.99.0.1"), 1, 64, 7, 8)
	pkt[20] = 8
	binary.BigEndian.PutUint16(pkt[22:], wire.FoldChecksum(wire.Checksum(pkt[20:], 0)))
	return pkt
}

func TestCoalesceRefusesOverlong(t *testing.T) {
	var w writes
	if err := newCoalescer().write(&w, make([]byte, maxIPPacket+1)); err != errTooLong {
		t.Errorf("write of %d bytes: %v, want errTooLong", maxIPPacket+1, err)
	}
}

// FuzzCoalesceRoundTrip: whatever run of well-formed segments is written,
// splitting what reaches the device gives them back exactly, in order.
func FuzzCoalesceRoundTrip(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 1, 0, 2, 3, 0, 0, 0, 4, 5, 6})
	f.Fuzz(func(t *testing.T, script []byte) {
		s := base(len(script) > 0 && script[0]&1 == 1)
		var in [][]byte
		for i, op := range script {
			if i >= 200 {
				break
			}
			switch op % 8 {
			case 0, 1, 2: // the next full segment
			case 3:
				s.payload = int(op)*5 + 1
			case 4:
				s.flags |= flagPSH
			case 5:
				s.ack++
			case 6:
				s.seq += 7
			case 7:
				s.flags |= flagFIN
			}
			in = append(in, s.packet())
			s = s.next(1448)
			s.flags = flagACK
		}
		got := resplit(t, coalesce(t, in...))
		if len(got) != len(in) {
			t.Fatalf("split back into %d segments, want %d", len(got), len(in))
		}
		for i := range in {
			if !bytes.Equal(got[i], in[i]) {
				t.Fatalf("segment %d differs after the round trip", i)
			}
		}
	})
}
