package synack_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link/pipe"
)

// Two stacks joined by an in-memory link: net/http over synack, and a
// refused connection matched with errors.Is.
func Example() {
	a, b := pipe.New(1500, 1024) // an in-memory link; a TUN device works the same way
	client, _ := synack.New(synack.Config{Name: "client",
		Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}}})
	server, _ := synack.New(synack.Config{Name: "server",
		Links: []synack.Link{{Link: b, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}}}})
	defer client.Close()
	defer server.Close()

	ln, _ := server.Listen("tcp", "10.0.0.2:80")
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s\n", r.Host)
	}))

	tr := &http.Transport{DialContext: client.DialContext}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr}).Get("http://10.0.0.2/")
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(string(body))

	_, err = client.Dial("tcp", "10.0.0.2:9")
	var oe *net.OpError
	errors.As(err, &oe)
	fmt.Println(errors.Is(err, syscall.ECONNREFUSED), oe.Op, oe.Addr, oe.Err)
	// Output:
	// hello from 10.0.0.2
	// true dial 10.0.0.2:9 connect: connection refused
}

// dualPair starts a client (10.0.0.1, fd00::1) configured by cfg and a
// server (10.0.0.2, fd00::2) joined by an in-memory link, and returns a
// function that stops both.
func dualPair(cfg synack.Config) (client, server *synack.Stack, stop func()) {
	a, b := pipe.New(1500, 1024)
	addrs := func(v4, v6 string) []netip.Prefix {
		return []netip.Prefix{netip.MustParsePrefix(v4), netip.MustParsePrefix(v6)}
	}
	cfg.Name, cfg.Links = "client", []synack.Link{{Link: a, Addrs: addrs("10.0.0.1/24", "fd00::1/64")}}
	client, err := synack.New(cfg)
	if err != nil {
		panic(err)
	}
	server, err = synack.New(synack.Config{Name: "server",
		Links: []synack.Link{{Link: b, Addrs: addrs("10.0.0.2/24", "fd00::2/64")}}})
	if err != nil {
		panic(err)
	}
	return client, server, func() { client.Close(); server.Close() }
}

// echo serves every connection of ln by writing back what it reads.
func echo(ln *synack.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			io.Copy(c, c) // Conn's WriteTo and ReadFrom
			c.Close()
		}()
	}
}

// A stack attached to a link with an address of each family.
func ExampleNew() {
	a, b := pipe.New(1500, 1024)
	defer b.Close()
	st, err := synack.New(synack.Config{
		Name: "host",
		Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{
			netip.MustParsePrefix("192.0.2.1/24"),
			netip.MustParsePrefix("2001:db8::1/64"),
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	fmt.Println(st.Counters().CurrEstab, "connections")
	// Output: 0 connections
}

// Dial returns a connection once the handshake is done; io.Copy to and
// from it takes the Conn's ReadFrom and WriteTo.
func ExampleStack_Dial() {
	client, server, stop := dualPair(synack.Config{})
	defer stop()
	ln, _ := server.Listen("tcp", "10.0.0.2:7")
	defer ln.Close()
	go echo(ln)

	c, err := client.Dial("tcp", "10.0.0.2:7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.RemoteAddr(), c.State())
	io.Copy(c, strings.NewReader("hello, echo\n"))
	c.CloseWrite()
	io.Copy(os.Stdout, c)
	c.Close()
	// Output:
	// 10.0.0.2:7 ESTABLISHED
	// hello, echo
}

// A context bounds a connection attempt: here nobody answers the SYNs.
func ExampleStack_DialContext() {
	client, _, stop := dualPair(synack.Config{})
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := client.DialContext(ctx, "tcp", "10.0.0.9:80") // no host has 10.0.0.9
	var ne net.Error
	fmt.Println(errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout())
	// Output: true true
}

// staticResolver answers names from a table, as a *net.Resolver would
// from DNS.
type staticResolver map[string][]netip.Addr

func (r staticResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if addrs, ok := r[host]; ok {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// With a Config.Resolver, Dial takes host names.
func ExampleConfig_resolver() {
	client, server, stop := dualPair(synack.Config{
		Resolver: staticResolver{"echo.test": {netip.MustParseAddr("10.0.0.2")}},
	})
	defer stop()
	ln, _ := server.Listen("tcp", ":7")
	defer ln.Close()
	go echo(ln)

	c, err := client.Dial("tcp", "echo.test:7")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.RemoteAddr())
	c.Close()
	_, err = client.Dial("tcp", "nowhere.test:7")
	fmt.Println(err)
	// Output:
	// 10.0.0.2:7
	// dial tcp: lookup nowhere.test: no such host
}

// "tcp" on a wildcard address listens on both families, as net.Listen
// does.
func ExampleStack_Listen() {
	client, server, stop := dualPair(synack.Config{})
	defer stop()
	ln, err := server.Listen("tcp", ":80")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	fmt.Println("listening on", ln.Addr())
	for _, to := range []string{"10.0.0.2:80", "[fd00::2]:80"} {
		c, err := client.Dial("tcp", to)
		if err != nil {
			fmt.Println(err)
			return
		}
		s, _ := ln.Accept()
		fmt.Println("accepted from", s.RemoteAddr().(*net.TCPAddr).IP, "on", s.LocalAddr())
		s.Close()
		c.Close()
	}
	// Output:
	// listening on [::]:80
	// accepted from 10.0.0.1 on 10.0.0.2:80
	// accepted from fd00::1 on [fd00::2]:80
}

// Accept waits for the next connection, or until the listener's deadline.
func ExampleListener_Accept() {
	client, server, stop := dualPair(synack.Config{})
	defer stop()
	ln, _ := server.Listen("tcp", "10.0.0.2:80")
	defer ln.Close()

	go func() {
		if c, err := client.Dial("tcp", "10.0.0.2:80"); err == nil {
			c.Write([]byte("hi"))
			c.Close()
		}
	}()
	c, err := ln.Accept()
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := io.ReadAll(c)
	c.Close()
	fmt.Printf("read %q\n", b)

	ln.SetDeadline(time.Now().Add(50 * time.Millisecond))
	_, err = ln.Accept()
	fmt.Println(err)
	// Output:
	// read "hi"
	// accept tcp 10.0.0.2:80: i/o timeout
}

// The options of a connection, as on a *net.TCPConn: buffer sizes,
// Nagle, keep-alive, and SetLinger, which here makes Close wait until the
// peer has acknowledged everything.
func ExampleConn_SetLinger() {
	client, server, stop := dualPair(synack.Config{})
	defer stop()
	ln, _ := server.Listen("tcp", "10.0.0.2:9")
	defer ln.Close()
	go func() {
		if c, err := ln.Accept(); err == nil {
			io.Copy(io.Discard, c)
			c.Close()
		}
	}()
	c, err := client.Dial("tcp", "10.0.0.2:9")
	if err != nil {
		fmt.Println(err)
		return
	}
	c.SetReadBuffer(64 << 10)
	c.SetWriteBuffer(256 << 10)
	c.SetNoDelay(false) // Nagle on; Go's default is off
	c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: time.Minute, Interval: 10 * time.Second, Count: 5})
	fmt.Println(c.Info().SendBuffer, c.Info().ReceiveBuffer)

	c.Write(make([]byte, 200_000))
	c.SetLinger(5)
	c.Close() // blocks until the data and the FIN are acknowledged, or 5 s
	fmt.Println("unacknowledged after Close:", c.Info().Unacked)
	// Output:
	// 262144 65536
	// unacknowledged after Close: 0
}
