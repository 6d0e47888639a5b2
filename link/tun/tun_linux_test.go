package tun_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/internal/netns"
	"github.com/synack-net/synack/link/tun"
)

// The kernel's address on the test interface, and the address the test
// writes packets from.
var (
	kernelIP = [4]byte{10, 99, 0, 1}
	peerIP   = [4]byte{10, 99, 0, 2}
)

// open opens a TUN device as cfg says inside ns and closes it when the
// test ends.
func open(t *testing.T, ns *netns.NS, cfg tun.Config) *tun.Device {
	t.Helper()
	var d *tun.Device
	err := ns.Do(func() (err error) {
		d, err = tun.OpenConfig(cfg)
		return err
	})
	if err != nil {
		t.Fatalf("OpenConfig(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// linkShow returns `ip link show name` inside ns, or "" if there is no
// such interface.
func linkShow(ns *netns.NS, name string) string {
	out, err := ns.Run("ip", "link", "show", name)
	if err != nil {
		return ""
	}
	return out
}

func TestOpenCreatesAndRemoves(t *testing.T) {
	ns := netns.New(t)
	d := open(t, ns, tun.Config{Name: "synack0", MTU: 1400})
	if d.Name() != "synack0" || d.MTU() != 1400 {
		t.Errorf("Name, MTU = %q, %d; want synack0, 1400", d.Name(), d.MTU())
	}
	out := linkShow(ns, "synack0")
	if !strings.Contains(out, "mtu 1400") || !strings.Contains(out, ",UP") {
		t.Errorf("ip link show synack0 = %q; want it up with mtu 1400", out)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if out := linkShow(ns, "synack0"); out != "" {
		t.Errorf("the interface outlived the Device: %q", out)
	}
	if err := d.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: %v, want net.ErrClosed", err)
	}
}

func TestOpenExisting(t *testing.T) {
	ns := netns.New(t)
	ns.MustIP(t, "tuntap", "add", "dev", "persist0", "mode", "tun")
	ns.MustIP(t, "link", "set", "persist0", "mtu", "1300")
	d := open(t, ns, tun.Config{Name: "persist0"})
	if d.MTU() != 1300 {
		t.Errorf("MTU() = %d, want the interface's 1300", d.MTU())
	}
	// A second attach to a single-queue interface is refused.
	err := ns.Do(func() error {
		d2, err := tun.Open("persist0", 0)
		if err == nil {
			d2.Close()
		}
		return err
	})
	if !errors.Is(err, syscall.EBUSY) {
		t.Errorf("second Open: %v, want EBUSY", err)
	}
	d.Close()
	if out := linkShow(ns, "persist0"); out == "" {
		t.Error("a persistent interface disappeared on Close")
	}
}

func TestOpenBadName(t *testing.T) {
	ns := netns.New(t)
	err := ns.Do(func() error {
		_, err := tun.Open("a-name-longer-than-ifnamsiz", 0)
		return err
	})
	if err == nil {
		t.Fatal("Open with a 27-byte name succeeded")
	}
}

// withKernel opens a device, with segmentation offload or not, whose
// kernel side has kernelIP/24.
func withKernel(t *testing.T, offload bool) *tun.Device {
	t.Helper()
	ns := netns.New(t)
	d := open(t, ns, tun.Config{Name: "tun0", MTU: 1500, Offload: offload})
	ns.MustIP(t, "addr", "add", "10.99.0.1/24", "dev", "tun0")
	return d
}

// checksum is the Internet checksum (RFC 1071) of b.
func checksum(b []byte) uint16 {
	var sum uint32
	for ; len(b) >= 2; b = b[2:] {
		sum += uint32(b[0])<<8 | uint32(b[1])
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// echoRequest builds an IPv4 ICMP echo request (RFC 792) from peerIP to
// kernelIP with the given sequence number and payload.
func echoRequest(seq uint16, payload []byte) []byte {
	p := make([]byte, 28+len(payload))
	be := binary.BigEndian
	p[0] = 0x45
	be.PutUint16(p[2:], uint16(len(p)))
	p[8], p[9] = 64, 1 // TTL, ICMP
	copy(p[12:], peerIP[:])
	copy(p[16:], kernelIP[:])
	be.PutUint16(p[10:], checksum(p[:20]))
	icmp := p[20:]
	icmp[0] = 8 // echo request
	be.PutUint16(icmp[4:], 0x5eed)
	be.PutUint16(icmp[6:], seq)
	copy(icmp[8:], payload)
	be.PutUint16(icmp[2:], checksum(icmp))
	return p
}

// readEchoReply reads until an ICMP echo reply to peerIP arrives (the
// kernel also sends IPv6 router solicitations and the like) and returns its
// ICMP part.
func readEchoReply(t *testing.T, d *tun.Device, buf []byte) []byte {
	t.Helper()
	for range 100 {
		n, err := d.ReadPacket(buf)
		if err != nil {
			t.Fatalf("ReadPacket: %v", err)
		}
		p := buf[:n]
		if n >= 28 && p[0] == 0x45 && p[9] == 1 && [4]byte(p[16:20]) == peerIP && p[20] == 0 {
			return p[20:]
		}
	}
	t.Fatal("no echo reply in 100 packets")
	return nil
}

func TestPingKernel(t *testing.T) { bothModes(t, testPingKernel) }

func testPingKernel(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	payload := []byte("synack tun test")
	buf := make([]byte, d.MTU())
	for seq := range uint16(3) {
		if err := d.WritePacket(echoRequest(seq, payload)); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
		icmp := readEchoReply(t, d, buf)
		if got := binary.BigEndian.Uint16(icmp[6:]); got != seq || !bytes.Equal(icmp[8:], payload) {
			t.Errorf("echo reply seq %d payload %q; want %d, %q", got, icmp[8:], seq, payload)
		}
		if checksum(icmp) != 0 {
			t.Errorf("echo reply checksum does not verify")
		}
	}
	if d.Dropped() != 0 {
		t.Errorf("Dropped() = %d, want 0", d.Dropped())
	}
}

func TestReadTruncates(t *testing.T) { bothModes(t, testReadTruncates) }

func testReadTruncates(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	if err := d.WritePacket(echoRequest(1, make([]byte, 1000))); err != nil {
		t.Fatal(err)
	}
	// The reply is 1028 bytes; a 100-byte buffer gets its first 100.
	buf := make([]byte, 100)
	for range 100 {
		n, err := d.ReadPacket(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n > len(buf) {
			t.Fatalf("ReadPacket returned %d for a %d-byte buffer", n, len(buf))
		}
		if buf[0] == 0x45 && buf[9] == 1 && buf[20] == 0 {
			if n != len(buf) || binary.BigEndian.Uint16(buf[2:]) != 1028 {
				t.Errorf("truncated reply: n = %d, total length %d; want 100, 1028", n, binary.BigEndian.Uint16(buf[2:]))
			}
			return
		}
	}
	t.Fatal("no echo reply in 100 packets")
}

func TestWriteMalformedIsDropped(t *testing.T) { bothModes(t, testWriteMalformedIsDropped) }

func testWriteMalformedIsDropped(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	// Not an IP packet: the kernel refuses it with EINVAL.
	if err := d.WritePacket([]byte{0xff, 1, 2}); err != nil {
		t.Errorf("WritePacket(garbage) = %v, want nil (a drop)", err)
	}
	if err := d.WritePacket(nil); err != nil {
		t.Errorf("WritePacket(nil) = %v, want nil (a drop)", err)
	}
	if d.Dropped() == 0 {
		t.Errorf("Dropped() = 0 after garbage")
	}
}

func TestCloseUnblocksRead(t *testing.T) { bothModes(t, testCloseUnblocksRead) }

func testCloseUnblocksRead(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, d.MTU())
		for {
			if _, err := d.ReadPacket(buf); err != nil {
				done <- err
				return
			}
		}
	}()
	time.Sleep(20 * time.Millisecond) // let the reader block in the poller
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		var oe *net.OpError
		if !errors.Is(err, net.ErrClosed) || !errors.As(err, &oe) {
			t.Errorf("blocked ReadPacket returned %v, want a *net.OpError wrapping net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadPacket still blocked 5 s after Close")
	}
	if err := d.WritePacket(echoRequest(0, nil)); !errors.Is(err, net.ErrClosed) {
		t.Errorf("WritePacket after Close: %v, want net.ErrClosed", err)
	}
}

func TestNoAllocations(t *testing.T) { bothModes(t, testNoAllocations) }

func testNoAllocations(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	req := echoRequest(7, make([]byte, 64))
	buf := make([]byte, d.MTU())
	roundTrip := func() {
		if err := d.WritePacket(req); err != nil {
			t.Fatal(err)
		}
		readEchoReply(t, d, buf)
	}
	roundTrip() // warm up the poller registration
	if n := testing.AllocsPerRun(200, roundTrip); n != 0 {
		t.Errorf("a write and a read allocate %.1f times, want 0", n)
	}
}

// bothModes runs test on a device without and with segmentation offload.
func bothModes(t *testing.T, test func(t *testing.T, offload bool)) {
	t.Run("plain", func(t *testing.T) { test(t, false) })
	t.Run("offload", func(t *testing.T) { test(t, true) })
}

// readEchoReplyLent is readEchoReply through ReadPacketBuffer: it returns
// the reply's ICMP part, copied, and hands every packet back.
func readEchoReplyLent(t *testing.T, d *tun.Device) []byte {
	t.Helper()
	for range 100 {
		p, err := d.ReadPacketBuffer()
		if err != nil {
			t.Fatalf("ReadPacketBuffer: %v", err)
		}
		if len(p) >= 28 && p[0] == 0x45 && p[9] == 1 && [4]byte(p[16:20]) == peerIP && p[20] == 0 {
			icmp := bytes.Clone(p[20:])
			d.ReleasePacketBuffer(p)
			return icmp
		}
		d.ReleasePacketBuffer(p)
	}
	t.Fatal("no echo reply in 100 packets")
	return nil
}

func TestPingKernelLent(t *testing.T) { bothModes(t, testPingKernelLent) }

// testPingKernelLent: more round trips than the device lends packets at
// once (256), so released packets are lent again.
func testPingKernelLent(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	payload := []byte("synack tun test, lent")
	for seq := range uint16(300) {
		if err := d.WritePacket(echoRequest(seq, payload)); err != nil {
			t.Fatalf("WritePacket: %v", err)
		}
		icmp := readEchoReplyLent(t, d)
		if got := binary.BigEndian.Uint16(icmp[6:]); got != seq || !bytes.Equal(icmp[8:], payload) || checksum(icmp) != 0 {
			t.Fatalf("echo reply seq %d payload %q, checksum ok %v; want %d, %q", got, icmp[8:], checksum(icmp) == 0, seq, payload)
		}
	}
}

func TestLentNoAllocations(t *testing.T) { bothModes(t, testLentNoAllocations) }

func testLentNoAllocations(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	req := echoRequest(7, make([]byte, 64))
	roundTrip := func() {
		if err := d.WritePacket(req); err != nil {
			t.Fatal(err)
		}
		readEchoReplyLent(t, d)
	}
	roundTrip() // warm up the poller registration and the lent buffers
	if n := testing.AllocsPerRun(200, roundTrip); n != 1 {
		t.Errorf("a write and a lent read allocate %.1f times, want 1 (the test's copy of the reply)", n)
	}
}

func TestCloseUnblocksLentRead(t *testing.T) { bothModes(t, testCloseUnblocksLentRead) }

func testCloseUnblocksLentRead(t *testing.T, offload bool) {
	d := withKernel(t, offload)
	done := make(chan error, 1)
	go func() {
		for {
			p, err := d.ReadPacketBuffer()
			if err != nil {
				done <- err
				return
			}
			d.ReleasePacketBuffer(p)
		}
	}()
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		var oe *net.OpError
		if !errors.Is(err, net.ErrClosed) || !errors.As(err, &oe) {
			t.Errorf("ReadPacketBuffer returned %v, want a *net.OpError wrapping net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ReadPacketBuffer still blocked 5 s after Close")
	}
}
