package synack_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
)

// *net.Resolver is what a program on a real network hands Config.Resolver.
var _ synack.Resolver = (*net.Resolver)(nil)

// fakeResolver answers from a table and records the networks asked for.
type fakeResolver struct {
	hosts map[string][]netip.Addr
	asked []string
}

func (r *fakeResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.asked = append(r.asked, network+" "+host)
	if addrs, ok := r.hosts[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func TestDialNameWithoutResolver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := twoStacks(t)
		_, err := cs.Dial("tcp", "server.test:80")
		var oe *net.OpError
		var de *net.DNSError
		if !errors.As(err, &oe) || oe.Op != "dial" || !errors.As(err, &de) || de.Name != "server.test" {
			t.Fatalf("err %v, want a dial *net.OpError around a *net.DNSError", err)
		}
		if !strings.Contains(err.Error(), "no Config.Resolver") {
			t.Errorf("message %q does not say a resolver is missing", err)
		}
	})
}

// TestDialNameTriesEachAddress: the resolver's addresses are tried in
// order; a blackholed one gets its share of the context's time (half of
// 10 s for two addresses) before the next, and a refused one gives way at
// once.
func TestDialNameTriesEachAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeResolver{hosts: map[string][]netip.Addr{
			"blackholed.test": {netip.MustParseAddr("10.0.0.9"), netip.MustParseAddr("10.0.0.2")},
			"refused.test":    {netip.MustParseAddr("fd00::2"), netip.MustParseAddr("::ffff:10.0.0.2")},
		}}
		cs, ss := dualStacks(t, synack.Config{Resolver: r})
		ln, err := ss.Listen("tcp4", ":80") // IPv6 connections are refused
		if err != nil {
			t.Fatal(err)
		}
		accepted := acceptAddrs(ln)
		for _, tt := range []struct {
			host string
			took time.Duration
		}{{"blackholed.test", 5 * time.Second}, {"refused.test", 0}} {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			start := time.Now()
			c, err := cs.DialContext(ctx, "tcp", tt.host+":80")
			cancel()
			if err != nil {
				t.Fatalf("dial %s: %v", tt.host, err)
			}
			if d := time.Since(start); d != tt.took {
				t.Errorf("dial %s took %v, want %v", tt.host, d, tt.took)
			}
			if got := c.RemoteAddr().String(); got != "10.0.0.2:80" {
				t.Errorf("dial %s reached %s", tt.host, got)
			}
			<-accepted
			c.Close()
		}
		ln.Close()
		if _, err := cs.Dial("tcp", "refused.test:80"); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("every address refused: %v, want the first error, ECONNREFUSED", err)
		}
	})
}

// TestDialNameFamilies: tcp4 and tcp6 ask for and use only their family.
func TestDialNameFamilies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &fakeResolver{hosts: map[string][]netip.Addr{
			"both.test": {netip.MustParseAddr("fd00::2"), netip.MustParseAddr("10.0.0.2")},
			"v4.test":   {netip.MustParseAddr("10.0.0.2")},
		}}
		cs, ss := dualStacks(t, synack.Config{Resolver: r})
		ln, err := ss.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		accepted := acceptAddrs(ln)
		for _, tt := range []struct{ network, want string }{{"tcp4", "10.0.0.2:80"}, {"tcp6", "[fd00::2]:80"}, {"tcp", "[fd00::2]:80"}} {
			c, err := cs.Dial(tt.network, "both.test:80")
			if err != nil {
				t.Fatalf("dial %s: %v", tt.network, err)
			}
			if got := <-accepted; got != tt.want {
				t.Errorf("dial %s reached %s, want %s", tt.network, got, tt.want)
			}
			c.Close()
		}
		if want := []string{"ip4 both.test", "ip6 both.test", "ip both.test"}; strings.Join(r.asked, ",") != strings.Join(want, ",") {
			t.Errorf("resolver asked %q, want %q", r.asked, want)
		}
		var ae *net.AddrError
		if _, err := cs.Dial("tcp6", "v4.test:80"); !errors.As(err, &ae) || ae.Err != "no suitable address found" {
			t.Errorf("tcp6 to an IPv4-only name: %v, want no suitable address", err)
		}
		var de *net.DNSError
		if _, err := cs.Dial("tcp", "missing.test:80"); !errors.As(err, &de) || !de.IsNotFound {
			t.Errorf("unknown name: %v, want the resolver's *net.DNSError", err)
		}
		ln.Close()
	})
}
