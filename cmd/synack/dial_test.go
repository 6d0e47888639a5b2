package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
)

// sessionPeer listens on the server stack's port 5000, accepts one
// connection and runs f on it; the channel gives f's error.
func sessionPeer(t *testing.T, ss *synack.Stack, f func(c *synack.Conn) error) <-chan error {
	t.Helper()
	ln, err := ss.Listen("tcp", "10.0.0.2:5000")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		defer ln.Close()
		c, err := ln.AcceptTCP()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		done <- f(c)
	}()
	return done
}

// dialSession dials the peer from the client stack and runs the nc
// session with stdin, returning its stdout and error.
func dialSession(t *testing.T, cs *synack.Stack, linger0 bool, stdin io.Reader) (string, error) {
	t.Helper()
	c, err := cs.Dial("tcp", "10.0.0.2:5000")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = session(c, linger0, stdin, &out)
	return out.String(), err
}

// TestSession: stdin goes to the peer, which sees EOF after it (the
// half-close) and answers; the answer goes to stdout and the session ends
// once the peer has closed.
func TestSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := pipeStacks(t)
		input := strings.Repeat("stdin line\n", 10000)
		peer := sessionPeer(t, ss, func(c *synack.Conn) error {
			b, err := io.ReadAll(c)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(c, "read %d bytes\n", len(b))
			return err
		})
		out, err := dialSession(t, cs, false, strings.NewReader(input))
		if err != nil {
			t.Fatalf("session: %v", err)
		}
		if err := <-peer; err != nil {
			t.Fatalf("peer: %v", err)
		}
		if want := fmt.Sprintf("read %d bytes\n", len(input)); out != want {
			t.Errorf("stdout %q, want %q", out, want)
		}
	})
}

// TestSessionPeerClosesFirst: the peer closes while stdin is still open;
// the session ends anyway, as nc does.
func TestSessionPeerClosesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := pipeStacks(t)
		peer := sessionPeer(t, ss, func(c *synack.Conn) error {
			_, err := c.Write([]byte("hello\n"))
			return err
		})
		stdin, keepOpen := io.Pipe()
		defer keepOpen.Close()
		out, err := dialSession(t, cs, false, stdin)
		if err != nil || out != "hello\n" {
			t.Errorf("session: stdout %q, %v; want \"hello\\n\", nil", out, err)
		}
		if err := <-peer; err != nil {
			t.Fatalf("peer: %v", err)
		}
	})
}

// TestSessionLinger0: at the end of stdin the session aborts; the peer
// reads ECONNRESET, and the session reports success.
func TestSessionLinger0(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := pipeStacks(t)
		peer := sessionPeer(t, ss, func(c *synack.Conn) error {
			_, err := io.ReadAll(c)
			return err
		})
		if _, err := dialSession(t, cs, true, strings.NewReader("abc")); err != nil {
			t.Fatalf("session: %v", err)
		}
		if err := <-peer; !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("peer read %v, want ECONNRESET", err)
		}
	})
}

// TestSessionReset: a reset from the peer ends the session with a
// *net.OpError wrapping ECONNRESET, after what came before it.
func TestSessionReset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := pipeStacks(t)
		peer := sessionPeer(t, ss, func(c *synack.Conn) error {
			if _, err := c.Write([]byte("bye\n")); err != nil {
				return err
			}
			if _, err := io.ReadAll(c); err != nil {
				return err
			}
			// An abort drops data not yet sent (RFC 9293 §3.10.5), so
			// wait, in synctest's virtual time, until "bye" is
			// acknowledged before resetting.
			for i := c.Info(); i.Unsent+i.Unacked > 0; i = c.Info() {
				time.Sleep(time.Millisecond)
			}
			return c.SetLinger(0) // the deferred Close resets
		})
		out, err := dialSession(t, cs, false, strings.NewReader(""))
		var oe *net.OpError
		if !errors.Is(err, syscall.ECONNRESET) || !errors.As(err, &oe) || out != "bye\n" {
			t.Errorf("session: stdout %q, %v; want \"bye\\n\" and a *net.OpError wrapping ECONNRESET", out, err)
		}
		if err := <-peer; err != nil {
			t.Fatalf("peer: %v", err)
		}
	})
}
