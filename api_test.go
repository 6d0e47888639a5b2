package synack_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
)

// twoStacks joins a client stack (10.0.0.1) and a server stack
// (10.0.0.2) by an in-memory pipe and closes both when the test ends.
func twoStacks(t testing.TB) (client, server *synack.Stack) {
	t.Helper()
	a, b := pipe.New(1500, 1024)
	return newStack(t, "client", a, "10.0.0.1/24"), newStack(t, "server", b, "10.0.0.2/24")
}

// newStack attaches a stack with one address to l and closes it when
// the test ends.
func newStack(t testing.TB, name string, l link.Link, addr string) *synack.Stack {
	t.Helper()
	s, err := synack.New(synack.Config{Name: name, Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dialDiscard connects to a server that reads everything and closes at EOF.
func dialDiscard(t testing.TB) *synack.Conn {
	t.Helper()
	cs, ss := twoStacks(t)
	return dialDiscardOn(t, cs, ss)
}

// dialDiscardOn connects from cs to a discard server on port 80 of ss
// (10.0.0.2).
func dialDiscardOn(t testing.TB, cs, ss *synack.Stack) *synack.Conn {
	t.Helper()
	ln, err := ss.Listen("tcp", ":80")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(io.Discard, c)
		c.Close()
	}()
	c, err := cs.Dial("tcp", "10.0.0.2:80")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// serveEcho listens on 10.0.0.2:7 of s and echoes one connection.
func serveEcho(t *testing.T, s *synack.Stack) *synack.Listener {
	t.Helper()
	ln, err := s.Listen("tcp", "10.0.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		io.Copy(c, c)
		c.Close()
	}()
	return ln
}

// dialEcho connects a new client stack to an echo server on 10.0.0.2:7.
func dialEcho(t *testing.T) (*synack.Conn, *synack.Listener) {
	t.Helper()
	cs, ss := twoStacks(t)
	ln := serveEcho(t, ss)
	c, err := cs.Dial("tcp", "10.0.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	return c, ln
}

// echoRoundTrip sends msg on c, half-closes, and checks that the echo
// brings msg back.
func echoRoundTrip(t *testing.T, c *synack.Conn, msg []byte) {
	t.Helper()
	go func() { c.Write(msg); c.CloseWrite() }()
	got, err := io.ReadAll(c)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("echo: %d bytes, %v", len(got), err)
	}
}

func TestDialAcceptEcho(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, ln := dialEcho(t)
		if got := c.RemoteAddr().String(); got != "10.0.0.2:7" {
			t.Errorf("RemoteAddr %s", got)
		}
		echoRoundTrip(t, c, bytes.Repeat([]byte("synack "), 50000))
		c.Close()
		ln.Close()
	})
}

func TestDialRefused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := twoStacks(t)
		_, err := cs.Dial("tcp", "10.0.0.2:9")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("err = %v, want ECONNREFUSED", err)
		}
		var oe *net.OpError
		if !errors.As(err, &oe) || oe.Op != "dial" {
			t.Fatalf("err %T %v is not a dial *net.OpError", err, err)
		}
		if !strings.HasSuffix(err.Error(), "10.0.0.2:9: connect: connection refused") {
			t.Errorf("message %q", err.Error())
		}
	})
}

func TestDialTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.New(1500, 1024)
		defer b.Close() // nobody reads b: every SYN is lost
		cs := newStack(t, "client", a, "10.0.0.1/24")
		start := time.Now()
		_, err := cs.Dial("tcp", "10.0.0.2:80")
		if !errors.Is(err, syscall.ETIMEDOUT) {
			t.Fatalf("err = %v, want ETIMEDOUT", err)
		}
		if d := time.Since(start); d != 127*time.Second {
			t.Errorf("gave up after %v, want 127s (6 SYN retries)", d)
		}
	})
}

func TestDialContextCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.New(1500, 1024)
		defer b.Close()
		cs := newStack(t, "client", a, "10.0.0.1/24")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err := cs.DialContext(ctx, "tcp", "10.0.0.2:80")
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("err = %v, want a timeout", err)
		}
	})
}

func TestAbortResetsPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := twoStacks(t)
		ln, _ := ss.Listen("tcp", ":80")
		done := make(chan error)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				done <- err
				return
			}
			_, err = c.Read(make([]byte, 10))
			done <- err
		}()
		c, err := cs.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		c.SetLinger(0)
		c.Close()
		if err := <-done; !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("peer read: %v, want ECONNRESET", err)
		}
	})
}

func TestWriteAfterCloseWriteIsEPIPE(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := dialDiscard(t)
		c.CloseWrite()
		if _, err := c.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
			t.Fatalf("write after CloseWrite: %v, want EPIPE", err)
		}
		if _, err := c.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read: %v, want EOF", err)
		}
		c.Close()
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read after Close: %v, want net.ErrClosed", err)
		}
	})
}

func TestReadDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := dialDiscard(t)
		defer c.Close()
		start := time.Now()
		c.SetReadDeadline(start.Add(3 * time.Second))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if !errors.Is(err, os.ErrDeadlineExceeded) || !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("read: %v, want deadline exceeded", err)
		}
		if d := time.Since(start); d != 3*time.Second {
			t.Errorf("returned after %v, want 3s", d)
		}
	})
}

func TestListenPortZero(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := twoStacks(t)
		ln, err := ss.Listen("tcp", "10.0.0.2:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().(*net.TCPAddr)
		if addr.Port < 32768 || addr.Port > 60999 {
			t.Fatalf("port %d not ephemeral", addr.Port)
		}
		go func() {
			if c, err := ln.Accept(); err == nil {
				c.Close()
			}
		}()
		c, err := cs.Dial("tcp", addr.String())
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		ln.Close()
	})
}

func TestListenTwiceIsEADDRINUSE(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, ss := twoStacks(t)
		ln, err := ss.Listen("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		_, err = ss.Listen("tcp", "10.0.0.2:80")
		if !errors.Is(err, syscall.EADDRINUSE) {
			t.Fatalf("second Listen: %v, want EADDRINUSE", err)
		}
		if _, err := ss.Listen("tcp", "10.9.9.9:80"); !errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Fatalf("Listen on a foreign address: %v, want EADDRNOTAVAIL", err)
		}
	})
}

func TestStackCloseAbortsConnections(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := twoStacks(t)
		ln, _ := ss.Listen("tcp", ":80")
		go func() {
			if c, err := ln.Accept(); err == nil {
				io.Copy(io.Discard, c)
			}
		}()
		c, err := cs.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error)
		go func() { _, err := c.Read(make([]byte, 1)); done <- err }()
		synctest.Wait()
		cs.Close()
		if err := <-done; !errors.Is(err, syscall.ECONNABORTED) {
			t.Fatalf("read on a closed stack: %v, want ECONNABORTED", err)
		}
	})
}
