package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/bench/gvnet"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
)

// The addresses of every two-host network: the server is 10.0.0.1, the
// client 10.0.0.2.
var (
	serverAddr = netip.MustParsePrefix("10.0.0.1/24")
	clientAddr = netip.MustParsePrefix("10.0.0.2/24")
)

// firstListenPort is the first port a synack server listens on; synack has
// no ephemeral listening ports (Listen on port 0 is EINVAL).
const firstListenPort = 5000

// synackHost is a synack stack as one end of a network.
type synackHost struct {
	st       *synack.Stack
	nextPort atomic.Uint32 // the next port Listen uses, less firstListenPort
}

func newSynackHost(tb testing.TB, name string, l link.Link, addr netip.Prefix) *synackHost {
	return newSynackHostAddrs(tb, name, l, []netip.Prefix{addr})
}

// newSynackHostAddrs is newSynackHost with several addresses on the link.
func newSynackHostAddrs(tb testing.TB, name string, l link.Link, addrs []netip.Prefix) *synackHost {
	st, err := synack.New(synack.Config{
		Name:  name,
		Links: []synack.Link{{Link: l, Addrs: addrs}},
	})
	if err != nil {
		tb.Fatalf("synack host %s: %v", name, err)
	}
	return &synackHost{st: st}
}

// listen listens on the next unused port of the host's address.
func (h *synackHost) listen() (net.Listener, error) {
	port := firstListenPort + h.nextPort.Add(1) - 1
	return h.st.Listen("tcp", netip.AddrPortFrom(serverAddr.Addr(), uint16(port)).String())
}

// retransmits returns the segments the host has retransmitted.
func (h *synackHost) retransmits() uint64 { return h.st.Counters().RetransSegs }

// synackPair is two synack stacks joined by an in-memory link.
type synackPair struct{ server, client *synackHost }

func newSynackPair(mtu int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		ls, lc := pipe.New(mtu, linkQueueLen)
		return &synackPair{
			server: newSynackHost(tb, "server", ls, serverAddr),
			client: newSynackHost(tb, "client", lc, clientAddr),
		}
	}
}

func (p *synackPair) Listen() (net.Listener, error) { return p.server.listen() }

func (p *synackPair) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	return p.client.st.DialContext(ctx, "tcp", addr.String())
}

// Retransmits returns the TCP segments both hosts have retransmitted.
func (p *synackPair) Retransmits() uint64 { return p.server.retransmits() + p.client.retransmits() }

func (p *synackPair) Close() {
	p.client.st.Close()
	p.server.st.Close()
}

// synackToGVisor is a synack client and a gVisor server on one link.
type synackToGVisor struct {
	server *gvnet.Host
	client *synackHost
}

func newSynackToGVisor(mtu int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		ls, lc := pipe.New(mtu, linkQueueLen)
		server, err := gvnet.New(ls, serverAddr)
		if err != nil {
			tb.Fatal(err)
		}
		return &synackToGVisor{server: server, client: newSynackHost(tb, "client", lc, clientAddr)}
	}
}

func (p *synackToGVisor) Listen() (net.Listener, error) { return p.server.Listen(0) }

func (p *synackToGVisor) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	return p.client.st.DialContext(ctx, "tcp", addr.String())
}

// Retransmits returns the TCP segments both hosts have retransmitted.
func (p *synackToGVisor) Retransmits() uint64 {
	return p.server.Stack().Stats().TCP.Retransmits.Value() + p.client.retransmits()
}

func (p *synackToGVisor) Close() {
	p.client.st.Close()
	p.server.Close()
}

// gvisorToSynack is a gVisor client and a synack server on one link.
type gvisorToSynack struct {
	server *synackHost
	client *gvnet.Host
}

func newGVisorToSynack(mtu int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		ls, lc := pipe.New(mtu, linkQueueLen)
		client, err := gvnet.New(lc, clientAddr)
		if err != nil {
			tb.Fatal(err)
		}
		return &gvisorToSynack{server: newSynackHost(tb, "server", ls, serverAddr), client: client}
	}
}

func (p *gvisorToSynack) Listen() (net.Listener, error) { return p.server.listen() }

func (p *gvisorToSynack) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("gvisor dial: %T is not a *net.TCPAddr", addr)
	}
	return p.client.Dial(ctx, ta.AddrPort())
}

// Retransmits returns the TCP segments both hosts have retransmitted.
func (p *gvisorToSynack) Retransmits() uint64 {
	return p.server.retransmits() + p.client.Stack().Stats().TCP.Retransmits.Value()
}

func (p *gvisorToSynack) Close() {
	p.client.Close()
	p.server.st.Close()
}
