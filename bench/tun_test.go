//go:build linux

package bench

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"github.com/synack-net/synack/internal/netns"
	"github.com/synack-net/synack/link/tun"
)

// BenchmarkTUNBulk is BenchmarkBulk through the Linux kernel: synack on a
// TUN device talking to the kernel's TCP in a network namespace, each way,
// beside the kernel talking to itself across a veth pair between two
// namespaces (the path a container's traffic takes). The TUN rows count
// the retransmissions of both ends (retrans/op): the kernel's are how its
// timers saw synack's ACKs. It needs root and /dev/net/tun, and skips
// without them.
//
//	cd bench && go test -bench TUNBulk -run '^$' -benchtime=3x -count=1
func BenchmarkTUNBulk(b *testing.B) {
	for _, s := range []setup{
		{"kernel-synack/tun1500", newTUNNetwork(tun.Config{MTU: 1500}, true)},
		{"kernel-synack/tun1500-offload", newTUNNetwork(tun.Config{MTU: 1500, Offload: true}, true)},
		{"synack-kernel/tun1500", newTUNNetwork(tun.Config{MTU: 1500}, false)},
		{"synack-kernel/tun1500-offload", newTUNNetwork(tun.Config{MTU: 1500, Offload: true}, false)},
		{"kernel-synack/tun65535", newTUNNetwork(tun.Config{MTU: 65535}, true)},
		{"synack-kernel/tun65535", newTUNNetwork(tun.Config{MTU: 65535}, false)},
		{"kernel-kernel/veth1500", newVethNetwork(1500)},
	} {
		run(b, s.name, func(b *testing.B) { benchBulk(b, s.new(b)) })
	}
}

// tunDevice is the TUN device in each benchmark's namespace.
const tunDevice = "synack0"

// tunNetwork is a synack stack on a TUN device and the kernel behind it,
// in a namespace of its own; synackServes says which one listens.
type tunNetwork struct {
	ns           *netns.NS
	host         *synackHost
	synackServes bool
}

func newTUNNetwork(cfg tun.Config, synackServes bool) func(tb testing.TB) network {
	cfg.Name = tunDevice
	return func(tb testing.TB) network {
		ns := netns.New(tb)
		var dev *tun.Device
		if err := ns.Do(func() (err error) { dev, err = tun.OpenConfig(cfg); return err }); err != nil {
			tb.Fatal(err)
		}
		synackAddr, kernelAddr := serverAddr, clientAddr
		if !synackServes {
			synackAddr, kernelAddr = clientAddr, serverAddr
		}
		ns.MustIP(tb, "addr", "add", kernelAddr.String(), "dev", tunDevice)
		return &tunNetwork{ns: ns, host: newSynackHost(tb, "synack", dev, synackAddr), synackServes: synackServes}
	}
}

func (n *tunNetwork) Listen() (net.Listener, error) {
	if n.synackServes {
		return n.host.listen()
	}
	return kernelListen(n.ns)
}

func (n *tunNetwork) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	if n.synackServes {
		return kernelDial(ctx, n.ns, addr)
	}
	return n.host.st.DialContext(ctx, "tcp", addr.String())
}

func (n *tunNetwork) Close() { n.host.st.Close() }

// Retransmits returns the TCP segments synack and the kernel have
// retransmitted; the kernel's count (TcpRetransSegs, as `nstat` reads it
// in the namespace) shows when synack's ACKs came too late for the
// kernel's timers (RTO, tail loss probe), which DSACK then calls spurious.
func (n *tunNetwork) Retransmits() uint64 {
	return n.host.retransmits() + kernelRetransmits(n.ns)
}

// kernelRetransmits reads the kernel's TcpRetransSegs in ns, 0 if nstat
// cannot (its absolute count, without touching nstat's history file).
func kernelRetransmits(ns *netns.NS) uint64 {
	out, err := ns.Run("nstat", "-asz", "TcpRetransSegs")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "TcpRetransSegs" {
			v, _ := strconv.ParseUint(f[1], 10, 64)
			return v
		}
	}
	return 0
}

// vethNetwork is the kernel in two namespaces joined by a veth pair: the
// server's end has serverAddr, the client's clientAddr.
type vethNetwork struct{ server, client *netns.NS }

func newVethNetwork(mtu int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		server, client := netns.New(tb), netns.New(tb)
		// Both ends are made inside the namespaces, never in the host's.
		client.MustIP(tb, "link", "add", "veth0", "mtu", strconv.Itoa(mtu), "type", "veth",
			"peer", "name", "veth1", "netns", server.Name())
		client.MustIP(tb, "addr", "add", clientAddr.String(), "dev", "veth0")
		client.MustIP(tb, "link", "set", "veth0", "up")
		server.MustIP(tb, "link", "set", "veth1", "mtu", strconv.Itoa(mtu))
		server.MustIP(tb, "addr", "add", serverAddr.String(), "dev", "veth1")
		server.MustIP(tb, "link", "set", "veth1", "up")
		return &vethNetwork{server: server, client: client}
	}
}

func (n *vethNetwork) Listen() (net.Listener, error) { return kernelListen(n.server) }

func (n *vethNetwork) Dial(ctx context.Context, addr net.Addr) (net.Conn, error) {
	return kernelDial(ctx, n.client, addr)
}

func (n *vethNetwork) Close() {}

// kernelListen opens a kernel listening socket in ns on serverAddr.
func kernelListen(ns *netns.NS) (net.Listener, error) {
	var ln net.Listener
	err := ns.Do(func() (err error) {
		ln, err = net.Listen("tcp4", netip.AddrPortFrom(serverAddr.Addr(), 0).String())
		return err
	})
	return ln, err
}

// kernelDial connects a kernel socket made in ns to addr.
func kernelDial(ctx context.Context, ns *netns.NS, addr net.Addr) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() (err error) {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp4", addr.String())
		return err
	})
	return c, err
}
