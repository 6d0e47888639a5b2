package netstack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
	"golang.zx2c4.com/wireguard/tun"
)

// Each exchange across the tunnel is bounded by this; real time, since
// wireguard-go's devices use real UDP sockets.
const tunnelTimeout = 60 * time.Second

// tunnel is synack's netstack and wireguard-go's gVisor netstack joined
// by two wireguard-go devices; the synack side's DNS server is the other
// side's IPv4 address. Under the race detector the other side is synack
// too: wireguard-go's gVisor netstack races its own Close (its
// WriteNotify sends on a channel that Close closes, unsynchronised:
// wireguard-go pull requests 85 and 134), so the detector fails whichever
// test its device is closed in. The gVisor interop runs without -race.
func tunnel(t *testing.T) (s, other *peer, n *Net) {
	devS, s, n := synackPeer(t, addrsA, addrsB[:1])
	var devO tun.Device
	if raceEnabled {
		devO, other, _ = synackPeer(t, addrsB, nil)
		other.name = "synack2"
	} else {
		devO, other, _ = gvisorPeer(t, addrsB, nil)
	}
	connect(t, devS, devO, addrsA, addrsB)
	return s, other, n
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), tunnelTimeout)
	t.Cleanup(cancel)
	return ctx
}

// serve runs handle on each connection ln accepts, until the test ends.
func serve(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				c.SetDeadline(time.Now().Add(tunnelTimeout))
				handle(c)
			}()
		}
	}()
}

func listen(t *testing.T, p *peer, port uint16) net.Listener {
	ln, err := p.listen(netip.AddrPortFrom(netip.Addr{}, port))
	if err != nil {
		t.Fatalf("%s: listen: %v", p.name, err)
	}
	return ln
}

// both runs f for each direction and family: from the client peer to
// the server peer's address.
func both(t *testing.T, s, g *peer, f func(t *testing.T, client, server *peer, dst netip.Addr)) {
	for _, d := range []struct{ client, server *peer }{{s, g}, {g, s}} {
		for _, dst := range d.server.addrs {
			t.Run(d.client.name+"-to-"+d.server.name+"-"+dst.String(), func(t *testing.T) {
				f(t, d.client, d.server, dst)
			})
		}
	}
}

func TestTunnel(t *testing.T) {
	s, g, _ := tunnel(t)
	for _, p := range []*peer{s, g} {
		serveHTTP(t, listen(t, p, 80), p.name)
		serve(t, listen(t, p, 7), func(c net.Conn) { io.Copy(c, c) })
		serve(t, listen(t, p, 9), func(c net.Conn) {
			h := sha256.New()
			io.Copy(h, c)
			c.Write(h.Sum(nil))
		})
		udpEcho(t, p, 7)
	}

	t.Run("HTTP", func(t *testing.T) {
		both(t, s, g, func(t *testing.T, client, server *peer, dst netip.Addr) {
			body := httpGet(t, client, "http://"+net.JoinHostPort(dst.String(), "80")+"/")
			if want := server.name + " says hello to "; !bytes.HasPrefix(body, []byte(want)) {
				t.Fatalf("body %q, want %q…", body, want)
			}
		})
	})
	t.Run("16MiB", func(t *testing.T) {
		both(t, s, g, func(t *testing.T, client, server *peer, dst netip.Addr) {
			transfer(t, client, dst, scale(16<<20))
		})
	})
	t.Run("50Conns", func(t *testing.T) {
		both(t, s, g, func(t *testing.T, client, server *peer, dst netip.Addr) {
			concurrentEcho(t, client, dst, 50, scale(64<<10))
		})
	})
	t.Run("UDP", func(t *testing.T) {
		both(t, s, g, func(t *testing.T, client, server *peer, dst netip.Addr) {
			udpExchange(t, client, dst)
		})
	})
	t.Run("Ping", func(t *testing.T) {
		both(t, s, g, func(t *testing.T, client, server *peer, dst netip.Addr) {
			ping(t, client, dst)
		})
	})
}

// scale is n, or n/16 with -short (which CI uses under the race
// detector, where gVisor and wireguard-go run twenty times slower).
func scale(n int) int {
	if testing.Short() {
		return n / 16
	}
	return n
}

// serveHTTP answers every request on ln with a greeting from name.
func serveHTTP(t *testing.T, ln net.Listener, name string) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s says hello to %s", name, r.RemoteAddr)
	})}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() { srv.Close(); <-done })
}

func httpGet(t *testing.T, client *peer, url string) []byte {
	tr := &http.Transport{DialContext: client.dial, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequestWithContext(timeout(t), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		t.Fatalf("%s: GET %s: %v", client.name, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%s: GET %s: %s, %v", client.name, url, resp.Status, err)
	}
	return body
}

// transfer sends n pseudo-random bytes to dst's port 9, which answers
// their SHA-256.
func transfer(t *testing.T, client *peer, dst netip.Addr, n int) {
	c, err := client.dial(timeout(t), "tcp", net.JoinHostPort(dst.String(), "9"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(tunnelTimeout))
	h := sha256.New()
	src := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{byte(n)}), int64(n)), h)
	if _, err := io.Copy(c, src); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("read digest: %v", err)
	}
	if want := h.Sum(nil); !bytes.Equal(got, want) {
		t.Fatalf("receiver's SHA-256 %x, sent %x", got, want)
	}
}

// concurrentEcho opens conns connections to dst's echo port at once,
// each sending size bytes and reading them back.
func concurrentEcho(t *testing.T, client *peer, dst netip.Addr, conns, size int) {
	errs := make(chan error, conns)
	for i := range conns {
		go func() { errs <- echoOnce(timeout(t), client, dst, i, size) }()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func echoOnce(ctx context.Context, client *peer, dst netip.Addr, i, size int) error {
	c, err := client.dial(ctx, "tcp", net.JoinHostPort(dst.String(), "7"))
	if err != nil {
		return fmt.Errorf("conn %d: %v", i, err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(tunnelTimeout))
	msg := make([]byte, size)
	rand.NewChaCha8([32]byte{byte(i)}).Read(msg)
	werr := make(chan error, 1)
	go func() {
		_, err := c.Write(msg)
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		werr <- err
	}()
	got, err := io.ReadAll(c)
	if err := errors.Join(err, <-werr); err != nil {
		return fmt.Errorf("conn %d: %v", i, err)
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("conn %d: echoed %d bytes, not the %d sent", i, len(got), len(msg))
	}
	return nil
}

// udpEcho answers every datagram to port with its contents.
func udpEcho(t *testing.T, p *peer, port uint16) {
	pc, err := p.listenUDP(netip.AddrPortFrom(netip.Addr{}, port))
	if err != nil {
		t.Fatalf("%s: listen udp: %v", p.name, err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			pc.WriteTo(buf[:n], from)
		}
	}()
}

// udpExchange sends datagrams to dst's UDP echo port and reads each
// back. A datagram may be lost (UDP), so each is tried up to 5 times
// with a 2 s wait.
func udpExchange(t *testing.T, client *peer, dst netip.Addr) {
	c, err := client.dial(timeout(t), "udp", net.JoinHostPort(dst.String(), "7"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for i := range 10 {
		msg := []byte("datagram " + strconv.Itoa(i) + " from " + client.name)
		msg = append(msg, make([]byte, i*100)...)
		var got []byte
		for try := 0; try < 5 && got == nil; try++ {
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			n, err := c.Read(buf)
			if err != nil && !isTimeout(err) {
				t.Fatal(err)
			}
			if err == nil {
				got = buf[:n]
			}
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("datagram %d: echoed %q", i, got)
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// ping sends echo requests to dst over client's ping socket and checks
// each reply's sequence number and data.
func ping(t *testing.T, client *peer, dst netip.Addr) {
	network := "ping4"
	if dst.Is6() {
		network = "ping6"
	}
	pingHost(t, client, network, dst.String())
}

// pingHost is ping to a host name or address, on network "ping", "ping4"
// or "ping6". One goroutine reads replies the whole time, and a request
// with no reply after a second is sent again, up to 10 times: ICMP may be
// lost, and wireguard-go's gVisor PingConn misses a reply that arrives
// while no Read is waiting (its ReadFrom waits for the next arrival
// without looking at what is queued), so a Read must be waiting before
// the reply comes, and a reply missed is found at the next arrival.
func pingHost(t *testing.T, client *peer, network, host string) {
	c, err := client.dial(timeout(t), network, host)
	if err != nil {
		t.Fatal(err)
	}
	typ, proto := icmp.Type(ipv4.ICMPTypeEcho), 1
	if c.RemoteAddr().Network() == "ping6" {
		typ, proto = ipv6.ICMPTypeEchoRequest, 58
	}
	replies := make(chan []byte, 16)
	go func() {
		defer close(replies)
		buf := make([]byte, 1500)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			replies <- bytes.Clone(buf[:n])
		}
	}()
	defer func() {
		c.Close()
		for range replies {
		}
	}()
	for seq := 1; seq <= 3; seq++ {
		data := []byte("synack ping " + strconv.Itoa(seq))
		req, err := (&icmp.Message{Type: typ, Body: &icmp.Echo{ID: 1, Seq: seq, Data: data}}).Marshal(nil)
		if err != nil {
			t.Fatal(err)
		}
		var echo *icmp.Echo
		for try := 0; try < 10 && echo == nil; try++ {
			if _, err := c.Write(req); err != nil {
				t.Fatal(err)
			}
			retry := time.NewTimer(time.Second)
			// Skip the late replies to an earlier request sent again.
			for echo == nil {
				var reply []byte
				select {
				case reply = <-replies:
				case <-retry.C:
				}
				if reply == nil {
					break
				}
				m, err := icmp.ParseMessage(proto, reply)
				if err != nil {
					t.Fatal(err)
				}
				e, ok := m.Body.(*icmp.Echo)
				if !ok || e.Seq > seq {
					t.Fatalf("reply %v %+v to request %d", m.Type, m.Body, seq)
				}
				if e.Seq == seq {
					echo = e
				}
			}
			retry.Stop()
		}
		if echo == nil || !bytes.Equal(echo.Data, data) {
			t.Fatalf("reply %+v, want seq %d data %q", echo, seq, data)
		}
	}
}
