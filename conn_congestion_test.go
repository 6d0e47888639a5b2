package synack_test

import (
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/tcp"
)

// TestSetCongestionControl: connections start with the stack's default
// (Config.TCP.CongestionControl, CUBIC unless set), each may switch on
// its own as with TCP_CONGESTION, and an unknown name is ENOENT.
func TestSetCongestionControl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.New(1500, 1024)
		renoCfg := tcp.DefaultConfig()
		renoCfg.CongestionControl = "reno"
		client, err := synack.New(synack.Config{Name: "client", Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server, err := synack.New(synack.Config{Name: "server", TCP: &renoCfg, Links: []synack.Link{{Link: b, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer server.Close()
		ln, err := server.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		dial := func() (*synack.Conn, *synack.Conn) {
			c, err := client.Dial("tcp", "10.0.0.2:80")
			if err != nil {
				t.Fatal(err)
			}
			s, err := ln.AcceptTCP()
			if err != nil {
				t.Fatal(err)
			}
			return c, s
		}
		c1, s1 := dial()
		c2, _ := dial()
		if c1.CongestionControl() != "cubic" || s1.CongestionControl() != "reno" {
			t.Fatalf("client %q, server %q: want the stacks' defaults cubic and reno", c1.CongestionControl(), s1.CongestionControl())
		}
		if err := c1.SetCongestionControl("reno"); err != nil {
			t.Fatal(err)
		}
		if c1.CongestionControl() != "reno" || c2.CongestionControl() != "cubic" {
			t.Fatalf("after switching one: %q and %q, want reno and cubic", c1.CongestionControl(), c2.CongestionControl())
		}
		if err := c2.SetCongestionControl("vegas"); !errors.Is(err, syscall.ENOENT) {
			t.Fatalf("SetCongestionControl(vegas) = %v, want ENOENT", err)
		}
		if c2.CongestionControl() != "cubic" {
			t.Fatalf("a refused name changed the algorithm to %q", c2.CongestionControl())
		}
	})
}

// A stack whose default congestion control is not registered is refused
// at New, as Linux refuses an unknown tcp_congestion_control.
func TestNewRejectsUnknownCongestionControl(t *testing.T) {
	a, _ := pipe.New(1500, 16)
	cfg := tcp.DefaultConfig()
	cfg.CongestionControl = "vegas"
	_, err := synack.New(synack.Config{TCP: &cfg, Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}}})
	if !errors.Is(err, syscall.ENOENT) || !strings.Contains(err.Error(), `"vegas"`) {
		t.Fatalf("New with %q: %v, want ENOENT naming it", cfg.CongestionControl, err)
	}
}
