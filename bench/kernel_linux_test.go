//go:build linux

package bench

import (
	"context"
	"net"
	"strconv"
	"testing"

	"github.com/synack-net/synack/internal/netns"
)

// kernelNS is the Linux kernel's TCP over the loopback interface of a
// namespace of its own, whose MTU is the row's: the kernel row beside the
// in-memory links at the same MTU (the host's loopback has 65536). It
// needs root and skips without it.
type kernelNS struct{ ns *netns.NS }

func newKernelLoopbackMTU(mtu int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		netns.Require(tb)
		ns := netns.New(tb)
		ns.MustIP(tb, "link", "set", "lo", "mtu", strconv.Itoa(mtu))
		return kernelNS{ns: ns}
	}
}

func (k kernelNS) Listen() (net.Listener, error) {
	var ln net.Listener
	err := k.ns.Do(func() (err error) {
		ln, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	})
	return ln, err
}

func (k kernelNS) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	var c net.Conn
	err := k.ns.Do(func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp4", addr.String())
		return err
	})
	return c, err
}

func (kernelNS) Close() {}
