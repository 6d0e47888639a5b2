package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link/pipe"
)

// pipeStacks joins a client stack (10.0.0.1) and a server stack
// (10.0.0.2) by an in-memory pipe, standing in for the kernel and the
// TUN device, and closes both when the test ends.
func pipeStacks(t *testing.T) (client, server *synack.Stack) {
	t.Helper()
	a, b := pipe.New(1500, 1024)
	mk := func(name string, l *pipe.Endpoint, addr string) *synack.Stack {
		s, err := synack.New(synack.Config{Name: name, Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return mk("client", a, "10.0.0.1/24"), mk("server", b, "10.0.0.2/24")
}

// TestServeUsage checks the usage errors of serve and dial, which are
// found before any device is opened.
func TestServeUsage(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
	}{
		{[]string{"serve"}, "--tun: a device name is required"},
		{[]string{"serve", "--tun", "t0"}, "--addr: an IP/PREFIX is required"},
		{[]string{"serve", "--tun", "t0", "--addr", "10.0.0.2"}, "--addr: netip.ParsePrefix"},
		{[]string{"serve", "--tun", "t0", "--addr", "10.0.0.2/24", "--echo", "70000"}, "--echo 70000"},
		{[]string{"serve", "--tun", "t0", "--addr", "10.0.0.2/24", "--mtu", "-1"}, "--mtu -1"},
		{[]string{"serve", "--tun", "t0", "--addr", "10.0.0.2/24", "extra"}, `unexpected argument "extra"`},
		{[]string{"dial", "--tun", "t0", "--addr", "10.0.0.2/24"}, "want the HOST:PORT"},
		{[]string{"dial", "--tun", "t0", "--addr", "10.0.0.2/24", "a:1", "b:2"}, `unexpected argument "b:2"`},
		{[]string{"dial", "--tun", "t0", "--addr", "10.0.0.2/24", "--timeout", "-1s", "a:1"}, "--timeout -1s"},
		{[]string{"dial", "10.0.0.1:80"}, "--tun: a device name is required"},
	}
	for _, tt := range tests {
		_, stderr, code := runArgs(tt.args...)
		if code != 2 || !strings.Contains(stderr, tt.stderr) {
			t.Errorf("synack %v: exit %d, stderr %q; want 2 and %q", tt.args, code, stderr, tt.stderr)
		}
	}
	for _, cmd := range []string{"serve", "dial"} {
		out, _, code := runArgs("help", cmd)
		if code != 0 || !strings.Contains(out, "Usage: synack "+cmd+" --tun NAME --addr IP/PREFIX") {
			t.Errorf("synack help %s: exit %d:\n%s", cmd, code, out)
		}
	}
}

// TestServeApps runs serve's services on a stack and uses them from
// another: echo, discard, the HTTP pages, and a shutdown that closes an
// idle connection with a FIN.
func TestServeApps(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := pipeStacks(t)
		srv := newServer(ss, netip.MustParseAddr("10.0.0.2"))
		for _, err := range []error{srv.serveEcho(7), srv.serveDiscard(9), srv.serveHTTP(80)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		data := bytes.Repeat([]byte("0123456789"), 20000)

		echoed := exchangeWith(t, cs, "10.0.0.2:7", data)
		if !bytes.Equal(echoed, data) {
			t.Errorf("echo returned %d bytes, want the %d sent", len(echoed), len(data))
		}
		if got := exchangeWith(t, cs, "10.0.0.2:9", data); len(got) != 0 {
			t.Errorf("discard answered %d bytes", len(got))
		}

		var clientEnd string
		hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := cs.DialContext(ctx, network, addr)
				if err == nil {
					clientEnd = c.LocalAddr().String()
				}
				return c, err
			}}}
		for _, tt := range []struct {
			path   string
			status int
			check  func(body []byte) bool
		}{
			{"/", 200, func(b []byte) bool {
				return strings.Contains(string(b), fmt.Sprintf("connection %s -> 10.0.0.2:80", clientEnd)) &&
					strings.Contains(string(b), "state      ESTABLISHED")
			}},
			{"/bytes?n=70000", 200, func(b []byte) bool {
				for k := range b {
					if b[k] != byte(k) {
						return false
					}
				}
				return len(b) == 70000
			}},
			{"/bytes?n=0", 200, func(b []byte) bool { return len(b) == 0 }},
			{"/bytes?n=-1", 400, nil},
			{"/bytes", 400, nil},
			{"/elsewhere", 404, nil},
		} {
			resp, err := hc.Get("http://10.0.0.2" + tt.path)
			if err != nil {
				t.Fatalf("GET %s: %v", tt.path, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != tt.status || tt.check != nil && !tt.check(body) {
				t.Errorf("GET %s: %s, %d bytes, %v:\n%.300s", tt.path, resp.Status, len(body), err, body)
			}
		}

		idle, err := cs.Dial("tcp", "10.0.0.2:7")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := idle.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(idle, make([]byte, 1)); err != nil {
			t.Fatal(err)
		}
		conns := srv.shutdown(drainTimeout)
		if b, err := io.ReadAll(idle); err != nil || len(b) != 0 {
			t.Errorf("the idle connection read %d bytes, %v after shutdown; want EOF", len(b), err)
		}
		if len(conns) == 0 {
			t.Error("shutdown returned no connections")
		}
		if _, err := cs.Dial("tcp", "10.0.0.2:7"); err == nil {
			t.Error("echo still accepts after shutdown")
		}
	})
}

// exchangeWith dials addr from st, writes data, half-closes, and returns
// what it reads up to EOF.
func exchangeWith(t *testing.T, st *synack.Stack, addr string, data []byte) []byte {
	t.Helper()
	c, err := st.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(c)
		got <- b
	}()
	if _, err := c.Write(data); err != nil {
		t.Fatalf("write to %s: %v", addr, err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	return <-got
}
