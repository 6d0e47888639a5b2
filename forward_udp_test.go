package synack_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack/stack"
)

// A client's datagrams to an address only the tunnel knows become one
// flow there, whose LocalAddr is that address; the reply comes back from
// it. The flow expires 30 s after its last datagram (the client's reply
// was within its first 2 s: a DNS-like exchange keeps the short
// timeout), exactly, and the next datagram is a new flow.
func TestForwardUDPFlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, tunnel, _, stop := tunnelNet(plainConfig)
		defer stop()
		fl, err := tunnel.ListenForwardUDP(stack.UDPForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		dst := netip.MustParseAddrPort("192.0.2.53:53")
		c, err := client.DialUDPAddrPort("udp", netip.AddrPort{}, dst)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write([]byte("query")); err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		f, err := fl.Accept(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.LocalAddrPort() != dst || f.RemoteAddr().String() != c.LocalAddr().String() {
			t.Fatalf("flow %v <- %v, client %v", f.LocalAddr(), f.RemoteAddr(), c.LocalAddr())
		}
		buf := make([]byte, 64)
		n, err := f.Read(buf)
		if err != nil || string(buf[:n]) != "query" {
			t.Fatalf("flow read %q, %v", buf[:n], err)
		}
		if _, err := f.Write([]byte("answer")); err != nil {
			t.Fatal(err)
		}
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil || string(buf[:n]) != "answer" || from != dst {
			t.Fatalf("client read %q from %v, %v", buf[:n], from, err)
		}
		start := time.Now()
		readErr := make(chan error, 1)
		go func() {
			_, err := f.Read(buf)
			readErr <- err
		}()
		time.Sleep(30*time.Second - time.Millisecond)
		synctest.Wait()
		select {
		case err := <-readErr:
			t.Fatalf("the flow ended after %v: %v", time.Since(start), err)
		default:
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if err := <-readErr; !errors.Is(err, syscall.ETIMEDOUT) {
			t.Fatalf("read at expiry: %v", err)
		}
		if _, err := f.Write([]byte("late")); !errors.Is(err, syscall.ETIMEDOUT) {
			t.Fatalf("write after expiry: %v", err)
		}
		if fl.Flows() != 0 {
			t.Fatalf("%d flows", fl.Flows())
		}
		c.Write([]byte("again"))
		g, err := fl.Accept(ctx)
		if err != nil || g.LocalAddrPort() != dst {
			t.Fatalf("the next flow: %v, %v", g, err)
		}
		if k := tunnel.Counters(); k.UDPForwardFlows != 2 || k.UDPForwardExpired != 1 {
			t.Fatalf("counters: %d flows, %d expired", k.UDPForwardFlows, k.UDPForwardExpired)
		}
		fl.Close()
		if _, err := g.Read(buf); err == nil {
			t.Fatal("read after the listener closed")
		}
		if _, err := fl.Accept(ctx); err == nil {
			t.Fatal("Accept after Close")
		}
	})
}

// A relay of many flows at once: 20 clients, each its
// own flow, each answered with its own datagram reversed.
func TestForwardUDPManyFlows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, tunnel, _, stop := tunnelNet(plainConfig)
		defer stop()
		fl, err := tunnel.ListenForwardUDP(stack.UDPForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			for {
				f, err := fl.Accept(ctx)
				if err != nil {
					return
				}
				go func() {
					buf := make([]byte, 64)
					for {
						n, err := f.Read(buf)
						if err != nil {
							return
						}
						for i, j := 0, n-1; i < j; i, j = i+1, j-1 {
							buf[i], buf[j] = buf[j], buf[i]
						}
						f.Write(buf[:n])
					}
				}()
			}
		}()
		const n = 20
		errs := make(chan error, n)
		for i := range n {
			go func() {
				dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte{198, 18, 0, byte(i)}), 7)
				c, err := client.DialUDPAddrPort("udp", netip.AddrPort{}, dst)
				if err != nil {
					errs <- err
					return
				}
				defer c.Close()
				msg := []byte{'a', byte('A' + i), 'z'}
				c.Write(msg)
				buf := make([]byte, 8)
				m, err := c.Read(buf)
				if err == nil && string(buf[:m]) != string([]byte{'z', byte('A' + i), 'a'}) {
					err = errors.New("wrong answer " + string(buf[:m]))
				}
				errs <- err
			}()
		}
		for range n {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
		if fl.Flows() != n {
			t.Fatalf("%d flows", fl.Flows())
		}
		fl.Close()
	})
}

// A tunnel relaying UDP: the client's datagrams to 10.1.0.2:53, which
// only the tunnel reaches, become a flow there, relayed to the server's
// socket; the answer comes back from 10.1.0.2:53.
func ExampleStack_ListenForwardUDP() {
	client, tunnel, server, stop := tunnelNet(plainConfig)
	defer stop()
	srv, _ := server.ListenUDP("udp", &net.UDPAddr{Port: 53})
	go func() {
		buf := make([]byte, 512)
		for {
			n, from, err := srv.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			srv.WriteToUDPAddrPort(append([]byte("answer to "), buf[:n]...), from)
		}
	}()

	ufl, err := tunnel.ListenForwardUDP(stack.UDPForwardOptions{})
	if err != nil {
		panic(err)
	}
	defer ufl.Close()
	go func() {
		for {
			f, err := ufl.Accept(context.Background())
			if err != nil {
				return
			}
			fmt.Println("flow from", f.RemoteAddrPort().Addr(), "to", f.LocalAddr())
			up, err := tunnel.DialUDPAddrPort("udp", netip.AddrPort{}, f.LocalAddrPort())
			if err != nil {
				f.Close()
				continue
			}
			go func() { io.Copy(f, up); f.Close() }()
			go func() { io.Copy(up, f); up.Close() }() // until the flow expires
		}
	}()

	c, _ := client.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(10, 1, 0, 2), Port: 53})
	c.Write([]byte("query"))
	buf := make([]byte, 512)
	n, from, _ := c.ReadFromUDPAddrPort(buf)
	fmt.Println(string(buf[:n]), "from", from)
	c.Close()
	// Output:
	// flow from 10.0.0.1 to 10.1.0.2:53
	// answer to query from 10.1.0.2:53
}
