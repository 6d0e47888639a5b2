package synack_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"

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
