package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/bench/gvnet"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/stack"
)

// forwardBatch is the number of connections one iteration of
// BenchmarkForwardAccept forwards.
const forwardBatch = 1000

// forwardConcurrency is how many clients dial at once.
const forwardConcurrency = 16

// BenchmarkForwardAccept measures a forwarder's accept rate: a synack
// client opens forwardBatch connections per iteration, forwardConcurrency
// at a time, each to its own destination (198.18.0.0/15) that only the
// forwarding host takes, and closes each once the forwarder has handed
// it over (a FIN each way, the client's first); the forwarder completes
// every SYN at once and closes after the client's FIN. The forwarding host is synack (ListenForward, each
// request completed by a goroutine of the application, as a tun2socks
// does after its upstream dial) or gVisor (tcp.Forwarder, which starts a
// goroutine per SYN itself, with maxInFlight 1024). It reports conn/s.
func BenchmarkForwardAccept(b *testing.B) {
	for _, s := range []struct {
		name   string
		listen func(tb testing.TB, l *pipe.Endpoint) (net.Listener, func())
	}{
		{"synack", synackForwarder},
		{"gvisor", gvisorForwarder},
	} {
		b.Run(s.name, func(b *testing.B) {
			lc, lf := pipe.New(1500, linkQueueLen)
			client := newSynackHost(b, "client", lc, clientAddr)
			defer client.st.Close()
			ln, stop := s.listen(b, lf)
			defer stop()
			benchForward(b, client.st, ln)
		})
	}
}

// synackForwarder is a synack host forwarding on l; its listener's
// connections are the completed requests.
func synackForwarder(tb testing.TB, l *pipe.Endpoint) (net.Listener, func()) {
	h := newSynackHost(tb, "forwarder", l, serverAddr)
	fl, err := h.st.ListenForward(stack.ForwardOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	ln := &completing{conns: make(chan net.Conn, 1024)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for {
			r, err := fl.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				c, err := r.Complete(ctx)
				if err == nil {
					ln.conns <- c
				}
			}()
		}
	}()
	return ln, func() { cancel(); fl.Close(); h.st.Close() }
}

// completing is a listener over a channel of connections.
type completing struct{ conns chan net.Conn }

func (l *completing) Accept() (net.Conn, error) { return <-l.conns, nil }
func (l *completing) Close() error              { return nil }
func (l *completing) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4zero} }

// gvisorForwarder is a gVisor host forwarding on l with tcp.Forwarder.
func gvisorForwarder(tb testing.TB, l *pipe.Endpoint) (net.Listener, func()) {
	h, err := gvnet.New(l, serverAddr)
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := h.ListenForward(0, 1024)
	if err != nil {
		tb.Fatal(err)
	}
	return ln, func() { ln.Close(); h.Close() }
}

func benchForward(b *testing.B, client *synack.Stack, ln net.Listener) {
	// The forwarder's side: read to the client's FIN, then close.
	go func() {
		buf := make([]byte, 16)
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				s.Read(buf)
				s.Close()
			}()
		}
	}()
	b.ResetTimer()
	start := time.Now()
	n := b.N * forwardBatch
	next := make(chan int, n)
	for i := range n {
		next <- i
	}
	close(next)
	errs := make(chan error, forwardConcurrency)
	for range forwardConcurrency {
		go func() {
			buf := make([]byte, 1)
			for i := range next {
				dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18 + byte(i>>16&1), byte(i >> 8), byte(i)}), 80)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				c, err := client.DialTCP(ctx, "tcp", netip.AddrPort{}, dst)
				cancel()
				if err != nil {
					errs <- err
					return
				}
				c.CloseWrite()
				if k, err := c.Read(buf); k != 0 || err != io.EOF { // the forwarder's FIN
					errs <- fmt.Errorf("read = %d, %v; want EOF", k, err)
					return
				}
				c.Close()
			}
			errs <- nil
		}()
	}
	for range forwardConcurrency {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(n)/elapsed.Seconds(), "conn/s")
}
