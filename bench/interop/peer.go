// Package interop gives tests a gVisor netstack peer on one end of a
// link.Link, so that synack (or anything else speaking IP packets) can be
// tested against an independent TCP implementation in process.
package interop

import (
	"net/netip"
	"testing"

	"github.com/synack-net/synack/bench/gvnet"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
)

// GVisorPeer attaches a gVisor host with address addr to l and closes it
// (and l) when the test ends.
func GVisorPeer(tb testing.TB, l link.Link, addr netip.Prefix) *gvnet.Host {
	tb.Helper()
	h, err := gvnet.New(l, addr)
	if err != nil {
		tb.Fatalf("gVisor peer on %v: %v", addr, err)
	}
	tb.Cleanup(h.Close)
	return h
}

// GVisorOnLink makes a link/pipe pair with the given MTU and queue
// length, puts a gVisor host with address addr on one end, and returns the
// host and the other end for the stack under test to attach to. Both are
// closed when the test ends.
func GVisorOnLink(tb testing.TB, mtu, queueLen int, addr netip.Prefix) (*gvnet.Host, link.Link) {
	tb.Helper()
	near, far := pipe.New(mtu, queueLen)
	tb.Cleanup(func() { far.Close() })
	return GVisorPeer(tb, near, addr), far
}
