package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/synack-net/synack/trace"
)

// observe starts what serve's --debug-addr and --trace ask for on ns, and
// returns the function that stops them (the trace file complete).
func observe(o serveOptions, ns *netStack, stderr io.Writer) (stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	if o.trace != "" {
		f, err := os.Create(o.trace)
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
				fmt.Fprintf(stderr, "synack serve: --trace %s: %v\n", o.trace, err)
			}
			if n := sub.Dropped(); n > 0 {
				fmt.Fprintf(stderr, "synack serve: --trace %s: %d events dropped (the file could not keep up)\n", o.trace, n)
			}
		})
	}
	if o.debugAddr != "" {
		ln, err := net.Listen("tcp", o.debugAddr)
		if err != nil {
			return stop, fmt.Errorf("--debug-addr: %w", err)
		}
		d := newDebugServer(ns.Stack, ns.clk)
		hs := &http.Server{Handler: d.handler(), ReadHeaderTimeout: 10 * time.Second}
		go hs.Serve(ln)
		fmt.Fprintf(stderr, "synack serve: live view on http://%v/\n", ln.Addr())
		stops = append(stops, func() { hs.Close(); d.Close() })
	}
	return stop, nil
}
