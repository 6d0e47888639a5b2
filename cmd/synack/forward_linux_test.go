//go:build linux

package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/internal/clitest"
	"github.com/synack-net/synack/internal/netns"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// forwardTimeout bounds each step of the forward tests.
const forwardTimeout = 60 * time.Second

// forwardRun is `synack forward` running in a namespace.
type forwardRun struct {
	ns     *netns.NS
	cmd    *exec.Cmd
	stderr *clitest.Output
	exited chan error
}

// startForward runs synack forward with args in ns, waits until it is
// up, then gives the kernel side of its device 10.99.0.1/24 and
// fd99::1/64 and routes every destination of both families into it.
func startForward(t *testing.T, ns *netns.NS, bin string, args ...string) *forwardRun {
	t.Helper()
	args = append([]string{"forward", "--tun", "fwd0", "--addr", "10.99.0.2/24"}, args...)
	r := &forwardRun{ns: ns, cmd: ns.Command(bin, args...), stderr: &clitest.Output{}, exited: make(chan error, 1)}
	r.cmd.Stderr = r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait() }()
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		<-r.exited
	})
	deadline := time.Now().Add(forwardTimeout)
	for !strings.Contains(r.stderr.String(), " up, ") {
		select {
		case err := <-r.exited:
			t.Fatalf("synack forward exited (%v): %s", err, r.stderr.String())
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("synack forward did not come up: %s", r.stderr.String())
		}
	}
	ns.MustIP(t, "addr", "add", "10.99.0.1/24", "dev", "fwd0")
	ns.MustIP(t, "-6", "addr", "add", "fd99::1/64", "dev", "fwd0", "nodad")
	ns.MustIP(t, "route", "add", "default", "dev", "fwd0")
	ns.MustIP(t, "-6", "route", "add", "default", "dev", "fwd0")
	return r
}

// stop sends SIGTERM and checks that the command exits 0 at once.
func (r *forwardRun) stop(t *testing.T) {
	t.Helper()
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exited:
		r.exited <- err // for the cleanup
		if err != nil || !strings.Contains(r.stderr.String(), "synack forward: stopped") {
			t.Fatalf("after SIGTERM: %v: %s", err, r.stderr.String())
		}
	case <-time.After(forwardTimeout):
		t.Fatalf("synack forward did not exit after SIGTERM: %s", r.stderr.String())
	}
}

// inNS runs f in ns, failing t on error: the sockets f makes are ns's.
func inNS(t *testing.T, ns *netns.NS, f func() error) {
	t.Helper()
	if err := ns.Do(f); err != nil {
		t.Fatal(err)
	}
}

// dialIn connects from ns (the kernel as the client) to dst.
func dialIn(ns *netns.NS, dst string, timeout time.Duration) (*net.TCPConn, error) {
	var c net.Conn
	err := ns.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", dst, timeout)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(forwardTimeout))
	return c.(*net.TCPConn), nil
}

// relayedEcho connects from ns to the echo service at dst through the
// forwarder and sends a byte there and back, so that the connection is
// established end to end.
func relayedEcho(t *testing.T, ns *netns.NS, dst string) *net.TCPConn {
	t.Helper()
	c, err := dialIn(ns, dst, forwardTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("x")); err != nil {
		c.Close()
		t.Fatal(err)
	}
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		c.Close()
		t.Fatal(err)
	}
	return c
}

// halfCloseEcho serves TCP echo on l: everything read is written back, and
// the client's FIN answered with ours once all is written.
func halfCloseEcho(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			io.Copy(c, c)
			c.(*net.TCPConn).CloseWrite()
			io.Copy(io.Discard, c)
		}()
	}
}

// testSocks is a SOCKS5 server (RFC 1928, no authentication) written
// for these tests, on the loopback of the namespace where synack forward
// runs. It relays CONNECT to the test's servers by destination port:
// 7 to echo, 80 to HTTP; port 81 is refused (reply 5) and port 82
// unreachable (reply 4). UDP ASSOCIATE relays to a UDP echo server.
type testSocks struct {
	ns                  *netns.NS
	echo, http, udpEcho netip.AddrPort
	connects            sync.Map // destination → true, for the test to check
}

func (s *testSocks) serve(l net.Listener) {
	for {
		c, err := l.Accept()
		if err != nil {
			return
		}
		go s.handle(c.(*net.TCPConn))
	}
}

func (s *testSocks) handle(c *net.TCPConn) {
	defer c.Close()
	var hello [2]byte
	if _, err := io.ReadFull(c, hello[:]); err != nil || hello[0] != socksVersion {
		return
	}
	methods := make([]byte, hello[1])
	if _, err := io.ReadFull(c, methods); err != nil || bytes.IndexByte(methods, socksNoAuth) < 0 {
		return
	}
	c.Write([]byte{socksVersion, socksNoAuth})
	var req [3]byte
	if _, err := io.ReadFull(c, req[:]); err != nil {
		return
	}
	dst, err := readSocksAddr(c)
	if err != nil {
		return
	}
	reply := func(rep byte, bound netip.AddrPort) {
		c.Write(appendSocksAddr([]byte{socksVersion, rep, 0}, bound))
	}
	zero := netip.AddrPortFrom(netip.IPv4Unspecified(), 0)
	switch req[1] {
	case socksCmdConnect:
		s.connects.Store(dst, true)
		var target netip.AddrPort
		switch dst.Port() {
		case 7:
			target = s.echo
		case 80:
			target = s.http
		case 81:
			reply(5, zero)
			return
		default:
			reply(4, zero)
			return
		}
		var up net.Conn
		if err := s.ns.Do(func() (err error) { up, err = net.Dial("tcp", target.String()); return err }); err != nil {
			reply(1, zero)
			return
		}
		defer up.Close()
		reply(0, netip.MustParseAddrPort(up.LocalAddr().String()))
		done := make(chan struct{})
		go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); close(done) }()
		io.Copy(c, up)
		c.CloseWrite()
		<-done
	case socksCmdAssociate:
		var relay *net.UDPConn
		if err := s.ns.Do(func() (err error) {
			relay, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
			return err
		}); err != nil {
			reply(1, zero)
			return
		}
		reply(0, netip.MustParseAddrPort(relay.LocalAddr().String()))
		go s.relayUDP(relay)
		io.Copy(io.Discard, c) // the association lasts as long as c
		relay.Close()
	default:
		reply(7, zero)
	}
}

// relayUDP relays the client's datagrams to the UDP echo server and its
// answers back, with the client's destination as their source.
func (s *testSocks) relayUDP(relay *net.UDPConn) {
	var client netip.AddrPort
	var dst netip.AddrPort
	buf := make([]byte, 65535)
	for {
		n, from, err := relay.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if from == s.udpEcho {
			if client.IsValid() {
				relay.WriteToUDPAddrPort(appendSocksUDP(nil, dst, buf[:n]), client)
			}
			continue
		}
		d, data, err := parseSocksUDP(buf[:n])
		if err != nil {
			continue
		}
		client, dst = from, d
		relay.WriteToUDPAddrPort(data, s.udpEcho)
	}
}

// TestForwardSOCKS5 runs synack forward in a namespace whose default
// routes (IPv4 and IPv6) go into its TUN device, relaying through a
// SOCKS5 server on the namespace's loopback; the kernel is the client:
// curl over HTTP, a 64 MiB echo compared by SHA-256 (a half-close each
// way: the client's FIN, then the server's after all the data), 100
// concurrent connections, UDP request and response, a refused upstream
// (ECONNREFUSED at the client), an unreachable one (the client times
// out), IPv6, and SIGTERM.
func TestForwardSOCKS5(t *testing.T) {
	netns.Require(t)
	bin := clitest.Build(t)
	ns := netns.New(t)
	s := &testSocks{ns: ns}
	var socksLn, echoLn, httpLn net.Listener
	var udpEcho *net.UDPConn
	inNS(t, ns, func() (err error) {
		if socksLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		if echoLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		if httpLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
		udpEcho, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		return err
	})
	for _, c := range []io.Closer{socksLn, echoLn, httpLn, udpEcho} {
		t.Cleanup(func() { c.Close() })
	}
	s.echo = netip.MustParseAddrPort(echoLn.Addr().String())
	s.http = netip.MustParseAddrPort(httpLn.Addr().String())
	s.udpEcho = netip.MustParseAddrPort(udpEcho.LocalAddr().String())
	go s.serve(socksLn)
	go halfCloseEcho(echoLn)
	go http.Serve(httpLn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello %s from %s\n", r.Host, r.RemoteAddr)
	}))
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := udpEcho.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			udpEcho.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	tracePath := filepath.Join(t.TempDir(), "forward.jsonl")
	run := startForward(t, ns, bin, "--socks5", socksLn.Addr().String(), "--debug-addr", "127.0.0.1:0", "--trace", tracePath)

	t.Run("curl", func(t *testing.T) {
		if _, err := exec.LookPath("curl"); err != nil {
			t.Skip("curl not installed")
		}
		out := ns.MustRun(t, "curl", "-sS", "--max-time", "20", "http://198.18.0.80/")
		if !strings.HasPrefix(out, "hello 198.18.0.80 from 127.0.0.1:") {
			t.Fatalf("curl: %q", out)
		}
		if _, ok := s.connects.Load(netip.MustParseAddrPort("198.18.0.80:80")); !ok {
			t.Fatal("the proxy saw no CONNECT to 198.18.0.80:80")
		}
	})

	t.Run("64MiB", func(t *testing.T) {
		const size = 64 << 20
		c, err := dialIn(ns, "198.18.0.7:7", forwardTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		sent := sha256.New()
		go func() {
			src := io.TeeReader(io.LimitReader(rand.NewChaCha8([32]byte{7}), size), sent)
			io.Copy(c, src)
			c.CloseWrite()
		}()
		got := sha256.New()
		n, err := io.Copy(got, c)
		if err != nil || n != size {
			t.Fatalf("read back %d of %d bytes: %v", n, size, err)
		}
		if !bytes.Equal(got.Sum(nil), sent.Sum(nil)) {
			t.Fatal("SHA-256 of the echo differs from what was sent")
		}
	})

	t.Run("100conns", func(t *testing.T) {
		const n = 100
		errs := make(chan error, n)
		for i := range n {
			go func() {
				c, err := dialIn(ns, fmt.Sprintf("198.18.%d.%d:7", i/250, 1+i%250), forwardTimeout)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				msg := bytes.Repeat([]byte{byte(i)}, 10000+i)
				go func() { c.Write(msg); c.CloseWrite() }()
				back, err := io.ReadAll(c)
				if err == nil && !bytes.Equal(back, msg) {
					err = fmt.Errorf("connection %d: %d bytes back of %d", i, len(back), len(msg))
				}
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})

	t.Run("udp", func(t *testing.T) {
		for _, dst := range []string{"198.18.0.53:53", "[2001:db8::53]:53"} {
			var c *net.UDPConn
			inNS(t, ns, func() (err error) {
				c, err = net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(dst)))
				return err
			})
			c.SetDeadline(time.Now().Add(forwardTimeout))
			for i := range 3 {
				q := fmt.Sprintf("query %d to %s", i, dst)
				if _, err := c.Write([]byte(q)); err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, 128)
				n, from, err := c.ReadFromUDPAddrPort(buf)
				if err != nil || string(buf[:n]) != q || from.String() != dst {
					t.Fatalf("%s: %q from %v, %v", dst, buf[:n], from, err)
				}
			}
			c.Close()
		}
	})

	t.Run("refused", func(t *testing.T) {
		_, err := dialIn(ns, "198.18.0.7:81", forwardTimeout)
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial a refused upstream: %v", err)
		}
	})

	t.Run("unreachable", func(t *testing.T) {
		start := time.Now()
		_, err := dialIn(ns, "198.18.0.7:82", 2*time.Second)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("dial an unreachable upstream: %v after %v", err, time.Since(start))
		}
	})

	t.Run("ipv6", func(t *testing.T) {
		c, err := dialIn(ns, "[2001:db8::7]:7", forwardTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if c.LocalAddr().(*net.TCPAddr).IP.To4() != nil {
			t.Fatalf("not IPv6: %v", c.LocalAddr())
		}
		c.Write([]byte("over IPv6"))
		c.CloseWrite()
		back, err := io.ReadAll(c)
		if err != nil || string(back) != "over IPv6" {
			t.Fatalf("read %q, %v", back, err)
		}
		if _, ok := s.connects.Load(netip.MustParseAddrPort("[2001:db8::7]:7")); !ok {
			t.Fatal("the proxy saw no CONNECT to [2001:db8::7]:7")
		}
	})

	// The live view, on the namespace's loopback, counts the forwarded
	// connections and lists the sockets.
	t.Run("debug-addr", func(t *testing.T) {
		_, url, ok := strings.Cut(run.stderr.String(), "synack forward: live view on ")
		if !ok {
			t.Fatalf("no live view announced: %s", run.stderr.String())
		}
		url, _, _ = strings.Cut(url, "\n")
		host := strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/")
		// net/http dials from goroutines of its own, outside the
		// namespace: dial here and speak HTTP/1.0 on the connection.
		get := func(path string) string {
			c, err := dialIn(ns, host, forwardTimeout)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "GET /%s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host)
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /%s: %v, %v", path, resp.Status, err)
			}
			return string(body)
		}
		metrics := get("metrics")
		if !strings.Contains(metrics, "synack_tcp_forward_requests_total ") || strings.Contains(metrics, "synack_tcp_forward_requests_total 0\n") {
			t.Errorf("/metrics counts no forwarded connection:\n%s", metrics)
		}
		// A relayed connection held open is in the socket table, by the
		// destination it asked for.
		c := relayedEcho(t, ns, "198.18.0.9:7")
		defer c.Close()
		if conns := get("api/connections"); !strings.Contains(conns, `"198.18.0.9:7"`) || !strings.Contains(conns, `"ESTABLISHED"`) {
			t.Errorf("/api/connections lacks the open connection to 198.18.0.9:7:\n%s", conns)
		}
	})

	// An idle connection open at SIGTERM (relayed end to end: a byte
	// has gone there and back) is closed with a FIN, and the command
	// exits 0.
	c := relayedEcho(t, ns, "198.18.0.7:7")
	defer c.Close()
	run.stop(t)
	if rest, err := io.ReadAll(c); err != nil || len(rest) != 0 {
		t.Fatalf("the idle connection after SIGTERM: %q, %v", rest, err)
	}
	// --trace wrote the relayed connections' events, complete at exit.
	f, err := os.Open(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := trace.ReadJSONLines(f)
	established := 0
	for _, e := range evs {
		if e.Kind == trace.KindState && e.To == tcp.Established {
			established++
		}
	}
	if err != nil || established < 100 {
		t.Errorf("--trace: %d events, %d connections established (%v); want the test's 100 and more", len(evs), established, err)
	}
}

// TestForwardDirect runs synack forward without --socks5: it connects
// with its own sockets, which leave its namespace by a veth pair to a
// server namespace, while the client's traffic, from 10.99.0.1, is
// routed into the TUN device by a policy rule. A closed port there
// refuses the client; echo (both half-closes) and UDP go through.
func TestForwardDirect(t *testing.T) {
	netns.Require(t)
	bin := clitest.Build(t)
	ns, srv := netns.New(t), netns.New(t)
	ns.MustIP(t, "link", "add", "fwdveth0", "type", "veth", "peer", "name", "fwdveth1", "netns", srv.Name())
	ns.MustIP(t, "addr", "add", "10.98.0.1/24", "dev", "fwdveth0")
	ns.MustIP(t, "link", "set", "fwdveth0", "up")
	srv.MustIP(t, "addr", "add", "10.98.0.2/24", "dev", "fwdveth1")
	srv.MustIP(t, "link", "set", "fwdveth1", "up")
	var echoLn net.Listener
	var udpEcho *net.UDPConn
	inNS(t, srv, func() (err error) {
		if echoLn, err = net.Listen("tcp", "10.98.0.2:7"); err != nil {
			return err
		}
		udpEcho, err = net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(10, 98, 0, 2), Port: 7})
		return err
	})
	t.Cleanup(func() { echoLn.Close(); udpEcho.Close() })
	go halfCloseEcho(echoLn)
	go func() {
		buf := make([]byte, 65535)
		for {
			n, from, err := udpEcho.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			udpEcho.WriteToUDPAddrPort(buf[:n], from)
		}
	}()
	run := startForward(t, ns, bin)
	// The client's packets (from 10.99.0.1) go into the device whatever
	// their destination; forward's own take the main table, to the veth.
	ns.MustIP(t, "route", "del", "default", "dev", "fwd0")
	ns.MustIP(t, "route", "add", "default", "dev", "fwd0", "table", "100")
	ns.MustIP(t, "rule", "add", "from", "10.99.0.1", "lookup", "100")
	client := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(10, 99, 0, 1)}, Timeout: forwardTimeout}
	dial := func(dst string) (*net.TCPConn, error) {
		var c net.Conn
		err := ns.Do(func() (err error) { c, err = client.Dial("tcp", dst); return err })
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(forwardTimeout))
		return c.(*net.TCPConn), nil
	}

	c, err := dial("10.98.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	msg := bytes.Repeat([]byte("direct "), 100000)
	go func() { c.Write(msg); c.CloseWrite() }()
	back, err := io.ReadAll(c)
	c.Close()
	if err != nil || !bytes.Equal(back, msg) {
		t.Fatalf("echo: %d bytes of %d, %v", len(back), len(msg), err)
	}
	if _, err := dial("10.98.0.2:8"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial a closed port: %v", err)
	}
	var u *net.UDPConn
	inNS(t, ns, func() (err error) {
		u, err = net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(10, 99, 0, 1)}, &net.UDPAddr{IP: net.IPv4(10, 98, 0, 2), Port: 7})
		return err
	})
	defer u.Close()
	u.SetDeadline(time.Now().Add(forwardTimeout))
	u.Write([]byte("datagram"))
	buf := make([]byte, 64)
	if n, err := u.Read(buf); err != nil || string(buf[:n]) != "datagram" {
		t.Fatalf("UDP: %q, %v", buf[:n], err)
	}
	run.stop(t)
}
