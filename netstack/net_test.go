package netstack

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
)

// TestNetMethods covers the *Net methods the tunnel tests do not reach
// through DialContext: the *net.TCPAddr and *net.UDPAddr forms (a 16-byte
// IPv4 included), listening families, ping bound and connected at once,
// and DialContext's errors.
func TestNetMethods(t *testing.T) {
	s, g, n := tunnel(t)
	serve(t, listen(t, g, 7), func(c net.Conn) { io.Copy(c, c) })
	udpEcho(t, g, 7)

	c, err := n.DialTCP(&net.TCPAddr{IP: net.ParseIP(addrsB[0].String()), Port: 7})
	if err != nil {
		t.Fatal(err)
	}
	echoed(t, c)

	u, err := n.DialUDP(nil, &net.UDPAddr{IP: net.ParseIP(addrsB[1].String()), Port: 7})
	if err != nil {
		t.Fatal(err)
	}
	echoed(t, u)

	for _, l := range []struct {
		addr    netip.AddrPort
		network string
		want    string
	}{
		{netip.AddrPortFrom(addrsA[0], 81), "tcp", "10.99.0.1:81"},
		{netip.AddrPortFrom(netip.IPv4Unspecified(), 82), "tcp", "0.0.0.0:82"},
		{netip.AddrPortFrom(netip.Addr{}, 83), "tcp", "[::]:83"},
	} {
		ln, err := n.ListenTCPAddrPort(l.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := ln.Addr().String(); got != l.want {
			t.Errorf("ListenTCPAddrPort(%v).Addr() = %s, want %s", l.addr, got, l.want)
		}
		ln.Close()
	}
	// 0.0.0.0 is IPv4 only, as in gVisor.
	ln, err := n.ListenTCP(&net.TCPAddr{IP: net.IPv4zero, Port: 84})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if _, err := g.dial(timeout(t), "tcp", "[fd99::1]:84"); err == nil {
		t.Error("an IPv6 connection to a listener on 0.0.0.0")
	}
	if c, err := g.dial(timeout(t), "tcp", "10.99.0.1:84"); err != nil {
		t.Error(err)
	} else {
		c.Close()
	}

	pc, err := n.DialPingAddr(addrsA[0], addrsB[0])
	if err != nil {
		t.Fatal(err)
	}
	if pc.LocalAddr().Network() != "ping4" || pc.RemoteAddr().String() != "10.99.0.2" {
		t.Errorf("ping socket %v %v", pc.LocalAddr(), pc.RemoteAddr())
	}
	req, _ := (&icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{Seq: 1, Data: []byte("both")}}).Marshal(nil)
	if _, err := pc.Write(req); err != nil {
		t.Fatal(err)
	}
	pc.SetReadDeadline(time.Now().Add(tunnelTimeout))
	buf := make([]byte, 1500)
	k, from, err := pc.ReadFrom(buf)
	if err != nil || from.(*PingAddr).Addr() != addrsB[0] || !bytes.HasSuffix(buf[:k], []byte("both")) {
		t.Fatalf("ping reply % x from %v: %v", buf[:k], from, err)
	}
	pc.Close()
	pingHost(t, s, "ping6", addrsB[1].String())

	for _, d := range []struct{ network, address, err string }{
		{"sctp", "10.99.0.2:7", "unknown network sctp"},
		{"tcp", "10.99.0.2", "missing port"},
		{"tcp", "10.99.0.2:http", "invalid port"},
		{"tcp6", "10.99.0.2:7", "no suitable address"},
	} {
		_, err := n.Dial(d.network, d.address)
		var oe *net.OpError
		if !errors.As(err, &oe) || !strings.Contains(err.Error(), d.err) {
			t.Errorf("Dial(%q, %q): %v, want a *net.OpError with %q", d.network, d.address, err, d.err)
		}
	}
}

// echoed writes a message on c and reads it back.
func echoed(t *testing.T, c net.Conn) {
	t.Helper()
	defer c.Close()
	c.SetDeadline(time.Now().Add(tunnelTimeout))
	msg := []byte("echo me")
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	k, err := c.Read(buf)
	if err != nil || !bytes.Equal(buf[:k], msg) {
		t.Fatalf("echo %q, %v", buf[:k], err)
	}
}
