package main

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/synack-net/synack"
)

// completeTimeout bounds the wait for a client's final ACK once a
// request is completed: a request answered with a SYN cookie reports no
// failure (stack.ForwardRequest.Complete), so the wait needs its own end.
const completeTimeout = 30 * time.Second

// relays are forward's relays in progress, for shutdown to close.
type relays struct {
	up upstream
	wg sync.WaitGroup

	mu      sync.Mutex
	live    map[io.Closer]struct{}
	closing bool
}

func newRelays(up upstream) *relays {
	return &relays{up: up, live: make(map[io.Closer]struct{})}
}

// track notes cs as open, or closes them and reports false once shutdown
// has begun.
func (r *relays) track(cs ...io.Closer) bool {
	r.mu.Lock()
	closing := r.closing
	if !closing {
		for _, c := range cs {
			r.live[c] = struct{}{}
		}
	}
	r.mu.Unlock()
	if closing {
		for _, c := range cs {
			c.Close()
		}
	}
	return !closing
}

// done closes cs and forgets them.
func (r *relays) done(cs ...io.Closer) {
	r.mu.Lock()
	for _, c := range cs {
		delete(r.live, c)
	}
	r.mu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

// closeAll closes every relay and waits, for at most limit, for their
// goroutines to end. It returns the stack's connections it closed, for
// the caller to let their FINs go out before the stack stops.
func (r *relays) closeAll(limit time.Duration) []*synack.Conn {
	r.mu.Lock()
	r.closing = true
	live := r.live
	r.live = nil
	r.mu.Unlock()
	var conns []*synack.Conn
	for c := range live {
		c.Close()
		if sc, ok := c.(*synack.Conn); ok {
			conns = append(conns, sc)
		}
	}
	ended := make(chan struct{})
	go func() { r.wg.Wait(); close(ended) }()
	select {
	case <-ended:
	case <-time.After(limit):
	}
	return conns
}

// acceptTCP takes the forwarding requests until the listener closes.
func (r *relays) acceptTCP(ctx context.Context, fl *synack.ForwardListener) {
	for {
		req, err := fl.Accept(ctx)
		if err != nil {
			return
		}
		r.wg.Add(1)
		go r.relayTCP(ctx, req)
	}
}

// relayTCP connects upstream first, then answers the client: completes
// its handshake once the upstream connection is up, refuses it (a reset,
// ECONNREFUSED) when the upstream refused, and else leaves the SYN
// unanswered, so that the client times out as it would have.
func (r *relays) relayTCP(ctx context.Context, req *synack.ForwardRequest) {
	defer r.wg.Done()
	dctx, cancel := context.WithTimeout(ctx, upstreamTimeout)
	up, err := r.up.connect(dctx, req.LocalAddr())
	cancel()
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			req.Refuse()
		} else {
			req.Drop()
		}
		return
	}
	cctx, cancel := context.WithTimeout(ctx, completeTimeout)
	down, err := req.Complete(cctx)
	cancel()
	if err != nil {
		up.Close()
		return
	}
	if !r.track(down, up) {
		return
	}
	defer r.done(down, up)
	var both sync.WaitGroup
	both.Add(1)
	go func() { defer both.Done(); splice(up, down) }()
	splice(down, up)
	both.Wait()
}

// halfCloser is a TCP connection of either side: a *synack.Conn or a
// *net.TCPConn.
type halfCloser interface {
	io.ReadWriteCloser
	CloseWrite() error
	SetLinger(sec int) error
}

// splice copies src to dst and passes its end on: src's EOF becomes dst's
// FIN (the half-close goes through), an error from a peer resets both, so
// that a reset on one side becomes a reset on the other. Our own Close of
// either (at shutdown) closes both gracefully.
func splice(dst, src halfCloser) {
	if _, err := io.Copy(dst, src); err != nil {
		if !errors.Is(err, net.ErrClosed) {
			dst.SetLinger(0)
			src.SetLinger(0)
		}
		dst.Close()
		src.Close()
		return
	}
	dst.CloseWrite()
}

// acceptUDP takes the UDP flows until the listener closes.
func (r *relays) acceptUDP(ctx context.Context, ufl *synack.UDPForwardListener) {
	for {
		f, err := ufl.Accept(ctx)
		if err != nil {
			return
		}
		r.wg.Add(1)
		go r.relayUDP(ctx, f)
	}
}

// relayUDP carries a flow's datagrams upstream and the answers back,
// until the flow expires idle (or either side fails).
func (r *relays) relayUDP(ctx context.Context, f *synack.UDPFlow) {
	defer r.wg.Done()
	dctx, cancel := context.WithTimeout(ctx, upstreamTimeout)
	up, err := r.up.openUDP(dctx, f.LocalAddrPort())
	cancel()
	if err != nil {
		f.Close()
		return
	}
	if !r.track(f, up) {
		return
	}
	defer r.done(f, up)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65535)
		for {
			n, err := up.recv(buf)
			if err != nil {
				f.Close()
				return
			}
			// A datagram over the device's MTU is dropped, as a router
			// without fragmentation would; anything else ends the flow.
			if _, err := f.Write(buf[:n]); err != nil && !errors.Is(err, syscall.EMSGSIZE) {
				up.Close()
				return
			}
		}
	}()
	buf := make([]byte, 65535)
	for {
		n, err := f.Read(buf)
		if err != nil {
			return
		}
		if err := up.send(buf[:n]); err != nil {
			return
		}
	}
}
