package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pcap"
	"github.com/synack-net/synack/tcp"
)

// netOptions are the flags that serve and dial share: where the stack
// attaches to the kernel's network.
type netOptions struct {
	tun  string
	addr string
	mtu  int
	pcap string
}

// register defines the shared flags on fs.
func (o *netOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.tun, "tun", "", "the TUN `device` to attach to, created if missing (required)")
	fs.StringVar(&o.addr, "addr", "", "the stack's address and the prefix routed through the device, as `IP/PREFIX` (required)")
	fs.IntVar(&o.mtu, "mtu", 0, "set the device's MTU to `N` (0 keeps the device's own; a new device has 1500)")
	fs.StringVar(&o.pcap, "pcap", "", "write every packet the stack sends or receives to this pcap `file`")
}

// prefix checks the shared flags and returns the stack's address.
func (o *netOptions) prefix() (netip.Prefix, error) {
	switch {
	case o.tun == "":
		return netip.Prefix{}, errors.New("--tun: a device name is required")
	case o.addr == "":
		return netip.Prefix{}, errors.New("--addr: an IP/PREFIX is required")
	case o.mtu < 0 || o.mtu > 65535:
		return netip.Prefix{}, fmt.Errorf("--mtu %d: want 0 (keep) or up to 65535", o.mtu)
	}
	p, err := netip.ParsePrefix(o.addr)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("--addr: %v", err)
	}
	return p, nil
}

// device is the TUN device a netStack runs on (a *tun.Device on Linux;
// openDevice fails elsewhere).
type device interface {
	link.Link
	Name() string
}

// netStack is a synack stack on a TUN device, with an optional capture.
type netStack struct {
	*synack.Stack
	clk     clock.Clock // the stack's
	dev     device
	capture *os.File
	buf     *bufio.Writer
	tap     *pcap.Tap
}

// openStack opens the TUN device of o, with segmentation offload, and
// starts a stack called synack with address addr on it, capturing to
// o.pcap if set.
func openStack(o netOptions, addr netip.Prefix) (*netStack, error) {
	dev, err := openDevice(o)
	if err != nil {
		return nil, err
	}
	ns := &netStack{dev: dev}
	clk := clock.NewReal()
	start := time.Now()
	var l link.Link = dev
	if o.pcap != "" {
		f, err := os.Create(o.pcap)
		if err != nil {
			dev.Close()
			return nil, err
		}
		ns.capture, ns.buf = f, bufio.NewWriterSize(f, 256<<10)
		w, err := pcap.NewWriter(ns.buf)
		if err != nil {
			f.Close()
			dev.Close()
			return nil, err
		}
		ns.tap = pcap.NewTapAt(dev, w, clk, start)
		l = ns.tap
	}
	st, err := synack.New(synack.Config{
		Name:  "synack",
		Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{addr}}},
		Clock: clk,
	})
	if err != nil {
		ns.closeLink()
		return nil, err
	}
	ns.Stack, ns.clk = st, clk
	return ns, nil
}

// Close stops the stack, closes the device and completes the capture file.
func (ns *netStack) Close() error {
	ns.Stack.Close()
	return ns.closeLink()
}

func (ns *netStack) closeLink() error {
	ns.dev.Close()
	if ns.capture == nil {
		return nil
	}
	err := ns.tap.Err()
	if ferr := ns.buf.Flush(); err == nil {
		err = ferr
	}
	if cerr := ns.capture.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--pcap %s: %w", ns.capture.Name(), err)
	}
	return nil
}

// settle waits, for at most limit, until every connection in cs has
// finished its part of the close (our FIN acknowledged: FIN_WAIT_2,
// TIME_WAIT or CLOSED) and the stack has sent everything it queued, so
// that closing the stack then cuts nothing short.
func (ns *netStack) settle(limit time.Duration, cs ...*synack.Conn) {
	deadline := time.Now().Add(limit)
	// The host's queue is briefly empty while the event loop builds a
	// batch, so the condition must hold on two polls in a row.
	quiet := 0
	for quiet < 2 && time.Now().Before(deadline) {
		if !ns.HasPendingOutput() && allSettled(cs) {
			quiet++
		} else {
			quiet = 0
		}
		time.Sleep(time.Millisecond)
	}
}

func allSettled(cs []*synack.Conn) bool {
	for _, c := range cs {
		if !settled(c.State()) {
			return false
		}
	}
	return true
}

// settled reports whether a closed connection in state s has nothing
// more to say to its peer that the peer is waiting for.
func settled(s tcp.State) bool {
	return s == tcp.Closed || s == tcp.TimeWait || s == tcp.FinWait2
}
