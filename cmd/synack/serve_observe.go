package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/synack-net/synack/trace"
)

// observeOptions are the flags of the live view and the trace, which
// serve and forward share.
type observeOptions struct {
	debugAddr string // --debug-addr: where to serve the live view, or ""
	trace     string // --trace: the file to write the events to, or ""
}

// register defines the flags on fs.
func (o *observeOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.debugAddr, "debug-addr", "", "serve the live view on this kernel `address` (host:port, e.g. 127.0.0.1:6060): "+
		"/ the sockets, /api/connections, /metrics (Prometheus), /debug/pprof/")
	fs.StringVar(&o.trace, "trace", "", "write every trace event to this `file`, in JSON Lines (for synack ladder)")
}

// observe starts what --debug-addr (serve's and forward's) and --trace
// (theirs and dial's) ask for on ns, either "" for none, and returns the function that
// stops them, the trace file complete; cmd names the command in messages.
func observe(cmd, debugAddr, tracePath string, ns *netStack, stderr io.Writer) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if tracePath != "" {
		f, err := os.Create(tracePath)
		if err != nil {
			return stop, fmt.Errorf("--trace: %w", err)
		}
		buf := bufio.NewWriterSize(f, 64<<10)
		j := trace.NewJSONLines(buf)
		sub := trace.NewSubscription(1 << 14)
		ns.Subscribe(sub)
		done := make(chan struct{})
		go func() {
			defer close(done)
			for e := range sub.Events() {
				j.Record(e)
			}
		}()
		stops = append(stops, func() {
			sub.Close()
			<-done
			err := errors.Join(j.Err(), buf.Flush(), f.Close())
			if err != nil {
				fmt.Fprintf(stderr, "synack %s: --trace %s: %v\n", cmd, tracePath, err)
			}
			if n := sub.Dropped(); n > 0 {
				fmt.Fprintf(stderr, "synack %s: --trace %s: %d events dropped (the file could not keep up)\n", cmd, tracePath, n)
			}
		})
	}
	if debugAddr != "" {
		ln, err := net.Listen("tcp", debugAddr)
		if err != nil {
			return stop, fmt.Errorf("--debug-addr: %w", err)
		}
		d := newDebugServer(ns.Stack, ns.clk)
		hs := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		fmt.Fprintf(stderr, "synack %s: live view on http://%v/\n", cmd, ln.Addr())
		stops = append(stops, func() { hs.Close(); d.Close() })
	}
	return stop, nil
}
