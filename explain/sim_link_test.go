package explain

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/link/pcap"
)

// capturedPacket is one packet of a simulated capture.
type capturedPacket struct {
	at    time.Time
	fromA bool
	ip    []byte
}

// lostFinalAckPackets runs the simulated lost-final-ACK scenario (with
// some data first) and returns its packets as its senders sent them.
func lostFinalAckPackets(t *testing.T) []capturedPacket {
	n := newSimNet(t)
	var pkts []capturedPacket
	n.mangle = func(pkt []byte) [][]byte {
		fromA := wireSrc(pkt) == simA.Addr().As4()
		pkts = append(pkts, capturedPacket{at: time.Unix(1700000000, int64(n.w.Now())), fromA: fromA, ip: bytes.Clone(pkt)})
		return [][]byte{pkt}
	}
	ca, cb := n.connect(0)
	n.w.At(500*time.Millisecond, func() { (*ca).Write([]byte("hello, world")) })
	n.w.At(time.Second, func() { (*ca).Close(n.w.Now()) })
	n.w.At(2*time.Second, func() {
		n.w.Net.SetPath(n.a.ID, n.b.ID, netem.Impairment{Loss: 1})
		var buf [64]byte
		(*cb).Read(buf[:])
		(*cb).Close(n.w.Now())
	})
	n.w.At(2*time.Second+time.Millisecond, func() { n.w.Net.SetPath(n.a.ID, n.b.ID, netem.Impairment{}) })
	n.w.Run(30 * time.Second)
	return pkts
}

// wireSrc is the IPv4 source address of pkt.
func wireSrc(pkt []byte) [4]byte { return [4]byte(pkt[12:16]) }

// Link-layer headers in front of an IPv4 packet.
func ethernetVLAN(ip []byte) []byte {
	h := []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00}
	return append(h, ip...)
}

func sllV1(ip []byte) []byte {
	h := []byte{0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00}
	return append(h, ip...)
}

func sllV2(ip []byte) []byte {
	h := []byte{0x08, 0x00, 0, 0, 0, 0, 0, 3, 0, 1, 4, 6, 2, 0, 0, 0, 0, 1, 0, 0}
	return append(h, ip...)
}

// classicCapture writes packets as a classic pcap file of the given link
// type, byte order and timestamp unit, each packet framed by frame.
func classicCapture(pkts []capturedPacket, linkType uint32, order binary.AppendByteOrder, nanos bool, frame func([]byte) []byte) []byte {
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	b := order.AppendUint32(nil, magic)
	b = order.AppendUint16(b, 2)
	b = order.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = order.AppendUint32(b, 262144)
	b = order.AppendUint32(b, linkType)
	for _, p := range pkts {
		data := frame(p.ip)
		frac := uint32(p.at.Nanosecond() / 1000)
		if nanos {
			frac = uint32(p.at.Nanosecond())
		}
		b = order.AppendUint32(b, uint32(p.at.Unix()))
		b = order.AppendUint32(b, frac)
		b = order.AppendUint32(b, uint32(len(data)))
		b = order.AppendUint32(b, uint32(len(data)))
		b = append(b, data...)
	}
	return b
}

// twoInterfaces writes a pcapng file with A's packets on an Ethernet
// interface with microsecond timestamps and B's on a raw IP interface with
// nanosecond ones.
func twoInterfaces(t *testing.T, pkts []capturedPacket) []byte {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, TimestampResolution: 6},
		pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Application: "synack test"}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := w.AddInterface(pcapgo.NgInterface{Name: "tun0", LinkType: layers.LinkType(pcap.LinkTypeRaw), TimestampResolution: 9})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pkts {
		data, ifc := ethernetVLAN(p.ip), 0
		if !p.fromA {
			data, ifc = p.ip, raw
		}
		w.WritePacket(gopacket.CaptureInfo{Timestamp: p.at, CaptureLength: len(data), Length: len(data), InterfaceIndex: ifc}, data)
	}
	w.Flush()
	return buf.Bytes()
}

// linkTypeCaptures returns the simulated scenario's capture in every link
// type and format explain reads, and with copies and bad checksums.
func linkTypeCaptures(t *testing.T) map[string][]byte {
	pkts := lostFinalAckPackets(t)
	le, be := binary.LittleEndian, binary.BigEndian
	same := func(b []byte) []byte { return b }
	twice := slices.Concat(pkts[:0:0])
	for _, p := range pkts {
		twice = append(twice, p, capturedPacket{at: p.at.Add(20 * time.Microsecond), fromA: p.fromA, ip: p.ip})
	}
	var badSums []capturedPacket
	for _, p := range pkts {
		if p.fromA {
			ip := bytes.Clone(p.ip)
			ip[20+16] ^= 0xff // the TCP checksum's first byte
			p.ip = ip
		}
		badSums = append(badSums, p)
	}
	return map[string][]byte{
		"raw.pcap":              classicCapture(pkts, pcap.LinkTypeRaw, le, true, same),
		"ipv4-be-micros.pcap":   classicCapture(pkts, pcap.LinkTypeIPv4, be, false, same),
		"ethernet-vlan.pcap":    classicCapture(pkts, pcap.LinkTypeEthernet, le, false, ethernetVLAN),
		"sll.pcap":              classicCapture(pkts, pcap.LinkTypeLinuxSLL, be, true, sllV1),
		"sll2.pcap":             classicCapture(pkts, pcap.LinkTypeLinuxSLL2, le, true, sllV2),
		"two-interfaces.pcapng": twoInterfaces(t, pkts),
		"duplicates.pcap":       classicCapture(twice, pcap.LinkTypeRaw, le, true, same),
		"bad-checksums.pcap":    classicCapture(badSums, pcap.LinkTypeRaw, le, true, same),
	}
}

// TestSimLinkTypes: one simulated conversation in every link type and
// format gives the same states and verdicts; copies and bad checksums are
// accepted and reported.
func TestSimLinkTypes(t *testing.T) {
	caps := linkTypeCaptures(t)
	nA, nAll := 0, len(lostFinalAckPackets(t))
	for _, p := range lostFinalAckPackets(t) {
		if p.fromA {
			nA++
		}
	}
	base := explainBytes(t, caps["raw.pcap"])
	wantStates := [2]string{
		"CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT",
		"LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
	}
	for i, e := range base.Endpoints {
		if got := statesString(e); got != wantStates[i] {
			t.Errorf("raw: %s went through %s, want %s", e.Addr, got, wantStates[i])
		}
	}
	for name, b := range caps {
		c := explainBytes(t, b)
		for i, e := range c.Endpoints {
			if e.Addr != base.Endpoints[i].Addr || !slices.Equal(e.States, base.Endpoints[i].States) {
				t.Errorf("%s: endpoint %s %v, raw capture: %s %v", name, e.Addr, e.States, base.Endpoints[i].Addr, base.Endpoints[i].States)
			}
		}
		want := slices.Clone(base.Verdicts)
		switch name {
		case "duplicates.pcap":
			want = append(want, fmt.Sprintf("%d packets captured twice (the copies are ignored)", nAll))
		case "bad-checksums.pcap":
			want = append(want, fmt.Sprintf("checksums not verified (offloaded): %d of %d segments carry a wrong TCP checksum, from %s; not rejected",
				nA, nAll, base.Endpoints[0].Addr))
		}
		if strings.Join(c.Verdicts, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: verdicts\n%q\nwant\n%q", name, c.Verdicts, want)
		}
		checkLadder(t, c)
	}
}

// explainBytes explains a capture with one connection.
func explainBytes(t *testing.T, b []byte) *Connection {
	t.Helper()
	rep, err := Read(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return only(t, rep)
}
