package bench

import (
	"context"
	"fmt"
	"net"
	"testing"

	"github.com/synack-net/synack/bench/gvnet"
	"github.com/synack-net/synack/link/pipe"
)

// network is a pair of hosts under test: a server host that listens and a
// client host that dials it.
type network interface {
	// Listen opens a listener on the server host at an ephemeral port.
	Listen() (net.Listener, error)
	// Dial connects from the client host to addr, the Addr of a listener
	// returned by Listen.
	Dial(ctx context.Context, addr net.Addr) (net.Conn, error)
	// Close releases both hosts.
	Close()
}

// retransmitCounter is implemented by networks that can count the TCP
// segments their hosts retransmitted (the kernel's loopback cannot, per
// connection).
type retransmitCounter interface{ Retransmits() uint64 }

// setup names one way to build a network; name becomes the sub-benchmark
// name.
type setup struct {
	name string
	new  func(tb testing.TB) network
}

// linkQueueLen bounds each direction of the in-memory links, like a NIC's
// transmit ring (and the same as gVisor's channel endpoint queue).
const linkQueueLen = 1024

// gvisorPair is two gVisor hosts, 10.0.0.1 (server) and 10.0.0.2 (client).
type gvisorPair struct{ server, client *gvnet.Host }

// newGVisorPair joins two gVisor hosts channel endpoint to channel endpoint
// with the given MTU (gvnet.NewChannelPair): gVisor on the zero-copy link
// its users run it on. This is the gVisor row of every table.
func newGVisorPair(mtu int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		server, client, err := gvnet.NewChannelPair(mtu, serverAddr, clientAddr)
		if err != nil {
			tb.Fatal(err)
		}
		return &gvisorPair{server: server, client: client}
	}
}

// newGVisorOnPipe joins two gVisor hosts by synack's link/pipe through
// gvnet's adapter, which copies every packet into and out of the pipe: the
// path the mixed synack-gVisor rows take, kept to show what the adapter
// costs gVisor.
func newGVisorOnPipe(mtu int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		ls, lc := pipe.New(mtu, linkQueueLen)
		server, err := gvnet.New(ls, serverAddr)
		if err != nil {
			tb.Fatal(err)
		}
		client, err := gvnet.New(lc, clientAddr)
		if err != nil {
			server.Close()
			tb.Fatal(err)
		}
		return &gvisorPair{server: server, client: client}
	}
}

func (p *gvisorPair) Listen() (net.Listener, error) { return p.server.Listen(0) }

func (p *gvisorPair) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return nil, fmt.Errorf("gvisor dial: %T is not a *net.TCPAddr", addr)
	}
	return p.client.Dial(ctx, ta.AddrPort())
}

// Retransmits returns the TCP segments both hosts have retransmitted.
func (p *gvisorPair) Retransmits() uint64 {
	return p.server.Stack().Stats().TCP.Retransmits.Value() +
		p.client.Stack().Stats().TCP.Retransmits.Value()
}

func (p *gvisorPair) Close() {
	p.client.Close()
	p.server.Close()
}

// kernelLoopback is the Linux kernel's TCP over 127.0.0.1: the server and
// client "hosts" are the same kernel.
type kernelLoopback struct{}

func newKernelLoopback(testing.TB) network { return kernelLoopback{} }

func (kernelLoopback) Listen() (net.Listener, error) { return net.Listen("tcp4", "127.0.0.1:0") }

func (kernelLoopback) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp4", addr.String())
}

func (kernelLoopback) Close() {}
