package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/synack-net/synack"
)

// server runs the services of synack serve on a stack and keeps every
// connection it accepted, so that shutdown can close them all.
type server struct {
	st   *synack.Stack
	addr netip.Addr

	wg sync.WaitGroup // accept loops, handlers and the HTTP server

	mu        sync.Mutex
	listeners []*synack.Listener
	conns     map[*synack.Conn]struct{}
	httpSrv   *http.Server
}

func newServer(st *synack.Stack, addr netip.Addr) *server {
	return &server{st: st, addr: addr, conns: make(map[*synack.Conn]struct{})}
}

// listen listens on the server's address and port.
func (s *server) listen(port uint16) (*synack.Listener, error) {
	ln, err := s.st.Listen("tcp", netip.AddrPortFrom(s.addr, port).String())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	return ln, nil
}

// track remembers an accepted connection until shutdown.
func (s *server) track(c *synack.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Forget the connections that have finished, so that a long run
	// does not accumulate them.
	for old := range s.conns {
		if settled(old.State()) {
			delete(s.conns, old)
		}
	}
	s.conns[c] = struct{}{}
}

// serveEcho serves echo (RFC 862) on port.
func (s *server) serveEcho(port uint16) error { return s.serveConns(port, echo) }

// serveDiscard serves discard (RFC 863) on port.
func (s *server) serveDiscard(port uint16) error { return s.serveConns(port, discard) }

// serveConns accepts connections on port and runs handle on each in its
// own goroutine; handle must close the connection.
func (s *server) serveConns(port uint16, handle func(*synack.Conn)) error {
	ln, err := s.listen(port)
	if err != nil {
		return err
	}
	s.wg.Go(func() {
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			s.track(c)
			s.wg.Go(func() { handle(c) })
		}
	})
	return nil
}

// echo writes back everything it reads, as it arrives; after the peer's
// FIN it closes once the echo is queued (Close sends the FIN after it).
func echo(c *synack.Conn) {
	defer c.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// discard reads and drops everything until the peer's FIN, then closes.
func discard(c *synack.Conn) {
	defer c.Close()
	io.Copy(io.Discard, c)
}

// serveHTTP serves the HTTP pages of httpHandler on port.
func (s *server) serveHTTP(port uint16) error {
	ln, err := s.listen(port)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           httpHandler(),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			if sc, ok := c.(*synack.Conn); ok {
				s.track(sc)
			}
			return context.WithValue(ctx, connKey{}, c)
		},
	}
	s.mu.Lock()
	s.httpSrv = srv
	s.mu.Unlock()
	s.wg.Go(func() { srv.Serve(ln) })
	return nil
}

// shutdown stops accepting, lets HTTP requests in progress run for up to
// drain, closes every connection (gracefully: FIN after the queued data)
// and waits for the handlers to return. It returns the connections, for
// the caller to wait until their closes complete.
func (s *server) shutdown(drain time.Duration) []*synack.Conn {
	s.mu.Lock()
	lns, srv := s.listeners, s.httpSrv
	s.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), drain)
		if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			srv.Close()
		}
		cancel()
	}
	s.mu.Lock()
	conns := make([]*synack.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.Close()
	}
	s.wg.Wait()
	return conns
}
