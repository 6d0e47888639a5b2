package synack_test

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/link/pipe"
)

// TestSetUserTimeout: a peer that goes silent after the handshake ends a
// connection with TCP_USER_TIMEOUT set in ETIMEDOUT, at the time the
// timeout gives, long before the retry count would; a negative timeout is
// EINVAL.
func TestSetUserTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.NewWithFaults(1500, 1024, clock.NewReal(), netem.Impairment{Delay: 10 * time.Millisecond})
		gb := newGate(b)
		client, err := synack.New(synack.Config{Name: "client", Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server, err := synack.New(synack.Config{Name: "server", Links: []synack.Link{{Link: gb, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close()
		ln, err := server.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			if c, err := ln.Accept(); err == nil {
				defer c.Close()
				c.Read(make([]byte, 1)) // blocks: nothing arrives
			}
		}()
		c, err := client.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.SetUserTimeout(-time.Second); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("SetUserTimeout(-1s) = %v, want EINVAL", err)
		}
		if err := c.SetUserTimeout(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		gb.block(80, 0) // the server's segments are lost from now on
		start := time.Now()
		if _, err := c.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		_, err = c.Read(make([]byte, 1))
		if !errors.Is(err, syscall.ETIMEDOUT) {
			t.Fatalf("Read = %v, want ETIMEDOUT", err)
		}
		if got := time.Since(start); got != userTimeoutEnd {
			t.Errorf("connection ended %v after the write, want %v", got, userTimeoutEnd)
		}
	})
}

// userTimeoutEnd is when the connection of TestSetUserTimeout ends,
// counted from the write: the user timeout, counted from when the
// unacknowledged data was first sent, the retransmission timer clamped to
// end there.
const userTimeoutEnd = 5 * time.Second
