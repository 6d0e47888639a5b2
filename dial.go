package synack

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/synack-net/synack/tcp"
)

// Resolver looks up host names for Dial: LookupNetIP returns the
// addresses of host, where network is "ip", "ip4" or "ip6". A
// *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Dial connects to address ("host:port") on network "tcp", "tcp4" or
// "tcp6". It is DialContext with context.Background().
func (s *Stack) Dial(network, address string) (*Conn, error) {
	return s.dial(context.Background(), network, address)
}

// DialContext connects to address, waiting for the handshake to finish.
// A host that is not a literal IP is looked up with Config.Resolver (an
// error without one), and its addresses are tried in turn, as net.Dialer
// does without Happy Eyeballs: each gets an equal share of the time left
// before ctx's deadline (at least 2 s), and if all fail the first error
// is returned.
// Keep-alive is enabled with Go's defaults (15 s), as net.Dialer does.
// Failures are *net.OpError values wrapping the errno
// (syscall.ECONNREFUSED when the peer resets the SYN, ETIMEDOUT after the
// SYN retries); a cancelled context aborts the attempt and returns the
// context's error. Its signature fits http.Transport.DialContext.
func (s *Stack) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := s.dial(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// DialTCP is DialContext returning the concrete *Conn, from local (the
// zero AddrPort lets the stack choose the address and port). While a
// ForwardListener is open, local may be any address, one the stack does
// not own included: the other direction of a tunnel, or a transparent
// proxy dialing as its client.
func (s *Stack) DialTCP(ctx context.Context, network string, local, remote netip.AddrPort) (*Conn, error) {
	if err := checkNetwork(network, remote.Addr()); err != nil {
		return nil, opError("dial", local, remote, err)
	}
	return s.connect(ctx, local, remote)
}

func (s *Stack) dial(ctx context.Context, network, address string) (*Conn, error) {
	remotes, err := s.lookup(ctx, network, address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	var first error
	for i, remote := range remotes {
		actx, cancel := partialDeadline(ctx, len(remotes)-i)
		c, err := s.DialTCP(actx, network, netip.AddrPort{}, remote)
		cancel()
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// lookup turns "host:port" into the addresses to try: the literal IP, or
// what the resolver finds of network's family.
func (s *Stack) lookup(ctx context.Context, network, address string) ([]netip.AddrPort, error) {
	remote, err := resolve(address)
	var dnsErr *net.DNSError
	switch {
	case err == nil:
		return []netip.AddrPort{remote}, nil
	case !errors.As(err, &dnsErr):
		return nil, err
	case s.resolver == nil:
		dnsErr.Err = "no Config.Resolver to look names up with"
		return nil, dnsErr
	}
	family := "ip"
	switch network {
	case "tcp4":
		family = "ip4"
	case "tcp6":
		family = "ip6"
	}
	ips, err := s.resolver.LookupNetIP(ctx, family, dnsErr.Name)
	if err != nil {
		return nil, err
	}
	var out []netip.AddrPort
	for _, ip := range ips {
		ip = ip.Unmap()
		if checkNetwork(network, ip) == nil {
			out = append(out, netip.AddrPortFrom(ip, remote.Port()))
		}
	}
	if len(out) == 0 {
		return nil, &net.AddrError{Err: "no suitable address found", Addr: dnsErr.Name}
	}
	return out, nil
}

// partialDeadline gives one of n remaining attempts its share of the time
// before ctx's deadline, but at least 2 s (or all that is left), as
// net.Dialer does.
func partialDeadline(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok || n <= 1 {
		return ctx, func() {}
	}
	left := time.Until(deadline)
	share := left / time.Duration(n)
	if share < 2*time.Second {
		share = min(2*time.Second, left)
	}
	return context.WithTimeout(ctx, share)
}

// dialKeepAlive is the keep-alive a dialed connection starts with, as Go's
// net.Dialer enables it (15 s idle and interval, 9 probes). Every dialed
// connection shares it (tcp.TCB.SetSharedKeepAlive); it never changes.
var dialKeepAlive = tcp.KeepAlive{Enable: true, Idle: 15 * time.Second, Interval: 15 * time.Second, Count: 9}

func (s *Stack) connect(ctx context.Context, local, remote netip.AddrPort) (*Conn, error) {
	sc, err := s.open(local, remote)
	if err != nil {
		return nil, opError("dial", local, remote, err)
	}
	c := newConn(s, sc)
	c.c.Configure(func(t *tcp.TCB) { t.SetSharedKeepAlive(&dialKeepAlive) })
	ready := c.writable.get()
	for {
		st := sc.Status()
		switch {
		case st.State == tcp.Closed:
			return nil, opError("dial", sc.Tuple().Local, remote, st.Err)
		case st.State != tcp.SynSent && st.State != tcp.SynReceived:
			c.writable.forget()
			return c, nil
		}
		select {
		case <-ready:
		case <-ctx.Done():
			sc.Abort(s.clk.Now())
			err := ctx.Err()
			if errors.Is(err, context.DeadlineExceeded) {
				err = os.ErrDeadlineExceeded
			}
			return nil, opError("dial", sc.Tuple().Local, remote, err)
		case <-s.done:
			return nil, opError("dial", sc.Tuple().Local, remote, net.ErrClosed)
		}
	}
}

// checkNetwork accepts "tcp", and "tcp4"/"tcp6" for an address of that family.
func checkNetwork(network string, a netip.Addr) error {
	switch network {
	case "tcp":
		return nil
	case "tcp4":
		if a.Is4() || a.Is4In6() || !a.IsValid() {
			return nil
		}
	case "tcp6":
		if a.Is6() && !a.Is4In6() || !a.IsValid() {
			return nil
		}
	default:
		return net.UnknownNetworkError(network)
	}
	return &net.AddrError{Err: "address family mismatch", Addr: a.String()}
}

// resolve parses "ip:port" (an empty ip means 0.0.0.0). A host that is
// not a literal IP gives a *net.DNSError naming it, and the port.
func resolve(address string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, &net.AddrError{Err: "invalid port", Addr: address}
	}
	if host == "" {
		return netip.AddrPortFrom(netip.IPv4Unspecified(), uint16(p)), nil
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPortFrom(netip.Addr{}, uint16(p)), &net.DNSError{Err: "not an IP address", Name: host, IsNotFound: true}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}
