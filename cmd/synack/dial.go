package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"github.com/synack-net/synack"
)

// dialOptions are the flags of synack dial.
type dialOptions struct {
	netOptions
	linger0 bool
	timeout time.Duration
	trace   string // --trace: the file to write the events to, or ""
}

// runDial is `synack dial`: nc over a synack stack on a TUN device. The
// exit status is 0 once the peer has closed (or, with --linger0, once the
// reset is sent), 1 when the connection fails, 2 for a usage error.
func runDial(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o dialOptions
	o.register(fs)
	fs.BoolVar(&o.linger0, "linger0", false, "at the end of stdin abort the connection with a reset (SO_LINGER 0) instead of half-closing it")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up connecting after this long (0: after the SYN retries, 127 s)")
	fs.StringVar(&o.trace, "trace", "", "write every trace event to this `file`, in JSON Lines (for synack ladder)")
	if code, ok := parseFlags(fs, args, `Usage: synack dial --tun NAME --addr IP/PREFIX [--linger0] [--timeout D] [--mtu N] [--pcap FILE] [--trace FILE] HOST:PORT

Dial attaches a synack stack with address IP to the TUN device NAME (creating it
when missing), connects to HOST:PORT (a literal IP) and works like nc: it copies
stdin to the connection and half-closes it at the end of stdin, copies the
connection to stdout, and exits 0 once the peer has closed. Errors are printed
as Go prints them ("connection refused", "connection reset by peer", "i/o
timeout") and exit with status 1.

`); !ok {
		return code
	}
	addr, err := o.check(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "synack dial: %v\n", err)
		fs.Usage()
		return 2
	}
	ns, err := openStack(o.netOptions, addr)
	if err != nil {
		fmt.Fprintf(stderr, "synack dial: %v\n", err)
		return 1
	}
	stopObserving, err := observe("dial", "", o.trace, ns, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "synack dial: %v\n", err)
		ns.Close()
		return 1
	}
	code := dial(ns, o, fs.Arg(0), os.Stdin, stdout, stderr)
	if err := ns.Close(); err != nil {
		fmt.Fprintf(stderr, "synack dial: %v\n", err)
		code = max(code, 1)
	}
	stopObserving()
	return code
}

// check validates the options and the arguments left after the flags.
func (o dialOptions) check(args []string) (netip.Prefix, error) {
	switch {
	case len(args) == 0:
		return netip.Prefix{}, errors.New("want the HOST:PORT to connect to")
	case len(args) > 1:
		return netip.Prefix{}, fmt.Errorf("unexpected argument %q", args[1])
	case o.timeout < 0:
		return netip.Prefix{}, fmt.Errorf("--timeout %v: want a positive duration, or 0", o.timeout)
	}
	return o.prefix()
}

// dial connects to remote and runs the nc session; it returns the exit
// status.
func dial(ns *netStack, o dialOptions, remote string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx := context.Background()
	if o.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.timeout)
		defer cancel()
	}
	nc, err := ns.DialContext(ctx, "tcp", remote)
	if err != nil {
		fmt.Fprintf(stderr, "synack dial: %v\n", err)
		return 1
	}
	c := nc.(*synack.Conn)
	if err := session(c, o.linger0, stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "synack dial: %v\n", err)
		c.Close()
		return 1
	}
	ns.settle(settleTimeout, c)
	return 0
}

// session copies stdin to c and c to stdout. At the end of stdin it
// half-closes c, or with linger0 aborts it. It returns nil once the peer
// has closed (or c was aborted as asked), with c closed, or the first
// error.
func session(c *synack.Conn, linger0 bool, stdin io.Reader, stdout io.Writer) error {
	sent := make(chan error, 1)
	go func() {
		if _, err := io.Copy(c, stdin); err != nil {
			sent <- err
			return
		}
		if linger0 {
			c.SetLinger(0)
			sent <- c.Close()
			return
		}
		sent <- c.CloseWrite()
	}()
	received := make(chan error, 1)
	go func() {
		_, err := io.Copy(stdout, c)
		received <- err
	}()
	for {
		select {
		case err := <-sent:
			if err == nil && !linger0 {
				sent = nil // half-closed; the peer may go on sending
				continue
			}
			// A failure, or our own abort: the copy to stdout ends
			// with the connection; let it finish writing first.
			c.Close()
			<-received
			return err
		case err := <-received:
			if linger0 && errors.Is(err, net.ErrClosed) {
				// Our own abort stopped the copy.
				return <-sent
			}
			if err != nil {
				return err
			}
			// The peer closed: like nc, stop here, whether or not
			// stdin has ended; what stdin gave is sent before our FIN.
			c.Close()
			return nil
		}
	}
}
