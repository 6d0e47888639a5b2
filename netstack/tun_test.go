package netstack

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"os"
	"syscall"
	"testing"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.zx2c4.com/wireguard/tun"
)

// TestDevice drives the tun.Device as wireguard-go would: the stack's
// datagrams come out of Read at the offset, batched; an echo request
// written is answered; after Close, Read and Write fail and Events is
// closed.
func TestDevice(t *testing.T) {
	dev, n, err := CreateNetTUN(addrsA, nil, tunnelMTU)
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if ev := <-dev.Events(); ev != tun.EventUp {
		t.Fatalf("first event %d, want EventUp", ev)
	}
	if name, _ := dev.Name(); name != "go" || dev.File() != nil || dev.BatchSize() != batchSize {
		t.Fatalf("Name %q, File %v, BatchSize %d", name, dev.File(), dev.BatchSize())
	}
	if mtu, _ := dev.MTU(); mtu != tunnelMTU {
		t.Fatalf("MTU %d", mtu)
	}

	const offset = 16
	bufs, sizes := make([][]byte, 8), make([]int, 8)
	for i := range bufs {
		bufs[i] = make([]byte, offset+tunnelMTU)
	}
	c, err := n.DialUDPAddrPort(netip.AddrPort{}, netip.AddrPortFrom(addrsB[0], 9))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := c.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	for got := 0; got < 3; {
		k, err := dev.Read(bufs, sizes, offset)
		if err != nil || k < 1 {
			t.Fatalf("Read: %d, %v", k, err)
		}
		for i := range k {
			pkt := bufs[i][offset : offset+sizes[i]]
			// IPv4, UDP from the stack to port 9, one byte of data.
			if sizes[i] != 29 || pkt[0]>>4 != 4 || pkt[9] != 17 || binary.BigEndian.Uint16(pkt[22:]) != 9 || pkt[28] != byte(got) {
				t.Fatalf("packet %d: % x", got, pkt)
			}
			got++
		}
	}

	req := echoRequest(t, addrsB[0], addrsA[0])
	if k, err := dev.Write([][]byte{append(make([]byte, offset), req...)}, offset); k != 1 || err != nil {
		t.Fatalf("Write: %d, %v", k, err)
	}
	k, err := dev.Read(bufs, sizes, offset)
	if err != nil || k != 1 {
		t.Fatalf("Read: %d, %v", k, err)
	}
	reply := bufs[0][offset : offset+sizes[0]]
	m, err := icmp.ParseMessage(1, reply[20:])
	if err != nil || m.Type != ipv4.ICMPTypeEchoReply || netip.AddrFrom4([4]byte(reply[16:20])) != addrsB[0] {
		t.Fatalf("reply % x: %v", reply, err)
	}

	if k, err := dev.Write([][]byte{{0x50, 0}}, 0); k != 0 || !errors.Is(err, syscall.EAFNOSUPPORT) {
		t.Fatalf("Write of a version-5 packet: %d, %v", k, err)
	}

	dev.Close()
	if _, err := dev.Read(bufs, sizes, offset); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Read after Close: %v", err)
	}
	if _, err := dev.Write([][]byte{req}, 0); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	select {
	case _, ok := <-dev.Events():
		if ok {
			t.Fatal("an event after Close")
		}
	default:
		t.Fatal("Events not closed")
	}
}

// echoRequest is an IPv4 ICMP echo request from src to dst.
func echoRequest(t *testing.T, src, dst netip.Addr) []byte {
	body, err := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: 7, Seq: 1, Data: []byte("hi")}}).Marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	h := make([]byte, 20)
	h[0], h[8], h[9] = 0x45, 64, 1
	binary.BigEndian.PutUint16(h[2:], uint16(20+len(body)))
	copy(h[12:16], src.AsSlice())
	copy(h[16:20], dst.AsSlice())
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(h[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(h[10:], ^uint16(sum))
	return append(h, body...)
}
