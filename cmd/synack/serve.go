package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// serveOptions are the flags of synack serve.
type serveOptions struct {
	netOptions
	observeOptions
	echo, discard, http int
}

// Bounds of serve's shutdown: how long HTTP requests in progress may run
// on, and how long the connections then have to finish closing.
const (
	drainTimeout  = 2 * time.Second
	settleTimeout = 3 * time.Second
)

// runServe is `synack serve`: a synack stack on a TUN device serving echo,
// discard and HTTP until SIGINT or SIGTERM. The exit status is 0 after a
// signal, 1 when the stack cannot start, 2 for a usage error.
func runServe(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o serveOptions
	o.netOptions.register(fs)
	fs.IntVar(&o.echo, "echo", 0, "serve echo (RFC 862) on this `port`: everything read is written back")
	fs.IntVar(&o.discard, "discard", 0, "serve discard (RFC 863) on this `port`: everything read is dropped")
	fs.IntVar(&o.http, "http", 0, "serve HTTP on this `port`: / shows the connection, /bytes?n=N sends N bytes")
	o.observeOptions.register(fs)
	if code, ok := parseFlags(fs, args, `Usage: synack serve --tun NAME --addr IP/PREFIX [--mtu N] [--echo PORT] [--discard PORT] [--http PORT] [--pcap FILE] [--debug-addr ADDR] [--trace FILE]

Serve attaches a synack stack with address IP to the TUN device NAME (creating
the device when missing and bringing it up) and serves the chosen services on
it until SIGINT or SIGTERM, then closes its connections and exits. The kernel
side of the device (its own address in PREFIX) is yours to configure, e.g.

	ip addr add 10.99.0.1/24 dev NAME

`); !ok {
		return code
	}
	addr, err := o.check(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "synack serve: %v\n", err)
		fs.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serve(ctx, o, addr, stderr)
}

// check validates the options and the arguments left after the flags.
func (o serveOptions) check(args []string) (netip.Prefix, error) {
	if len(args) > 0 {
		return netip.Prefix{}, fmt.Errorf("unexpected argument %q", args[0])
	}
	for _, p := range []struct {
		name string
		port int
	}{{"echo", o.echo}, {"discard", o.discard}, {"http", o.http}} {
		if p.port < 0 || p.port > 65535 {
			return netip.Prefix{}, fmt.Errorf("--%s %d: want a port from 1 to 65535 (0: off)", p.name, p.port)
		}
	}
	return o.prefix()
}

// serve runs the services until ctx is done, then shuts down gracefully.
func serve(ctx context.Context, o serveOptions, addr netip.Prefix, stderr io.Writer) int {
	ns, err := openStack(o.netOptions, addr)
	if err != nil {
		fmt.Fprintf(stderr, "synack serve: %v\n", err)
		return 1
	}
	stopObserving, err := observe("serve", o.debugAddr, o.trace, ns, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "synack serve: %v\n", err)
		ns.Close()
		return 1
	}
	defer stopObserving()
	srv := newServer(ns.Stack, addr.Addr())
	var running []string
	for _, s := range []struct {
		name string
		port int
		run  func(port uint16) error
	}{
		{"echo", o.echo, srv.serveEcho},
		{"discard", o.discard, srv.serveDiscard},
		{"http", o.http, srv.serveHTTP},
	} {
		if s.port == 0 {
			continue
		}
		if err := s.run(uint16(s.port)); err != nil {
			fmt.Fprintf(stderr, "synack serve: %s: %v\n", s.name, err)
			srv.shutdown(0)
			ns.Close()
			return 1
		}
		running = append(running, fmt.Sprintf("%s on %v", s.name, netip.AddrPortFrom(addr.Addr(), uint16(s.port))))
	}
	if len(running) == 0 {
		running = append(running, "no services (every port answers with a reset)")
	}
	fmt.Fprintf(stderr, "synack serve: %s up, MTU %d, address %v: %s\n",
		ns.dev.Name(), ns.dev.MTU(), addr, strings.Join(running, ", "))

	<-ctx.Done()
	conns := srv.shutdown(drainTimeout)
	ns.settle(settleTimeout, conns...)
	if err := ns.Close(); err != nil {
		fmt.Fprintf(stderr, "synack serve: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "synack serve: stopped\n")
	return 0
}
