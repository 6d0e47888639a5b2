package gvnet

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// Conn is a gVisor TCP connection that keeps its endpoint, so that it can
// be aborted with a reset (gonet.TCPConn hides the endpoint and has no
// SetLinger).
type Conn struct {
	*gonet.TCPConn
	ep tcpip.Endpoint
}

// Abort closes the connection instead of Close with SO_LINGER set to zero: gVisor sends a
// RST and discards queued data, as a kernel socket would.
func (c *Conn) Abort() error {
	c.ep.SocketOptions().SetLinger(tcpip.LingerOption{Enabled: true, Timeout: 0})
	c.ep.Close()
	return nil
}

// DialConn is Dial returning a Conn that can be aborted.
func (h *Host) DialConn(ctx context.Context, remote netip.AddrPort) (*Conn, error) {
	proto, fa := fullAddr(remote)
	var wq waiter.Queue
	ep, terr := h.stack.NewEndpoint(tcp.ProtocolNumber, proto, &wq)
	if terr != nil {
		return nil, fmt.Errorf("gvnet: new endpoint: %s", terr)
	}
	entry, ready := waiter.NewChannelEntry(waiter.WritableEvents)
	wq.EventRegister(&entry)
	defer wq.EventUnregister(&entry)
	terr = ep.Connect(fa)
	if _, ok := terr.(*tcpip.ErrConnectStarted); ok {
		select {
		case <-ctx.Done():
			ep.Close()
			return nil, ctx.Err()
		case <-ready:
		}
		terr = ep.LastError()
	}
	if terr != nil {
		ep.Close()
		return nil, &net.OpError{Op: "connect", Net: "tcp",
			Addr: net.TCPAddrFromAddrPort(remote), Err: errors.New(terr.String())}
	}
	return &Conn{TCPConn: gonet.NewTCPConn(&wq, ep), ep: ep}, nil
}

// Listener accepts Conns that can be aborted. It implements net.Listener.
type Listener struct {
	ep   tcpip.Endpoint
	wq   *waiter.Queue
	addr net.Addr
	done chan struct{}
	once sync.Once
}

// ListenConns is Listen returning a Listener whose connections can be
// aborted.
func (h *Host) ListenConns(port uint16) (*Listener, error) {
	proto, fa := fullAddr(netip.AddrPortFrom(h.addr.Addr(), port))
	wq := new(waiter.Queue)
	ep, terr := h.stack.NewEndpoint(tcp.ProtocolNumber, proto, wq)
	if terr != nil {
		return nil, fmt.Errorf("gvnet: new endpoint: %s", terr)
	}
	if terr := ep.Bind(fa); terr != nil {
		ep.Close()
		return nil, fmt.Errorf("gvnet: bind port %d: %s", port, terr)
	}
	if terr := ep.Listen(1024); terr != nil {
		ep.Close()
		return nil, fmt.Errorf("gvnet: listen on port %d: %s", port, terr)
	}
	la, terr := ep.GetLocalAddress()
	if terr != nil {
		ep.Close()
		return nil, fmt.Errorf("gvnet: local address: %s", terr)
	}
	addr := &net.TCPAddr{IP: net.IP(la.Addr.AsSlice()), Port: int(la.Port)}
	return &Listener{ep: ep, wq: wq, addr: addr, done: make(chan struct{})}, nil
}

// AcceptConn waits for the next connection.
func (l *Listener) AcceptConn() (*Conn, error) {
	entry, ready := waiter.NewChannelEntry(waiter.ReadableEvents)
	l.wq.EventRegister(&entry)
	defer l.wq.EventUnregister(&entry)
	for {
		ep, wq, terr := l.ep.Accept(nil)
		if terr == nil {
			return &Conn{TCPConn: gonet.NewTCPConn(wq, ep), ep: ep}, nil
		}
		if _, ok := terr.(*tcpip.ErrWouldBlock); !ok {
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: errors.New(terr.String())}
		}
		select {
		case <-ready:
		case <-l.done:
			return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.addr, Err: net.ErrClosed}
		}
	}
}

// Accept implements net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.AcceptConn()
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Close stops listening; connections not yet accepted are reset.
func (l *Listener) Close() error {
	err := error(&net.OpError{Op: "close", Net: "tcp", Addr: l.addr, Err: net.ErrClosed})
	l.once.Do(func() {
		err = nil
		close(l.done)
		l.ep.Close()
	})
	return err
}

// Addr returns the listening address, a *net.TCPAddr.
func (l *Listener) Addr() net.Addr { return l.addr }
