package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/synack-net/synack/stack"
)

// forwardOptions are the flags of synack forward.
type forwardOptions struct {
	netOptions
	observeOptions
	socks5 string
}

// Bounds of forward's upstream work and of its shutdown.
const (
	// upstreamTimeout bounds an upstream connect (and a SOCKS5
	// handshake): well inside the 30 s a forwarding request waits, and
	// past the 7 s by which a client has sent its SYN three times.
	upstreamTimeout = 10 * time.Second
	// forwardSettle is how long the relays have to finish closing after
	// SIGINT or SIGTERM.
	forwardSettle = 2 * time.Second
)

// runForward is `synack forward`, a tun2socks: every TCP connection and
// UDP flow arriving on the TUN device, whatever its destination, is
// relayed through a SOCKS5 proxy or with the host's own sockets. The
// exit status is 0 after a signal, 1 when it cannot start, 2 for a usage
// error (one line).
func runForward(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("forward", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o forwardOptions
	o.netOptions.register(fs)
	fs.StringVar(&o.socks5, "socks5", "", "relay through the SOCKS5 proxy at `HOST:PORT` (CONNECT and UDP ASSOCIATE); without it, connect directly")
	o.observeOptions.register(fs)
	if code, ok := parseFlags(fs, args, `Usage: synack forward --tun NAME --addr IP/PREFIX [--mtu N] [--socks5 HOST:PORT] [--pcap FILE] [--debug-addr ADDR] [--trace FILE]

Forward attaches a synack stack with address IP to the TUN device NAME (creating
the device when missing and bringing it up) and relays every TCP connection and
UDP flow that arrives on it, to any destination, through the SOCKS5 proxy, or
without --socks5 with this host's own sockets: a tun2socks. A connection is
accepted only once its upstream connect succeeded; a refused upstream refuses
it (the client sees ECONNREFUSED), an unreachable one is left unanswered (the
client times out). Route the traffic to relay into the device, e.g.

	ip addr add 10.99.0.1/24 dev NAME
	ip route add default dev NAME

(and keep the route to the proxy, or this host's own upstream, out of it).
SIGINT or SIGTERM closes every connection and exits.

`); !ok {
		return code
	}
	addr, err := o.check(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "synack forward: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return forward(ctx, o, addr, stderr)
}

// check validates the options and the arguments left after the flags.
func (o forwardOptions) check(args []string) (netip.Prefix, error) {
	if len(args) > 0 {
		return netip.Prefix{}, fmt.Errorf("unexpected argument %q", args[0])
	}
	if o.socks5 != "" {
		host, port, err := net.SplitHostPort(o.socks5)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return netip.Prefix{}, fmt.Errorf("--socks5 %q: want HOST:PORT", o.socks5)
		}
	}
	return o.prefix()
}

// forward relays until ctx is done, then closes everything.
func forward(ctx context.Context, o forwardOptions, addr netip.Prefix, stderr io.Writer) int {
	ns, err := openStack(o.netOptions, addr)
	if err != nil {
		fmt.Fprintf(stderr, "synack forward: %v\n", err)
		return 1
	}
	stopObserving, err := observe("forward", o.debugAddr, o.trace, ns, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "synack forward: %v\n", err)
		ns.Close()
		return 1
	}
	defer stopObserving()
	fl, err := ns.ListenForward(stack.ForwardOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "synack forward: %v\n", err)
		ns.Close()
		return 1
	}
	ufl, err := ns.ListenForwardUDP(stack.UDPForwardOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "synack forward: %v\n", err)
		fl.Close()
		ns.Close()
		return 1
	}
	var up upstream = direct{}
	via := "directly"
	if o.socks5 != "" {
		up, via = socks5{proxy: o.socks5}, "through SOCKS5 proxy "+o.socks5
	}
	r := newRelays(up)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var loops sync.WaitGroup
	loops.Add(2)
	go func() { defer loops.Done(); r.acceptTCP(runCtx, fl) }()
	go func() { defer loops.Done(); r.acceptUDP(runCtx, ufl) }()
	fmt.Fprintf(stderr, "synack forward: %s up, MTU %d, address %v: relaying TCP and UDP %s\n",
		ns.dev.Name(), ns.dev.MTU(), addr, via)

	<-ctx.Done()
	cancel()
	fl.Close()
	ufl.Close()
	loops.Wait()
	conns := r.closeAll(forwardSettle)
	// Let the FINs (and the resets of handshakes not yet taken) go out
	// before the stack stops, as serve does.
	ns.settle(settleTimeout, conns...)
	if err := ns.Close(); err != nil {
		fmt.Fprintf(stderr, "synack forward: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "synack forward: stopped\n")
	return 0
}

// upstream is where forward relays to: the host's sockets or a SOCKS5
// proxy.
type upstream interface {
	// connect opens a TCP connection to dst.
	connect(ctx context.Context, dst netip.AddrPort) (*net.TCPConn, error)
	// openUDP opens a way to exchange datagrams with dst.
	openUDP(ctx context.Context, dst netip.AddrPort) (udpUpstream, error)
}

// udpUpstream carries one flow's datagrams to and from its destination.
type udpUpstream interface {
	send(p []byte) error
	recv(p []byte) (int, error) // the data of the next datagram from the destination
	Close() error
}

// direct connects with the host's own sockets.
type direct struct{}

func (direct) connect(ctx context.Context, dst netip.AddrPort) (*net.TCPConn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", dst.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

func (direct) openUDP(ctx context.Context, dst netip.AddrPort) (udpUpstream, error) {
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(dst))
	if err != nil {
		return nil, err
	}
	return directUDP{c}, nil
}

// directUDP is a host UDP socket connected to the destination.
type directUDP struct{ *net.UDPConn }

func (u directUDP) send(p []byte) error {
	_, err := u.Write(p)
	return err
}

func (u directUDP) recv(p []byte) (int, error) { return u.Read(p) }

func (s socks5) openUDP(ctx context.Context, dst netip.AddrPort) (udpUpstream, error) {
	ctrl, relay, err := s.associate(ctx)
	if err != nil {
		return nil, err
	}
	u := &socksUDP{ctrl: ctrl, relay: relay, dst: dst}
	// RFC 1928 §7: the association ends when its TCP connection does.
	go func() {
		io.Copy(io.Discard, ctrl)
		relay.Close()
	}()
	return u, nil
}

// socksUDP is one flow's association with a SOCKS5 UDP relay.
type socksUDP struct {
	ctrl  *net.TCPConn
	relay *net.UDPConn
	dst   netip.AddrPort
	buf   []byte // recv's datagram with its header
	out   []byte // send's
}

func (u *socksUDP) send(p []byte) error {
	u.out = appendSocksUDP(u.out[:0], u.dst, p)
	_, err := u.relay.Write(u.out)
	return err
}

// recv returns the data of the next datagram the relay sends from the
// flow's destination; any other is ignored.
func (u *socksUDP) recv(p []byte) (int, error) {
	if u.buf == nil {
		u.buf = make([]byte, 65535)
	}
	for {
		n, err := u.relay.Read(u.buf)
		if err != nil {
			return 0, err
		}
		from, data, err := parseSocksUDP(u.buf[:n])
		if err != nil || from != u.dst {
			continue
		}
		return copy(p, data), nil
	}
}

func (u *socksUDP) Close() error {
	return errors.Join(u.relay.Close(), u.ctrl.Close())
}
