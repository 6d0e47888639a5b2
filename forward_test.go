package synack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"os"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/stack"
)

// tunnelNet is a client (10.0.0.1), a tunnel (10.0.0.2 towards the
// client, 10.1.0.1 towards the server) and a server (10.1.0.2). The
// client reaches the server only through the tunnel's forwarding, which
// routes the packets it sends from addresses it does not own by their
// destination.
func tunnelNet(cfg func(name string, links []synack.Link) synack.Config) (client, tunnel, server *synack.Stack, stop func()) {
	ca, cb := pipe.New(1500, 1024)
	sa, sb := pipe.New(1500, 1024)
	mk := func(name string, links ...synack.Link) *synack.Stack {
		s, err := synack.New(cfg(name, links))
		if err != nil {
			panic(err)
		}
		return s
	}
	link := func(l *pipe.Endpoint, addr string) synack.Link {
		return synack.Link{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}
	}
	client = mk("client", link(ca, "10.0.0.1/24"))
	tunnel = mk("tunnel", link(sb, "10.1.0.1/24"), link(cb, "10.0.0.2/24"))
	server = mk("server", link(sa, "10.1.0.2/24"))
	return client, tunnel, server, func() { client.Close(); tunnel.Close(); server.Close() }
}

func plainConfig(name string, links []synack.Link) synack.Config {
	return synack.Config{Name: name, Links: links}
}

// forward serves fl: each request is dialed to its real destination
// (from the client's own address when transparent), refused if that
// fails, else completed and spliced to it.
func forward(ctx context.Context, tunnel *synack.Stack, fl *synack.ForwardListener, transparent bool) {
	for {
		r, err := fl.Accept(ctx)
		if err != nil {
			return
		}
		go func() {
			var from netip.AddrPort
			if transparent {
				from = r.RemoteAddr()
			}
			up, err := tunnel.DialTCP(ctx, "tcp", from, r.LocalAddr())
			if err != nil {
				r.Refuse()
				return
			}
			down, err := r.Complete(ctx)
			if err != nil {
				up.Close()
				return
			}
			splice(down, up)
		}()
	}
}

// splice copies both ways, passing each half-close on, then closes both.
func splice(a, b *synack.Conn) {
	done := make(chan struct{})
	go func() { io.Copy(b, a); b.CloseWrite(); close(done) }()
	io.Copy(a, b)
	a.CloseWrite()
	<-done
	a.Close()
	b.Close()
}

// A client connects through the tunnel to a server that echoes: 1 MiB
// goes there and back; a port with no server is refused end to end. In
// transparent mode the server sees the client's own address.
func TestForwardTunnel(t *testing.T) {
	for _, transparent := range []bool{false, true} {
		t.Run(fmt.Sprintf("transparent=%v", transparent), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				client, tunnel, server, stop := tunnelNet(plainConfig)
				defer stop()
				ln, err := server.Listen("tcp", ":80")
				if err != nil {
					t.Fatal(err)
				}
				seen := make(chan netip.AddrPort, 1)
				go func() {
					c, err := ln.AcceptTCP()
					if err != nil {
						return
					}
					seen <- netip.MustParseAddrPort(c.RemoteAddr().String())
					io.Copy(c, c)
					c.Close()
				}()
				fl, err := tunnel.ListenForward(stack.ForwardOptions{})
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go forward(ctx, tunnel, fl, transparent)

				c, err := client.DialTCP(ctx, "tcp", netip.AddrPort{}, netip.MustParseAddrPort("10.1.0.2:80"))
				if err != nil {
					t.Fatal(err)
				}
				msg := make([]byte, 1<<20)
				rand.NewChaCha8([32]byte{}).Read(msg)
				go func() { c.Write(msg); c.CloseWrite() }()
				got, err := io.ReadAll(c)
				if err != nil || !bytes.Equal(got, msg) {
					t.Fatalf("echo through the tunnel: %d of %d bytes, %v", len(got), len(msg), err)
				}
				c.Close()
				want := netip.MustParseAddrPort("10.1.0.1:0").Addr()
				if transparent {
					want = netip.MustParseAddrPort(c.LocalAddr().String()).Addr()
				}
				if from := <-seen; from.Addr() != want {
					t.Fatalf("server saw %v, want %v", from, want)
				}

				_, err = client.DialTCP(ctx, "tcp", netip.AddrPort{}, netip.MustParseAddrPort("10.1.0.2:81"))
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("dial to a closed port through the tunnel: %v", err)
				}
				if k := tunnel.Counters(); k.ForwardRequests != 2 || k.ForwardDrops != 0 {
					t.Fatalf("tunnel: %d requests, %d drops", k.ForwardRequests, k.ForwardDrops)
				}
				if err := fl.Close(); err != nil {
					t.Fatal(err)
				}
				ln.Close()
			})
		})
	}
}

// A request not answered is dropped: the client's connect times out,
// its retransmitted SYNs each a new request once Dropped.
func TestForwardDropTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, tunnel, _, stop := tunnelNet(plainConfig)
		defer stop()
		fl, err := tunnel.ListenForward(stack.ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				r, err := fl.Accept(context.Background())
				if err != nil {
					return
				}
				r.Drop()
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err = client.DialTCP(ctx, "tcp", netip.AddrPort{}, netip.MustParseAddrPort("10.1.0.2:80"))
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("dial: %v", err)
		}
		// The SYN at 0 s and its retransmissions at 1, 3 and 7 s.
		if k := tunnel.Counters(); k.ForwardRequests != 4 {
			t.Fatalf("%d requests", k.ForwardRequests)
		}
		fl.Close()
	})
}

// A tunnel: the client's connection to 10.1.0.2:80, which only the
// tunnel can reach, is taken by the tunnel's ForwardListener, dialed on
// to the real server, completed and spliced.
func ExampleStack_ListenForward() {
	client, tunnel, server, stop := tunnelNet(plainConfig)
	defer stop()
	ln, _ := server.Listen("tcp", ":80")
	go echo(ln)

	fl, err := tunnel.ListenForward(stack.ForwardOptions{})
	if err != nil {
		panic(err)
	}
	defer fl.Close()
	go func() {
		ctx := context.Background()
		for {
			r, err := fl.Accept(ctx)
			if err != nil {
				return
			}
			go func() {
				fmt.Println("forwarding", r.RemoteAddr().Addr(), "to", r.LocalAddr())
				up, err := tunnel.DialTCP(ctx, "tcp", netip.AddrPort{}, r.LocalAddr())
				if err != nil {
					r.Refuse() // the client sees ECONNREFUSED
					return
				}
				down, err := r.Complete(ctx)
				if err != nil {
					up.Close()
					return
				}
				splice(down, up)
			}()
		}
	}()

	c, err := client.Dial("tcp", "10.1.0.2:80")
	if err != nil {
		panic(err)
	}
	c.Write([]byte("hello through the tunnel"))
	c.CloseWrite()
	b, _ := io.ReadAll(c)
	fmt.Println(string(b))
	c.Close()
	// Output:
	// forwarding 10.0.0.1 to 10.1.0.2:80
	// hello through the tunnel
}

// Complete fails with ECONNRESET when the client has gone: its stack
// resets the SYN-ACK.
func TestForwardCompleteClientGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, tunnel, _, stop := tunnelNet(plainConfig)
		defer stop()
		fl, err := tunnel.ListenForward(stack.ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer fl.Close()
		ctx, cancel := context.WithCancel(context.Background())
		dialed := make(chan error)
		go func() {
			_, err := client.DialTCP(ctx, "tcp", netip.AddrPort{}, netip.MustParseAddrPort("10.1.0.2:80"))
			dialed <- err
		}()
		r, err := fl.Accept(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		cancel()
		if err := <-dialed; !errors.Is(err, context.Canceled) {
			t.Fatalf("dial: %v", err)
		}
		start := time.Now()
		if _, err := r.Complete(context.Background()); !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("Complete: %v", err)
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("Complete took %v", d)
		}
	})
}
