package synack

import (
	"net"
	"net/netip"
	"sync"

	"github.com/synack-net/synack/stack"
)

// Listener accepts connections on a Stack. It implements net.Listener.
type Listener struct {
	s     *Stack
	l     *stack.Listener
	ready chan struct{}
	done  chan struct{}
	once  sync.Once
}

// Listen listens on address ("ip:port"; an empty or unspecified IP listens
// on all of the stack's addresses of that family). network is "tcp",
// "tcp4" or "tcp6". backlog is the host's default (4096).
func (s *Stack) Listen(network, address string) (*Listener, error) {
	return s.ListenBacklog(network, address, 0)
}

// ListenBacklog is Listen with an explicit accept-queue bound.
func (s *Stack) ListenBacklog(network, address string, backlog int) (*Listener, error) {
	ap, err := resolve(address)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: network, Err: err}
	}
	if network == "tcp6" && ap.Addr().Is4() && ap.Addr().IsUnspecified() {
		ap = netip.AddrPortFrom(netip.IPv6Unspecified(), ap.Port())
	}
	if err := checkNetwork(network, ap.Addr()); err != nil {
		return nil, opError("listen", ap, netipZero, err)
	}
	l, err := s.host.Listen(s.clk.Now(), ap, backlog)
	if err != nil {
		return nil, opError("listen", ap, netipZero, err)
	}
	ln := &Listener{s: s, l: l, ready: make(chan struct{}, 1), done: make(chan struct{})}
	l.SetWaker(func() {
		select {
		case ln.ready <- struct{}{}:
		default:
		}
	})
	return ln, nil
}

// Accept waits for and returns the next established connection.
func (ln *Listener) Accept() (net.Conn, error) { return ln.AcceptTCP() }

// AcceptTCP is Accept returning the concrete *Conn.
func (ln *Listener) AcceptTCP() (*Conn, error) {
	for {
		select {
		case <-ln.done:
			return nil, opError("accept", ln.l.Addr(), netipZero, net.ErrClosed)
		default:
		}
		c, err := ln.l.Accept()
		if err != nil {
			return nil, opError("accept", ln.l.Addr(), netipZero, err)
		}
		if c != nil {
			return newConn(ln.s, c), nil
		}
		select {
		case <-ln.ready:
		case <-ln.done:
		case <-ln.s.done:
			return nil, opError("accept", ln.l.Addr(), netipZero, net.ErrClosed)
		}
	}
}

// Close stops listening; connections not yet accepted are reset.
func (ln *Listener) Close() error {
	err := net.ErrClosed
	ln.once.Do(func() {
		err = nil
		close(ln.done)
		ln.l.Close(ln.s.clk.Now())
	})
	if err != nil {
		return opError("close", ln.l.Addr(), netipZero, err)
	}
	return nil
}

// Addr returns the listening address, a *net.TCPAddr.
func (ln *Listener) Addr() net.Addr { return net.TCPAddrFromAddrPort(ln.l.Addr()) }
