package synack_test

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
)

// The API's datagram sockets are net.PacketConn and net.Conn values.
var (
	_ net.PacketConn = (*synack.UDPConn)(nil)
	_ net.Conn       = (*synack.UDPConn)(nil)
	_ net.PacketConn = (*synack.PingConn)(nil)
	_ net.Conn       = (*synack.PingConn)(nil)
)

var udpFamilies = []struct {
	network string
	server  netip.Addr
}{
	{"udp4", netip.MustParseAddr("10.0.0.2")},
	{"udp6", netip.MustParseAddr("fd00::2")},
}

// serveUDPEcho echoes every datagram that reaches c until c is closed.
func serveUDPEcho(c *synack.UDPConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		c.WriteToUDPAddrPort(buf[:n], from)
	}
}

func TestUDPEcho(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.network, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cs, ss := dualStacks(t, synack.Config{})
				// "udp" with no address takes both families, as in Go.
				srv, err := ss.ListenUDP("udp", &net.UDPAddr{Port: 7})
				if err != nil {
					t.Fatal(err)
				}
				defer srv.Close()
				if got := srv.LocalAddr().String(); got != "[::]:7" {
					t.Errorf("LocalAddr %s", got)
				}
				go serveUDPEcho(srv)
				c, err := cs.DialUDP(f.network, nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(f.server, 7)))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				if got := c.RemoteAddr().String(); got != netip.AddrPortFrom(f.server, 7).String() {
					t.Errorf("RemoteAddr %s", got)
				}
				for i := range 10 {
					msg := bytes.Repeat([]byte{byte(i)}, 100*i+1)
					if _, err := c.Write(msg); err != nil {
						t.Fatal(err)
					}
					buf := make([]byte, 2048)
					n, err := c.Read(buf)
					if err != nil || !bytes.Equal(buf[:n], msg) {
						t.Fatalf("echo %d: %d bytes, %v", i, n, err)
					}
				}
				if k := ss.Counters(); k.UDPInDatagrams != 10 || k.UDPOutDatagrams != 10 {
					t.Errorf("server counters: in %d, out %d", k.UDPInDatagrams, k.UDPOutDatagrams)
				}
			})
		})
	}
}

// TestUDPPacketConn: an unconnected socket as a net.PacketConn, with
// ReadFrom reporting each sender.
func TestUDPPacketConn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := dualStacks(t, synack.Config{})
		srv, err := ss.ListenUDPAddrPort("udp4", netip.MustParseAddrPort("10.0.0.2:9000"))
		if err != nil {
			t.Fatal(err)
		}
		go serveUDPEcho(srv)
		var pc net.PacketConn
		pc, err = cs.ListenUDP("udp4", nil)
		if err != nil {
			t.Fatal(err)
		}
		to := &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 9000}
		if _, err := pc.WriteTo([]byte("hello"), to); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		n, from, err := pc.ReadFrom(buf)
		if err != nil || string(buf[:n]) != "hello" || from.String() != "10.0.0.2:9000" {
			t.Fatalf("ReadFrom: %q from %v, %v", buf[:n], from, err)
		}
		if _, err := pc.(*synack.UDPConn).Write([]byte("x")); !errors.Is(err, syscall.EDESTADDRREQ) {
			t.Errorf("Write on an unconnected socket: %v, want EDESTADDRREQ", err)
		}
		pc.Close()
		srv.Close()
	})
}

func TestUDPReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ss := dualStacks(t, synack.Config{})
		c, err := ss.ListenUDP("udp", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		start := time.Now()
		c.SetReadDeadline(start.Add(1500 * time.Millisecond))
		_, _, err = c.ReadFrom(make([]byte, 10))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a timeout", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "read" || oe.Net != "udp" {
			t.Fatalf("err %#v is not a read *net.OpError", err)
		}
		if d := time.Since(start); d != 1500*time.Millisecond {
			t.Fatalf("timed out after %v", d)
		}
		// A deadline in the past fails at once; clearing it lets the
		// write deadline alone apply.
		c.SetDeadline(time.Now().Add(-time.Second))
		if _, err := c.WriteTo([]byte("x"), &net.UDPAddr{IP: net.ParseIP("10.0.0.1"), Port: 9}); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write past the deadline: %v", err)
		}
		c.SetDeadline(time.Time{})
		if _, err := c.WriteTo([]byte("x"), &net.UDPAddr{IP: net.ParseIP("10.0.0.1"), Port: 9}); err != nil {
			t.Fatalf("write after clearing the deadline: %v", err)
		}
	})
}

// TestUDPQueueOverflow: datagrams beyond the receive queue's limit are
// dropped and counted on the socket and the stack.
func TestUDPQueueOverflow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := dualStacks(t, synack.Config{})
		srv, _ := ss.ListenUDPAddrPort("udp", netip.MustParseAddrPort("10.0.0.2:9"))
		defer srv.Close()
		if err := srv.SetReadBuffer(1); err != nil { // clamped to 2304
			t.Fatal(err)
		}
		c, _ := cs.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 9})
		defer c.Close()
		for i := range 10 {
			if _, err := c.Write(bytes.Repeat([]byte{byte(i)}, 1000)); err != nil {
				t.Fatal(err)
			}
		}
		synctest.Wait()
		if srv.Drops() != 7 || ss.Counters().UDPRcvbufErrors != 7 {
			t.Fatalf("dropped %d (counter %d), want 7", srv.Drops(), ss.Counters().UDPRcvbufErrors)
		}
		buf := make([]byte, 2000)
		for i := range 3 {
			n, err := srv.Read(buf)
			if err != nil || n != 1000 || buf[0] != byte(i) {
				t.Fatalf("datagram %d: %d bytes of %d, %v", i, n, buf[0], err)
			}
		}
	})
}

// TestUDPConnRefused: a datagram to a closed port draws ICMP port
// unreachable, and the connected socket's next read fails with
// ECONNREFUSED, once, as on Linux.
func TestUDPConnRefused(t *testing.T) {
	for _, f := range udpFamilies {
		t.Run(f.network, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cs, ss := dualStacks(t, synack.Config{})
				c, err := cs.DialUDPAddrPort(f.network, netip.AddrPort{}, netip.AddrPortFrom(f.server, 9))
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				c.Write([]byte("anyone there?"))
				_, err = c.Read(make([]byte, 10))
				var oe *net.OpError
				if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &oe) || oe.Op != "read" || oe.Net != f.network {
					t.Fatalf("read: %v, want a read *net.OpError with ECONNREFUSED", err)
				}
				if k := ss.Counters(); k.UDPNoPorts != 1 || k.ICMPOutDestUnreachs != 1 {
					t.Fatalf("server NoPorts %d, OutDestUnreachs %d", k.UDPNoPorts, k.ICMPOutDestUnreachs)
				}
				c.SetReadDeadline(time.Now().Add(time.Second))
				if _, err := c.Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("second read: %v, want the deadline (the error is reported once)", err)
				}
			})
		})
	}
}

func TestUDPClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := dualStacks(t, synack.Config{})
		c, _ := cs.ListenUDP("udp", nil)
		done := make(chan error)
		go func() {
			_, _, err := c.ReadFrom(make([]byte, 10))
			done <- err
		}()
		synctest.Wait()
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked read: %v, want net.ErrClosed", err)
		}
		if err := c.Close(); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("second Close: %v", err)
		}
		if _, err := c.WriteTo([]byte("x"), &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 9}); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("write after Close: %v", err)
		}
		// The port is free again.
		port := c.LocalAddr().(*net.UDPAddr).Port
		again, err := cs.ListenUDP("udp", &net.UDPAddr{Port: port})
		if err != nil {
			t.Fatal(err)
		}
		again.Close()
	})
}

// TestUDPStackClose: closing the stack ends a blocked read.
func TestUDPStackClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := dualStacks(t, synack.Config{})
		c, _ := cs.ListenUDP("udp4", nil)
		done := make(chan error)
		go func() {
			_, err := c.Read(make([]byte, 10))
			done <- err
		}()
		synctest.Wait()
		cs.Close()
		if err := <-done; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("blocked read: %v, want net.ErrClosed", err)
		}
	})
}

func TestUDPErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := dualStacks(t, synack.Config{})
		c, _ := cs.DialUDP("udp", nil, &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 9})
		defer c.Close()
		to := &net.UDPAddr{IP: net.ParseIP("10.0.0.2"), Port: 10}
		if _, err := c.WriteTo([]byte("x"), to); !errors.Is(err, net.ErrWriteToConnected) {
			t.Errorf("WriteTo on a connected socket: %v", err)
		}
		if _, err := c.Write(make([]byte, 1500-28+1)); !errors.Is(err, syscall.EMSGSIZE) {
			t.Errorf("oversized Write: %v, want EMSGSIZE", err)
		}
		l, _ := cs.ListenUDP("udp4", &net.UDPAddr{Port: 53})
		defer l.Close()
		if _, err := l.WriteTo([]byte("x"), &net.TCPAddr{IP: net.ParseIP("10.0.0.2"), Port: 9}); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("WriteTo a *net.TCPAddr: %v, want EINVAL", err)
		}
		if _, err := cs.ListenUDP("udp", &net.UDPAddr{Port: 53}); !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("second bind: %v, want EADDRINUSE", err)
		}
		if _, err := cs.ListenUDP("udp4", &net.UDPAddr{IP: net.ParseIP("10.9.9.9")}); !errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Errorf("bind to a foreign address: %v, want EADDRNOTAVAIL", err)
		}
		var unknown net.UnknownNetworkError
		if _, err := cs.ListenUDP("tcp", nil); !errors.As(err, &unknown) {
			t.Errorf("network tcp: %v", err)
		}
		var ae *net.AddrError
		if _, err := cs.DialUDP("udp6", nil, to); !errors.As(err, &ae) {
			t.Errorf("udp6 to an IPv4 address: %v", err)
		}
		if _, err := cs.DialUDP("udp", nil, nil); !errors.As(err, &ae) {
			t.Errorf("DialUDP without raddr: %v", err)
		}
		if err := c.SetReadBuffer(0); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("SetReadBuffer(0): %v", err)
		}
	})
}
