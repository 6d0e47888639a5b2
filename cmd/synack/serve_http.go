package main

import (
	"fmt"
	"html"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/synack-net/synack"
)

// connKey keys the request context's net.Conn (set by the server's
// ConnContext hook).
type connKey struct{}

// maxBytes bounds /bytes?n=N.
const maxBytes = 1 << 40

// httpHandler serves synack serve's pages:
//
//	/           a page showing the connection's 4-tuple and TCP state
//	/bytes?n=N  N bytes of application/octet-stream; byte k is k mod 256
func httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", handleIndex)
	mux.HandleFunc("GET /bytes", handleBytes)
	return mux
}

// handleIndex shows the request's connection as synack sees it.
func handleIndex(w http.ResponseWriter, r *http.Request) {
	c, _ := r.Context().Value(connKey{}).(net.Conn)
	if c == nil {
		http.Error(w, "no connection", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!doctype html>\n<title>synack</title>\n<h1>Hello from synack</h1>\n")
	fmt.Fprintf(w, "<p>This page came over a TCP connection run by synack, a userspace TCP/IP stack.</p>\n")
	fmt.Fprintf(w, "<pre>\nconnection %s -> %s\n", html.EscapeString(c.RemoteAddr().String()), html.EscapeString(c.LocalAddr().String()))
	if sc, ok := c.(*synack.Conn); ok {
		i := sc.Info()
		fmt.Fprintf(w, "state      %v\nmss        %d\nsrtt       %v\ncwnd       %d\nsnd.wnd    %d\nrcv.wnd    %d\n",
			i.State, i.MSS, time.Duration(i.SRTT), i.CWnd, i.SndWnd, i.RcvWnd)
	}
	fmt.Fprintf(w, "</pre>\n")
}

// handleBytes streams n bytes, byte k being k mod 256.
func handleBytes(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.URL.Query().Get("n"), 10, 64)
	if err != nil || n < 0 || n > maxBytes {
		http.Error(w, fmt.Sprintf("want /bytes?n=N with N from 0 to %d", int64(maxBytes)), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	var chunk [64 << 10]byte // a multiple of 256, so every chunk starts at 0
	for i := range chunk {
		chunk[i] = byte(i)
	}
	for n > 0 {
		k := min(n, int64(len(chunk)))
		if _, err := w.Write(chunk[:k]); err != nil {
			return
		}
		n -= k
	}
}
