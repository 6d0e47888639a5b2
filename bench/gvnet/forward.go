package gvnet

import (
	"fmt"
	"net"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/waiter"
)

// ListenForward makes the host take TCP connections to any address and
// port through gVisor's tcp.Forwarder, set up as tun2socks and
// wireguard-go's users do (the NIC promiscuous and spoofing, a receive
// window of rcvWnd bytes, 0 for the default, and at most maxInFlight
// handshakes pending). Each SYN is completed at once, in the goroutine
// the forwarder starts for it; the connections come from the returned
// listener, whose Close stops taking them.
func (h *Host) ListenForward(rcvWnd, maxInFlight int) (net.Listener, error) {
	if err := h.stack.SetPromiscuousMode(nicID, true); err != nil {
		return nil, fmt.Errorf("gvnet: promiscuous mode: %s", err)
	}
	if err := h.stack.SetSpoofing(nicID, true); err != nil {
		return nil, fmt.Errorf("gvnet: spoofing: %s", err)
	}
	l := &forwardListener{conns: make(chan net.Conn, maxInFlight), done: make(chan struct{})}
	fwd := tcp.NewForwarder(h.stack, rcvWnd, maxInFlight, func(r *tcp.ForwarderRequest) {
		var wq waiter.Queue
		ep, err := r.CreateEndpoint(&wq)
		if err != nil {
			r.Complete(true)
			return
		}
		r.Complete(false)
		c := gonet.NewTCPConn(&wq, ep)
		select {
		case l.conns <- c:
		case <-l.done:
			c.Close()
		}
	})
	h.stack.SetTransportProtocolHandler(tcp.ProtocolNumber, fwd.HandlePacket)
	return l, nil
}

// forwardListener hands out a forwarder's connections.
type forwardListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (l *forwardListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *forwardListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr is the unspecified address: the forwarder takes any.
func (l *forwardListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }
