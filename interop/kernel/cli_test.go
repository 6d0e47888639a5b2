//go:build linux

package kernel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/internal/clitest"
	"github.com/synack-net/synack/internal/netns"
)

// cliTimeout bounds each run of the synack command.
const cliTimeout = 20 * time.Second

// TestCLIServe runs `synack serve` in a namespace, letting it create its
// TUN device, and talks to it from the kernel: HTTP (the page shows the
// client's own 4-tuple; /bytes streams exactly N bytes), echo (1 MiB comes
// back, then EOF), discard (EOF and nothing back). On SIGTERM it closes an
// idle connection with a FIN (the kernel reads EOF, not a reset) and
// exits 0, leaving a pcap file.
func TestCLIServe(t *testing.T) {
	netns.Require(t)
	bin := clitest.Build(t)
	ns := netns.New(t)
	capture := filepath.Join(t.TempDir(), "serve.pcap")
	cmd := ns.Command(bin, "serve", "--tun", tunName, "--addr", synackPrefix.String(),
		"--echo", "7", "--discard", "9", "--http", "80", "--pcap", capture)
	var stderr clitest.Output
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
	})
	waitFor(t, cliTimeout, "synack serve did not come up", func() bool {
		return strings.Contains(stderr.String(), " up, ")
	})
	ns.MustIP(t, "addr", "add", kernelPrefix.String(), "dev", tunName)

	kernelDial := func(port uint16) *net.TCPConn {
		t.Helper()
		var c *net.TCPConn
		err := ns.Do(func() (err error) {
			c, err = net.DialTCP("tcp4", nil, &net.TCPAddr{IP: synackIP.AsSlice(), Port: int(port)})
			return err
		})
		if err != nil {
			t.Fatalf("kernel dial port %d: %v", port, err)
		}
		c.SetDeadline(time.Now().Add(cliTimeout))
		t.Cleanup(func() { c.Close() })
		return c
	}

	t.Run("http", func(t *testing.T) {
		var mu sync.Mutex
		var clientEnd string
		client := &http.Client{Timeout: cliTimeout, Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
				var c net.Conn
				err := ns.Do(func() (err error) {
					var d net.Dialer
					c, err = d.DialContext(ctx, "tcp4", addr)
					return err
				})
				if err == nil {
					mu.Lock()
					clientEnd = c.LocalAddr().String()
					mu.Unlock()
				}
				return c, err
			},
		}}
		body := get(t, client, "http://10.99.0.2/", http.StatusOK)
		mu.Lock()
		want := fmt.Sprintf("connection %s -> 10.99.0.2:80", clientEnd)
		mu.Unlock()
		if !strings.Contains(string(body), want) {
			t.Errorf("GET / does not show %q:\n%s", want, body)
		}
		const n = 3_000_001
		body = get(t, client, fmt.Sprintf("http://10.99.0.2/bytes?n=%d", n), http.StatusOK)
		if len(body) != n {
			t.Fatalf("GET /bytes?n=%d: %d bytes", n, len(body))
		}
		for k, b := range body {
			if b != byte(k) {
				t.Fatalf("GET /bytes: byte %d is %d, want %d", k, b, byte(k))
			}
		}
		get(t, client, "http://10.99.0.2/bytes?n=many", http.StatusBadRequest)
	})

	t.Run("echo", func(t *testing.T) {
		x := exchange(kernelDial(7), 1<<20, 9)
		if x.err != nil {
			t.Fatal(x.err)
		}
		if x.n != 1<<20 || x.received != x.sent {
			t.Errorf("echo returned %d bytes with SHA-256 %x; sent %d, %x", x.n, x.received, 1<<20, x.sent)
		}
	})

	t.Run("discard", func(t *testing.T) {
		c := kernelDial(9)
		if _, err := sendStream(c, 1<<20, 10, true); err != nil {
			t.Fatal(err)
		}
		if b, err := io.ReadAll(c); err != nil || len(b) != 0 {
			t.Errorf("discard answered %d bytes, %v; want EOF", len(b), err)
		}
	})

	t.Run("sigterm", func(t *testing.T) {
		idle := kernelDial(7)
		if _, err := idle.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(idle, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			if err != nil {
				t.Fatalf("synack serve after SIGTERM: %v\n%s", err, stderr.String())
			}
		case <-time.After(cliTimeout):
			t.Fatalf("synack serve still running %v after SIGTERM", cliTimeout)
		}
		if b, err := io.ReadAll(idle); err != nil || len(b) != 0 {
			t.Errorf("the idle connection read %d bytes, %v; want EOF (a FIN, not a reset)", len(b), err)
		}
		if !strings.Contains(stderr.String(), "synack serve: stopped") {
			t.Errorf("stderr:\n%s", stderr.String())
		}
		// The nanosecond pcap magic, little-endian, then more than the header.
		if b, err := os.ReadFile(capture); err != nil || len(b) <= 24 || !bytes.HasPrefix(b, []byte{0x4d, 0x3c, 0xb2, 0xa1}) {
			t.Errorf("%s: %d bytes, %v; want a pcap file with packets", capture, len(b), err)
		}
	})
}

// get fetches url and checks the status.
func get(t *testing.T, c *http.Client, url string, status int) []byte {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	if resp.StatusCode != status {
		t.Fatalf("GET %s: %s, want %d", url, resp.Status, status)
	}
	return body
}

// dialRun is one run of `synack dial`.
type dialRun struct {
	stdout, stderr string
	code           int
}

// runDial runs `synack dial` with args in ns, stdin from stdin.
func runDial(t *testing.T, ns *netns.NS, bin string, stdin io.Reader, args ...string) dialRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	all := append([]string{"netns", "exec", ns.Name(), bin, "dial", "--tun", tunName, "--addr", synackPrefix.String()}, args...)
	cmd := exec.CommandContext(ctx, "ip", all...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) || ctx.Err() != nil {
		t.Fatalf("synack dial %v: %v (%v)\n%s", args, err, ctx.Err(), stderr.String())
	}
	return dialRun{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// TestCLIDial runs `synack dial` in a namespace on a TUN device made
// beforehand with `ip tuntap add` (as a user would), against kernel
// listeners: the nc-like exchange, the reset of --linger0, and the error
// messages and exit status of a refused connection, a timeout and a reset
// from the peer.
func TestCLIDial(t *testing.T) {
	netns.Require(t)
	bin := clitest.Build(t)
	ns := netns.New(t)
	ns.MustIP(t, "tuntap", "add", "dev", tunName, "mode", "tun")
	ns.MustIP(t, "addr", "add", kernelPrefix.String(), "dev", tunName)
	ns.MustIP(t, "link", "set", tunName, "up")
	listen := func() *net.TCPListener {
		t.Helper()
		var ln *net.TCPListener
		err := ns.Do(func() (err error) {
			ln, err = net.ListenTCP("tcp4", &net.TCPAddr{IP: kernelIP.AsSlice()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		ln.SetDeadline(time.Now().Add(cliTimeout))
		return ln
	}
	// serve accepts one connection on ln and runs f on it in a goroutine;
	// the returned channel gives f's result.
	serve := func(ln *net.TCPListener, f func(c *net.TCPConn) error) <-chan error {
		done := make(chan error, 1)
		go func() {
			c, err := ln.AcceptTCP()
			if err != nil {
				done <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(cliTimeout))
			done <- f(c)
		}()
		return done
	}

	t.Run("exchange", func(t *testing.T) {
		ln := listen()
		input := bytes.Repeat([]byte("synack dial\n"), 30000)
		done := serve(ln, func(c *net.TCPConn) error {
			b, err := io.ReadAll(c) // to the FIN of dial's CloseWrite
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c, "got %d bytes from %v\n", len(b), c.RemoteAddr().(*net.TCPAddr).IP)
			return err
		})
		r := runDial(t, ns, bin, bytes.NewReader(input), ln.Addr().String())
		if err := <-done; err != nil {
			t.Fatalf("kernel: %v", err)
		}
		if want := fmt.Sprintf("got %d bytes from %v\n", len(input), synackIP); r.code != 0 || r.stdout != want {
			t.Errorf("exit %d, stdout %q; want 0, %q\nstderr: %s", r.code, r.stdout, want, r.stderr)
		}
	})

	t.Run("linger0", func(t *testing.T) {
		ln := listen()
		done := serve(ln, func(c *net.TCPConn) error {
			_, err := io.ReadAll(c)
			return err
		})
		r := runDial(t, ns, bin, strings.NewReader("abc"), "--linger0", ln.Addr().String())
		if r.code != 0 {
			t.Errorf("exit %d, want 0; stderr: %s", r.code, r.stderr)
		}
		if err := <-done; !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("the kernel read %v, want ECONNRESET", err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		r := runDial(t, ns, bin, nil, fmt.Sprintf("%v:%d", kernelIP, closedPort))
		re := regexp.MustCompile(`^synack dial: dial tcp 10\.99\.0\.2:\d+->10\.99\.0\.1:9: connect: connection refused\n$`)
		if r.code == 0 || !re.MatchString(r.stderr) {
			t.Errorf("exit %d, stderr %q; want non-zero and %v", r.code, r.stderr, re)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		// Nobody has 10.99.0.77: the kernel drops the SYNs.
		r := runDial(t, ns, bin, nil, "--timeout", "300ms", "10.99.0.77:80")
		if r.code == 0 || !strings.HasSuffix(r.stderr, ": i/o timeout\n") {
			t.Errorf("exit %d, stderr %q; want non-zero and an i/o timeout", r.code, r.stderr)
		}
	})

	t.Run("reset-by-peer", func(t *testing.T) {
		ln := listen()
		done := serve(ln, func(c *net.TCPConn) error {
			if _, err := c.Write([]byte("bye\n")); err != nil {
				return err
			}
			if _, err := io.ReadAll(c); err != nil {
				return err
			}
			return c.SetLinger(0) // the deferred Close resets
		})
		r := runDial(t, ns, bin, nil, ln.Addr().String())
		if err := <-done; err != nil {
			t.Fatalf("kernel: %v", err)
		}
		if r.code == 0 || r.stdout != "bye\n" || !strings.HasSuffix(r.stderr, ": read: connection reset by peer\n") {
			t.Errorf("exit %d, stdout %q, stderr %q; want non-zero, \"bye\\n\", a reset", r.code, r.stdout, r.stderr)
		}
	})
}
