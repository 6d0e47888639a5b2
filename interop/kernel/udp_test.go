//go:build linux

package kernel

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The IPv6 addresses of the tests that use both families: the kernel's
// end of the device and synack's.
var (
	kernelPrefix6 = netip.MustParsePrefix("fd99::1/64")
	synackPrefix6 = netip.MustParsePrefix("fd99::2/64")
)

// udpFamily is one address family of the UDP and ping tests.
type udpFamily struct {
	name           string
	network        string // udp4 or udp6
	kernel, synack netip.Addr
	maxPayload     int // the largest datagram that fits the 1500-byte MTU
}

var udpFamilies = []udpFamily{
	{"IPv4", "udp4", kernelIP, synackIP, 1500 - 20 - 8},
	{"IPv6", "udp6", kernelPrefix6.Addr(), synackPrefix6.Addr(), 1500 - 40 - 8},
}

// newFamilyEnv makes a test's world for family f: for IPv6, the
// device's kernel side gets IPv6 back (newEnv turns it off) with an
// address, and synack gets one too.
func newFamilyEnv(t *testing.T, f udpFamily) *env {
	t.Helper()
	e := newEnv(t)
	if f.network == "udp6" {
		e.ns.MustRun(t, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf."+tunName+".disable_ipv6=0")
		e.ns.MustIP(t, "-6", "addr", "add", kernelPrefix6.String(), "dev", tunName, "nodad")
		// The kernel takes the address as its own (its local route) a
		// moment later, in its address work queue; until then it drops
		// what is sent to it.
		waitFor(t, 5*time.Second, "the kernel's IPv6 address is local", func() bool {
			out, err := e.ns.Run("ip", "-6", "route", "show", "table", "local", kernelPrefix6.Addr().String())
			return err == nil && strings.TrimSpace(out) != ""
		})
		e.st.AddAddress(synackPrefix6)
	}
	return e
}

// kernelUDP makes a kernel UDP socket in the namespace: connected to
// remote if it is valid, else bound to local.
func (e *env) kernelUDP(network string, local, remote netip.AddrPort) *net.UDPConn {
	e.t.Helper()
	var c *net.UDPConn
	err := e.ns.Do(func() (err error) {
		if remote.IsValid() {
			c, err = net.DialUDP(network, nil, net.UDPAddrFromAddrPort(remote))
		} else {
			c, err = net.ListenUDP(network, net.UDPAddrFromAddrPort(local))
		}
		return err
	})
	if err != nil {
		e.t.Fatalf("kernel UDP socket: %v", err)
	}
	e.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(ioTimeout))
	return c
}

// echoUDP echoes every datagram that reaches c until c fails.
func echoUDP(c net.PacketConn) {
	buf := make([]byte, 65536)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			return
		}
		if _, err := c.WriteTo(buf[:n], from); err != nil {
			return
		}
	}
}

// exchangeUDP sends 200 datagrams of lengths from 0 to max over c, each
// with its own bytes, and checks that each comes back whole.
func exchangeUDP(t *testing.T, c net.Conn, max int) {
	t.Helper()
	buf := make([]byte, 65536)
	for i := range 200 {
		msg := make([]byte, i*max/199)
		for j := range msg {
			msg[j] = byte(i + j)
		}
		if _, err := c.Write(msg); err != nil {
			t.Fatalf("datagram %d (%d bytes): write: %v", i, len(msg), err)
		}
		n, err := c.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("datagram %d (%d bytes): echo of %d bytes, %v", i, len(msg), n, err)
		}
	}
}

// TestUDPKernelToSynack: kernel UDP sockets exchange datagrams of every
// size up to the MTU with a synack echo server, in both families.
func TestUDPKernelToSynack(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			e := newFamilyEnv(t, f)
			srv, err := e.st.ListenUDPAddrPort(f.network, netip.AddrPortFrom(f.synack, firstPort))
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			go echoUDP(srv)
			c := e.kernelUDP(f.network, netip.AddrPort{}, srv.LocalAddr().(*net.UDPAddr).AddrPort())
			exchangeUDP(t, c, f.maxPayload)
			if k := e.st.Counters(); k.UDPInDatagrams != 200 || k.UDPOutDatagrams != 200 || k.UDPInErrors != 0 {
				t.Errorf("synack counters: in %d, out %d, errors %d", k.UDPInDatagrams, k.UDPOutDatagrams, k.UDPInErrors)
			}
		})
	}
}

// TestUDPSynackToKernel: a connected synack socket exchanges the same
// datagrams with a kernel echo server, which sees synack's address.
func TestUDPSynackToKernel(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			e := newFamilyEnv(t, f)
			srv := e.kernelUDP(f.network, netip.AddrPortFrom(f.kernel, 0), netip.AddrPort{})
			seen := make(chan netip.AddrPort, 1)
			go func() {
				buf := make([]byte, 16)
				_, from, err := srv.ReadFromUDPAddrPort(buf)
				if err == nil {
					srv.WriteToUDPAddrPort(buf[:0], from)
				}
				seen <- from
				echoUDP(srv)
			}()
			c, err := e.st.DialUDPAddrPort(f.network, netip.AddrPort{}, srv.LocalAddr().(*net.UDPAddr).AddrPort())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(ioTimeout))
			c.Write([]byte("hello"))
			if _, err := c.Read(make([]byte, 16)); err != nil {
				t.Fatal(err)
			}
			if from := <-seen; netip.AddrPortFrom(from.Addr().Unmap(), from.Port()) != c.LocalAddr().(*net.UDPAddr).AddrPort() {
				t.Errorf("the kernel saw %v, synack's socket is %v", from, c.LocalAddr())
			}
			exchangeUDP(t, c, f.maxPayload)
		})
	}
}

// TestUDPRefusedByKernel: synack's datagram to a kernel port with no
// socket draws the kernel's port unreachable, and the connected socket's
// next read fails with ECONNREFUSED.
func TestUDPRefusedByKernel(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			e := newFamilyEnv(t, f)
			c, err := e.st.DialUDPAddrPort(f.network, netip.AddrPort{}, netip.AddrPortFrom(f.kernel, closedPort))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(ioTimeout))
			c.Write([]byte("anyone?"))
			_, err = c.Read(make([]byte, 16))
			var oe *net.OpError
			if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &oe) || oe.Op != "read" {
				t.Fatalf("read: %v, want a read *net.OpError wrapping ECONNREFUSED", err)
			}
		})
	}
}

// TestUDPRefusedBySynack: the kernel's datagram to a synack port with no
// socket draws synack's port unreachable, which the kernel reports to its
// connected socket as ECONNREFUSED.
func TestUDPRefusedBySynack(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.name, func(t *testing.T) {
			e := newFamilyEnv(t, f)
			c := e.kernelUDP(f.network, netip.AddrPort{}, netip.AddrPortFrom(f.synack, closedPort))
			c.Write([]byte("anyone?"))
			if _, err := c.Read(make([]byte, 16)); !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("kernel read: %v, want ECONNREFUSED", err)
			}
			if k := e.st.Counters(); k.UDPNoPorts != 1 || k.ICMPOutDestUnreachs != 1 {
				t.Errorf("synack NoPorts %d, OutDestUnreachs %d", k.UDPNoPorts, k.ICMPOutDestUnreachs)
			}
		})
	}
}
