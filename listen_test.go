package synack_test

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/wire"
)

// dualStacks joins a client (10.0.0.1, fd00::1) configured by cfg and a
// server (10.0.0.2, fd00::2), and stops both when the test ends.
func dualStacks(t *testing.T, cfg synack.Config) (client, server *synack.Stack) {
	client, server, stop := dualPair(cfg)
	t.Cleanup(stop)
	return client, server
}

// acceptAddrs accepts connections on ln and sends each one's local
// address, closing it.
func acceptAddrs(ln *synack.Listener) <-chan string {
	got := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(got)
				return
			}
			got <- c.LocalAddr().String()
			c.Close()
		}
	}()
	return got
}

// TestListenBothFamilies: "tcp" on a wildcard listens on IPv4 and IPv6,
// as Go's net.Listen does, and "tcp4"/"tcp6" on one family.
func TestListenBothFamilies(t *testing.T) {
	tests := []struct {
		network, address string
		addr             string // what Addr reports
		v4, v6           bool   // whether a connection of each family is accepted
	}{
		{"tcp", ":80", "[::]:80", true, true},
		{"tcp", "[::]:80", "[::]:80", true, true},
		{"tcp", "0.0.0.0:80", "[::]:80", true, true},
		{"tcp4", ":80", "0.0.0.0:80", true, false},
		{"tcp6", "[::]:80", "[::]:80", false, true},
		{"tcp6", ":80", "[::]:80", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.address, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cs, ss := dualStacks(t, synack.Config{})
				ln, err := ss.Listen(tt.network, tt.address)
				if err != nil {
					t.Fatal(err)
				}
				if got := ln.Addr().String(); got != tt.addr {
					t.Errorf("Addr %s, want %s", got, tt.addr)
				}
				accepted := acceptAddrs(ln)
				for _, d := range []struct {
					to   string
					want bool
				}{{"10.0.0.2:80", tt.v4}, {"[fd00::2]:80", tt.v6}} {
					c, err := cs.Dial("tcp", d.to)
					switch {
					case d.want && err != nil:
						t.Errorf("dial %s: %v", d.to, err)
					case d.want:
						if got := <-accepted; got != d.to {
							t.Errorf("accepted on %s, want %s", got, d.to)
						}
						c.Close()
					case !errors.Is(err, syscall.ECONNREFUSED):
						t.Errorf("dial %s: %v, want ECONNREFUSED", d.to, err)
					}
				}
				ln.Close()
			})
		})
	}
}

// TestListenBothFamiliesConflicts: a dual-family wildcard and a wildcard
// of either family exclude each other on one port, as on Linux; a
// specific address may share the port and takes its connections.
func TestListenBothFamiliesConflicts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := dualStacks(t, synack.Config{})
		dual, err := ss.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ network, address string }{{"tcp4", ":80"}, {"tcp6", "[::]:80"}, {"tcp", "[::]:80"}} {
			if _, err := ss.Listen(c.network, c.address); !errors.Is(err, syscall.EADDRINUSE) {
				t.Errorf("Listen(%s, %s) beside a dual listener: %v, want EADDRINUSE", c.network, c.address, err)
			}
		}
		v4, err := ss.Listen("tcp4", ":81")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ss.Listen("tcp", ":81"); !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("dual Listen beside tcp4 :81: %v, want EADDRINUSE", err)
		}
		v4.Close()
		specific, err := ss.Listen("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatalf("specific address beside the wildcard: %v", err)
		}
		fromSpecific, fromDual := acceptAddrs(specific), acceptAddrs(dual)
		for _, to := range []string{"10.0.0.2:80", "[fd00::2]:80"} {
			c, err := cs.Dial("tcp", to)
			if err != nil {
				t.Fatalf("dial %s: %v", to, err)
			}
			c.Close()
		}
		if got := <-fromSpecific; got != "10.0.0.2:80" {
			t.Errorf("specific listener accepted on %s", got)
		}
		if got := <-fromDual; got != "[fd00::2]:80" {
			t.Errorf("dual listener accepted on %s", got)
		}
		specific.Close()
		dual.Close()
	})
}

// TestListenBothFamiliesPortZero: ":0" picks one port free in both
// families and takes connections of both on it.
func TestListenBothFamiliesPortZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := dualStacks(t, synack.Config{})
		ln, err := ss.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		if port == 0 || !ln.Addr().(*net.TCPAddr).IP.Equal(net.IPv6unspecified) {
			t.Fatalf("Addr %v", ln.Addr())
		}
		accepted := acceptAddrs(ln)
		for _, ip := range []string{"10.0.0.2", "fd00::2"} {
			to := netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port)).String()
			c, err := cs.Dial("tcp", to)
			if err != nil {
				t.Fatalf("dial %s: %v", to, err)
			}
			<-accepted
			c.Close()
		}
		ln.Close()
	})
}

// TestListenerDeadline: Accept fails with os.ErrDeadlineExceeded in a
// *net.OpError exactly at the deadline, and works again once it is
// cleared.
func TestListenerDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := twoStacks(t)
		ln, err := ss.Listen("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		ln.SetDeadline(start.Add(3 * time.Second))
		_, err = ln.Accept()
		var oe *net.OpError
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &oe) || oe.Op != "accept" || !oe.Timeout() {
			t.Fatalf("Accept: %v, want an accept *net.OpError wrapping os.ErrDeadlineExceeded", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("Accept returned after %v, want 3s", d)
		}
		ln.SetDeadline(time.Time{})
		accepted := acceptAddrs(ln)
		c, err := cs.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		if got := <-accepted; got != "10.0.0.2:80" {
			t.Errorf("accepted on %s", got)
		}
		c.Close()
		ln.Close()
		if err := ln.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
			t.Errorf("SetDeadline after Close: %v, want net.ErrClosed", err)
		}
	})
}

// TestListenerQueues: Backlog, Pending and HalfOpen show a listener's
// queues as `ss -lnt` and Linux's SYN queue do; a backlog above the
// default (somaxconn) is capped at it. One shard: a backlog of 4 split
// over shards would overflow wherever three of the four tuples hash to
// one (TestShardsListen covers the shards' queues).
func TestListenerQueues(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.NewWithFaults(1500, 1024, clock.NewReal(), netem.Impairment{Delay: 10 * time.Millisecond})
		ga := newGate(a)
		mk := func(name string, l link.Link, addr string, host stack.Config) *synack.Stack {
			s, err := synack.New(synack.Config{Name: name, Shards: 1, Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}, Host: host})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}
		cs := mk("client", ga, "10.0.0.1/24", stack.Config{})
		ss := mk("server", b, "10.0.0.2/24", stack.Config{DefaultBacklog: 8})
		big, err := ss.ListenBacklog("tcp", ":81", 100)
		if err != nil {
			t.Fatal(err)
		}
		if n := big.Backlog(); n != 8 {
			t.Errorf("backlog 100 with DefaultBacklog 8: Backlog() = %d, want 8", n)
		}
		ln, err := ss.ListenBacklog("tcp", ":80", 4)
		if err != nil {
			t.Fatal(err)
		}
		dial := func(port uint16) {
			go cs.DialTCP(t.Context(), "tcp", netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), port), netip.MustParseAddrPort("10.0.0.2:80"))
		}
		dial(40001)
		dial(40002)
		// The handshake ACKs of these two are lost: they stay half-open.
		ga.block(40003, wire.FlagSYN|wire.FlagFIN|wire.FlagRST)
		ga.block(40004, wire.FlagSYN|wire.FlagFIN|wire.FlagRST)
		dial(40003)
		dial(40004)
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		if got := [3]int{ln.Backlog(), ln.Pending(), ln.HalfOpen()}; got != [3]int{4, 2, 2} {
			t.Errorf("backlog, pending, half-open = %v, want [4 2 2]", got)
		}
		for range 2 {
			c, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
		if n := ln.Pending(); n != 0 {
			t.Errorf("after two accepts, Pending() = %d", n)
		}
	})
}
