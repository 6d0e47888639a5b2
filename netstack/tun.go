package netstack

import (
	"errors"
	"net/netip"
	"os"
	"sync"
	"syscall"

	"github.com/synack-net/synack"
	"golang.zx2c4.com/wireguard/tun"
)

// Net is the stack behind a tun.Device made by CreateNetTUN: its methods
// dial, listen and look names up inside the tunnel.
type Net struct {
	st           *synack.Stack
	p            *pump
	dns          *resolver
	hasV4, hasV6 bool
}

// netTun is the tun.Device side: packets the stack sends come out of
// Read, and packets written go into the stack.
type netTun struct {
	p         *pump
	st        *synack.Stack
	events    chan tun.Event
	closeOnce sync.Once
}

// batchSize is the most packets one Read returns, wireguard-go's
// conn.IdealBatchSize.
const batchSize = 128

// CreateNetTUN makes a userspace network interface with localAddresses
// and a synack stack on it, as wireguard-go's netstack.CreateNetTUN does:
// the tun.Device is for device.NewDevice, and the *Net dials and listens
// from localAddresses. Host names are looked up with dnsServers. Unlike
// gVisor, synack needs at least one local address, an MTU of at least
// 576 (1280 with an IPv6 address), and does not loop a connection to one
// of its own addresses back to itself.
func CreateNetTUN(localAddresses, dnsServers []netip.Addr, mtu int) (tun.Device, *Net, error) {
	n := &Net{}
	var prefixes []netip.Prefix
	for _, a := range localAddresses {
		a = a.Unmap()
		if !a.IsValid() {
			return nil, nil, errors.New("netstack: invalid local address")
		}
		prefixes = append(prefixes, netip.PrefixFrom(a, a.BitLen()))
		n.hasV4 = n.hasV4 || a.Is4()
		n.hasV6 = n.hasV6 || a.Is6()
	}
	p := newPump(mtu)
	n.dns = &resolver{n: n, servers: dnsServers}
	st, err := synack.New(synack.Config{
		Name:     "netstack",
		Links:    []synack.Link{{Link: p, Addrs: prefixes}},
		Resolver: n.dns,
	})
	if err != nil {
		return nil, nil, err
	}
	n.st, n.p = st, p
	dev := &netTun{p: p, st: st, events: make(chan tun.Event, 10)}
	dev.events <- tun.EventUp
	return dev, n, nil
}

// Stack returns the synack stack, for its counters and connection
// states.
func (n *Net) Stack() *synack.Stack { return n.st }

// Drops returns the packets lost between the stack and the device: out,
// the stack's packets dropped because the device's queue (1024 packets)
// was full; in, the packets written to the device that were longer than
// its MTU.
func (n *Net) Drops() (out, in uint64) { return n.p.drops.Load(), n.p.oversized.Load() }

// Name implements tun.Device: "go", as wireguard-go's netstack.
func (t *netTun) Name() (string, error) { return "go", nil }

// File implements tun.Device: there is no file descriptor.
func (t *netTun) File() *os.File { return nil }

// Events implements tun.Device: EventUp, sent at creation; the channel is
// closed by Close.
func (t *netTun) Events() <-chan tun.Event { return t.events }

// MTU implements tun.Device.
func (t *netTun) MTU() (int, error) { return t.p.mtu, nil }

// BatchSize implements tun.Device.
func (t *netTun) BatchSize() int { return batchSize }

// Read implements tun.Device: it waits for the stack's next packet, and
// returns it with any others already queued, up to len(bufs), each at
// offset. After Close it returns os.ErrClosed.
func (t *netTun) Read(bufs [][]byte, sizes []int, offset int) (int, error) {
	var b *[]byte
	select {
	case b = <-t.p.out:
	case <-t.p.done:
		return 0, os.ErrClosed
	}
	n := 0
	for {
		sizes[n] = copy(bufs[n][offset:], *b)
		t.p.put(b)
		n++
		if n == len(bufs) {
			return n, nil
		}
		select {
		case b = <-t.p.out:
		default:
			return n, nil
		}
	}
}

// Write implements tun.Device: each packet, from offset, goes to the
// stack. A packet that is neither IPv4 nor IPv6 ends the call with
// EAFNOSUPPORT, as in wireguard-go's netstack; after Close, os.ErrClosed.
func (t *netTun) Write(bufs [][]byte, offset int) (int, error) {
	for i, b := range bufs {
		pkt := b[offset:]
		if len(pkt) == 0 {
			continue
		}
		if v := pkt[0] >> 4; v != 4 && v != 6 {
			return i, syscall.EAFNOSUPPORT
		}
		if !t.p.inject(pkt) {
			return i, os.ErrClosed
		}
	}
	return len(bufs), nil
}

// Close implements tun.Device: it closes the stack (its connections are
// dropped) and the Events channel.
func (t *netTun) Close() error {
	t.closeOnce.Do(func() {
		t.st.Close()
		close(t.events)
	})
	return nil
}
