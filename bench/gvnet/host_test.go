package gvnet_test

import (
	"context"
	"io"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/synack-net/synack/bench/gvnet"
	"github.com/synack-net/synack/link/pipe"
)

// pair returns two hosts joined by an in-memory link.
func pair(t *testing.T, a, b netip.Prefix) (*gvnet.Host, *gvnet.Host) {
	t.Helper()
	la, lb := pipe.New(1500, 256)
	ha, err := gvnet.New(la, a)
	if err != nil {
		t.Fatal(err)
	}
	hb, err := gvnet.New(lb, b)
	if err != nil {
		ha.Close()
		t.Fatal(err)
	}
	return ha, hb
}

// roundTrip dials from client to server's port 80, sends msg, and checks
// that the server reads it back before EOF.
func roundTrip(t *testing.T, client, server *gvnet.Host) {
	t.Helper()
	ln, err := server.Listen(80)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, netip.AddrPortFrom(server.Addr().Addr(), 80))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("hello over gVisor")); err != nil {
		t.Fatal(err)
	}
	c.Close()
	if s := <-got; s != "hello over gVisor" {
		t.Fatalf("server read %q", s)
	}
}

func TestIPv4(t *testing.T) {
	a, b := pair(t, netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("10.0.0.2/24"))
	defer a.Close()
	defer b.Close()
	roundTrip(t, a, b)
}

func TestIPv6(t *testing.T) {
	a, b := pair(t, netip.MustParsePrefix("fd00::1/64"), netip.MustParsePrefix("fd00::2/64"))
	defer a.Close()
	defer b.Close()
	roundTrip(t, a, b)
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	a, b := pair(t, netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("10.0.0.2/24"))
	roundTrip(t, a, b)
	a.Close()
	b.Close()
	a.Close() // idempotent
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after Close:\n%s",
				before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}
