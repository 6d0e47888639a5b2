package synack

import (
	"context"
	"net"
	"net/netip"
	"sync"

	"github.com/synack-net/synack/stack"
)

// UDPForwardListener takes UDP datagrams to any destination that no UDP
// socket of the stack claims, grouped into flows by their 4-tuple, as
// the UDP side of a transparent proxy or a tun2socks: each new flow comes
// from Accept. It is stack.UDPForwardListener's goroutine-safe form; the
// stack holds no goroutine and no timer per flow.
type UDPForwardListener struct {
	s     *Stack
	fl    *stack.UDPForwardListener
	ready chan struct{}
	done  chan struct{}
	once  sync.Once
}

// ListenForwardUDP starts UDP forwarding with the given bounds (the zero
// value means 4096 flows, 128 waiting to be accepted, 64 datagrams
// queued per flow, and Linux conntrack's idle timeouts, 30 s and 120 s
// for a flow that has seen replies; see stack.UDPForwardOptions). A
// stack has at most one; while it is open the stack takes UDP datagrams
// to addresses it does not own.
func (s *Stack) ListenForwardUDP(o stack.UDPForwardOptions) (*UDPForwardListener, error) {
	fl, err := s.host.ListenForwardUDP(o)
	if err != nil {
		return nil, packetOpError("listen", "udp", "bind", nil, nil, err)
	}
	l := &UDPForwardListener{s: s, fl: fl, ready: make(chan struct{}, 1), done: make(chan struct{})}
	fl.SetWaker(func() {
		select {
		case l.ready <- struct{}{}:
		default:
		}
	})
	return l, nil
}

// Accept waits for the next new flow. It fails with net.ErrClosed after
// Close, and with ctx's error when ctx is done.
func (l *UDPForwardListener) Accept(ctx context.Context) (*UDPFlow, error) {
	fail := func(err error) (*UDPFlow, error) {
		return nil, packetOpError("accept", "udp", "accept", nil, nil, err)
	}
	for {
		if isClosed(l.done) || isClosed(l.s.done) {
			return fail(net.ErrClosed)
		}
		f, err := l.fl.Accept()
		if err != nil {
			return fail(net.ErrClosed)
		}
		if f != nil {
			c := &UDPFlow{packetCore: newPacketCore(l.s), f: f}
			f.SetWaker(c.notify)
			return c, nil
		}
		select {
		case <-l.ready:
		case <-l.done:
		case <-l.s.done:
		case <-ctx.Done():
			return fail(ctxErr(ctx))
		}
	}
}

// Flows returns the number of flows alive, accepted or not.
func (l *UDPForwardListener) Flows() int { return l.fl.Flows() }

// Close stops UDP forwarding and closes every flow, accepted or not.
func (l *UDPForwardListener) Close() error {
	err := net.ErrClosed
	l.once.Do(func() {
		err = nil
		close(l.done)
		l.fl.Close()
	})
	if err != nil {
		return packetOpError("close", "udp", "close", nil, nil, err)
	}
	return nil
}

// UDPFlow is one client's datagrams to one destination, taken by a
// UDPForwardListener. It implements net.Conn, datagram by datagram:
// LocalAddr is the destination the client sent to, RemoteAddr the
// client; Read returns the client's next datagram and Write sends one to
// the client from LocalAddr. The flow ends when it has been idle for its
// timeout: Read and Write then fail with an error wrapping
// syscall.ETIMEDOUT, and the client's next datagram is a new flow. Other
// errors are as UDPConn's.
type UDPFlow struct {
	packetCore
	f *stack.UDPFlow
}

// LocalAddr returns the destination the client sent to, a *net.UDPAddr.
func (c *UDPFlow) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.f.Tuple().Local) }

// RemoteAddr returns the client, a *net.UDPAddr.
func (c *UDPFlow) RemoteAddr() net.Addr { return net.UDPAddrFromAddrPort(c.f.Tuple().Remote) }

// LocalAddrPort is LocalAddr as a netip.AddrPort.
func (c *UDPFlow) LocalAddrPort() netip.AddrPort { return c.f.Tuple().Local }

// RemoteAddrPort is RemoteAddr as a netip.AddrPort.
func (c *UDPFlow) RemoteAddrPort() netip.AddrPort { return c.f.Tuple().Remote }

func (c *UDPFlow) opErr(op, syscallName string, err error) error {
	return packetOpError(op, "udp", syscallName, c.LocalAddr(), c.RemoteAddr(), err)
}

// Read reads the client's next datagram into p and returns its length
// (what fit: the rest of a longer datagram is discarded).
func (c *UDPFlow) Read(p []byte) (n int, err error) {
	err = c.read(func() (err error) {
		n, err = c.f.Recv(p)
		return err
	})
	if err != nil {
		return 0, c.opErr("read", "read", err)
	}
	return n, nil
}

// Write sends p to the client as one datagram from LocalAddr.
func (c *UDPFlow) Write(p []byte) (int, error) {
	err := c.write(func() error { return c.f.Send(c.s.clk.Now(), p) })
	if err != nil {
		return 0, c.opErr("write", "write", err)
	}
	return len(p), nil
}

// Close ends the flow: blocked and later calls return net.ErrClosed,
// what it had received is dropped, and the client's next datagram is a
// new flow.
func (c *UDPFlow) Close() error {
	if err := c.close(c.f.Close); err != nil {
		return c.opErr("close", "close", err)
	}
	return nil
}

// Drops returns how many of the client's datagrams were dropped because
// the flow's queue was full.
func (c *UDPFlow) Drops() uint64 { return c.f.Drops() }
