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

// Dial connects to address ("host:port", with a literal IP) on network
// "tcp", "tcp4" or "tcp6". It is DialContext with context.Background().
func (s *Stack) Dial(network, address string) (*Conn, error) {
	return s.dial(context.Background(), network, address)
}

// DialContext connects to address, waiting for the handshake to finish.
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

// DialTCP is DialContext returning the concrete *Conn.
func (s *Stack) DialTCP(ctx context.Context, network string, local, remote netip.AddrPort) (*Conn, error) {
	if err := checkNetwork(network, remote.Addr()); err != nil {
		return nil, opError("dial", local, remote, err)
	}
	return s.connect(ctx, local, remote)
}

func (s *Stack) dial(ctx context.Context, network, address string) (*Conn, error) {
	remote, err := resolve(address)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: network, Err: err}
	}
	return s.DialTCP(ctx, network, netip.AddrPort{}, remote)
}

func (s *Stack) connect(ctx context.Context, local, remote netip.AddrPort) (*Conn, error) {
	sc, err := s.host.Connect(s.clk.Now(), local, remote)
	if err != nil {
		return nil, opError("dial", local, remote, err)
	}
	c := newConn(s, sc)
	c.c.Configure(func(t *tcp.TCB) {
		t.SetKeepAlive(tcp.KeepAlive{Enable: true, Idle: 15 * time.Second, Interval: 15 * time.Second, Count: 9})
	})
	for {
		st := sc.Status()
		switch {
		case st.State == tcp.Closed:
			return nil, opError("dial", sc.Tuple().Local, remote, st.Err)
		case st.State != tcp.SynSent && st.State != tcp.SynReceived:
			return c, nil
		}
		select {
		case <-c.writable:
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

// resolve parses "ip:port". synack has no resolver: names other than
// "localhost" are an error.
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
		return netip.AddrPort{}, &net.DNSError{Err: "synack resolves no names", Name: host, IsNotFound: true}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}
