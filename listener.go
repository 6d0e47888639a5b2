package synack

import (
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/synack-net/synack/stack"
)

// Listener accepts connections on a Stack. It implements net.Listener.
// On a stack of several shards it is one stack.Listener per shard, each
// with its own queues (shard_listen.go).
type Listener struct {
	s        *Stack
	l        *stack.Listener   // shard 0's
	ls       []*stack.Listener // every shard's, shard 0's first
	backlog  int               // the bound the shards' accept queues share
	next     atomic.Uint32     // the shard Accept looks at first
	ready    chan struct{}
	done     chan struct{}
	once     sync.Once
	deadline deadline
}

// Listen listens on address ("ip:port", a literal IP) for network "tcp",
// "tcp4" or "tcp6", with the host's default backlog (4096). As with Go's
// net.Listen, an empty or unspecified IP with "tcp" (":80", "[::]:80",
// "0.0.0.0:80") listens on all of the stack's addresses of both families,
// and Addr reports [::]:port; with "tcp4" or "tcp6" it listens on that
// family's addresses only.
func (s *Stack) Listen(network, address string) (*Listener, error) {
	return s.ListenBacklog(network, address, 0)
}

// ListenBacklog is Listen with an explicit accept-queue bound. On a
// stack of several shards each shard queues the connections whose tuple
// it owns, and the queues count together against the backlog, as one
// listen(2) socket's queue does; each shard's SYN queue holds up to an
// equal part of the backlog (rounded up), so a SYN flood finds a
// shard's SYN queue full, and cookies answered, as soon as it finds one
// listener's.
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
	bind := ap
	if network == "tcp" && ap.Addr().IsUnspecified() {
		// Go's net.Listen: an IPv6 socket with IPV6_V6ONLY off.
		bind = netip.AddrPortFrom(netip.Addr{}, ap.Port())
	}
	ls, backlog, err := s.listenAll(bind, backlog)
	if err != nil {
		return nil, opError("listen", ap, netipZero, err)
	}
	ln := &Listener{s: s, l: ls[0], ls: ls, backlog: backlog, ready: make(chan struct{}, 1), done: make(chan struct{})}
	for _, l := range ls {
		l.SetWaker(func() {
			select {
			case ln.ready <- struct{}{}:
			default:
			}
		})
	}
	return ln, nil
}

// Accept waits for and returns the next established connection. After
// the deadline set with SetDeadline it returns a *net.OpError wrapping
// os.ErrDeadlineExceeded.
func (ln *Listener) Accept() (net.Conn, error) { return ln.AcceptTCP() }

// AcceptTCP is Accept returning the concrete *Conn.
func (ln *Listener) AcceptTCP() (*Conn, error) {
	for {
		select {
		case <-ln.done:
			return nil, opError("accept", ln.l.Addr(), netipZero, net.ErrClosed)
		case <-ln.deadline.wait():
			// As Go's poller: a passed deadline fails Accept even when
			// a connection is waiting.
			return nil, opError("accept", ln.l.Addr(), netipZero, os.ErrDeadlineExceeded)
		default:
		}
		c, err := ln.acceptAny()
		if err != nil {
			return nil, opError("accept", ln.l.Addr(), netipZero, err)
		}
		if c != nil {
			return newConn(ln.s, c), nil
		}
		select {
		case <-ln.ready:
		case <-ln.done:
		case <-ln.deadline.wait():
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
		now := ln.s.clk.Now()
		ln.s.listenMu.Lock()
		for _, l := range ln.ls {
			l.Close(now)
		}
		ln.s.listenMu.Unlock()
	})
	if err != nil {
		return opError("close", ln.l.Addr(), netipZero, err)
	}
	return nil
}

// SetDeadline sets the deadline for Accept calls, current and future, as
// *net.TCPListener's does; the zero time means none.
func (ln *Listener) SetDeadline(t time.Time) error {
	if isClosed(ln.done) {
		return opError("set", ln.l.Addr(), netipZero, net.ErrClosed)
	}
	ln.deadline.set(t)
	return nil
}

// Addr returns the listening address, a *net.TCPAddr.
func (ln *Listener) Addr() net.Addr { return net.TCPAddrFromAddrPort(ln.l.Addr()) }

// Backlog returns the bound on the accept queue: the backlog given to
// ListenBacklog (or the default, 4096), capped at Config.Host.DefaultBacklog
// as Linux caps listen(2)'s at somaxconn. `ss -lnt` shows it as
// Send-Q. On a stack of several shards the shards' queues share it (see
// ListenBacklog).
func (ln *Listener) Backlog() int { return ln.backlog }

// Pending returns the number of established connections waiting to be
// accepted (`ss -lnt`'s Recv-Q), over all shards.
func (ln *Listener) Pending() int {
	n := 0
	for _, l := range ln.ls {
		n += l.Pending()
	}
	return n
}

// HalfOpen returns the number of half-open connections (SYN_RCVD) held in
// the listener's SYN queues, over all shards. SYNs answered with a SYN
// cookie hold nothing and are not counted.
func (ln *Listener) HalfOpen() int {
	n := 0
	for _, l := range ln.ls {
		n += l.HalfOpen()
	}
	return n
}
