package synack_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"testing/synctest"

	"golang.org/x/net/nettest"
)

// TestNetHTTP runs net/http's server on a synack listener and its client
// through another synack stack's DialContext.
func TestNetHTTP(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := twoStacks(t)
		ln, err := ss.Listen("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "hello %s from %s", r.RemoteAddr, r.Host)
		})}
		go srv.Serve(ln)
		tr := &http.Transport{DialContext: cs.DialContext}
		client := &http.Client{Transport: tr}
		for i := 0; i < 3; i++ {
			resp, err := client.Get("http://10.0.0.2/")
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			if want := "hello 10.0.0.1:"; string(body[:len(want)]) != want {
				t.Fatalf("body %q", body)
			}
		}
		tr.CloseIdleConnections()
		srv.Close()
	})
}

// TestConnConformance runs golang.org/x/net/nettest's net.Conn suite.
func TestConnConformance(t *testing.T) {
	nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
		cs, ss := twoStacks(t)
		ln, err := ss.Listen("tcp", "10.0.0.2:80")
		if err != nil {
			return nil, nil, nil, err
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}()
		c1, err = cs.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			return nil, nil, nil, err
		}
		c2 = <-accepted
		stop = func() {
			c1.Close()
			c2.Close()
			ln.Close()
			cs.Close()
			ss.Close()
		}
		return c1, c2, stop, nil
	})
}
