package main

import (
	"net/netip"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/sim"
	"github.com/synack-net/synack/stack"
)

// The addresses of the demo's two hosts: the left one of the diagram (the
// client) and the right one (the server).
var (
	leftPrefix  = netip.MustParsePrefix("10.0.0.1/24")
	rightPrefix = netip.MustParsePrefix("10.0.0.2/24")
)

// reorderDelay is how much longer than the others a reordered packet
// takes (--reorder).
const reorderDelay = 25 * time.Millisecond

// echoPort is the port of the echo service (RFC 862).
const echoPort = 7

// runLimit bounds the virtual time of a run, so that a scenario that never
// settles (under heavy loss, say) still ends.
const runLimit = 10 * time.Minute

// demo is one run of a scenario: a world of two hosts and the connections
// their applications held.
type demo struct {
	opt   demoOptions
	msg   string // the text the client sends
	w     *sim.World
	hosts [2]*sim.Host
	conns [2][]*stack.Conn // each host's connections, in order of creation

	client *echoClient // the application that sends the message
	server *echoServer // the application that echoes it

	capture []capturedPacket // every packet sent, for --format pcap, or nil
}

// newDemo builds the world of scenario sc: the two hosts and the network
// between them, with the delay and loss of o in both directions.
func newDemo(sc scenario, o demoOptions) *demo {
	w := sim.New(o.seed)
	d := &demo{opt: o, msg: sc.text(o), w: w}
	for side, p := range []netip.Prefix{leftPrefix, rightPrefix} {
		d.hosts[side] = w.AddHost(sc.hosts[side], p, func(c *stack.Config) {
			if sc.config != nil {
				sc.config(side, c)
			}
		})
	}
	imp := netem.Impairment{Delay: o.delay, Loss: o.loss, Jitter: o.jitter, Duplicate: o.dup,
		Reorder: o.reorder, ReorderDelay: reorderDelay}
	w.Net.SetPath(d.hosts[0].ID, d.hosts[1].ID, imp)
	w.Net.SetPath(d.hosts[1].ID, d.hosts[0].ID, imp)
	return d
}

// addr is host side's address with the given port.
func (d *demo) addr(side int, port uint16) netip.AddrPort {
	p := leftPrefix
	if side == 1 {
		p = rightPrefix
	}
	return netip.AddrPortFrom(p.Addr(), port)
}

// connect makes host side open a connection from local (port 0: an
// ephemeral one) to remote, now.
func (d *demo) connect(side int, local, remote netip.AddrPort) *stack.Conn {
	c, err := d.hosts[side].Connect(d.w.Now(), local, remote)
	if err != nil {
		// The demo's hosts are fresh and its addresses valid: a failure
		// here is a bug of the demo, not an outcome to report.
		panic("synack demo: connect: " + err.Error())
	}
	d.conns[side] = append(d.conns[side], c)
	return c
}

// listenEcho makes the right host listen on the echo port and serve every
// connection it accepts with an echoServer.
func (d *demo) listenEcho() {
	ln, err := d.hosts[1].Listen(d.w.Now(), d.addr(1, echoPort), 0)
	if err != nil {
		panic("synack demo: listen: " + err.Error())
	}
	d.drive(ln.SetWaker, func() {
		for {
			c, err := ln.Accept()
			if c == nil || err != nil {
				return
			}
			d.conns[1] = append(d.conns[1], c)
			d.serveEcho(c)
		}
	})
}

// drive arranges for f to run as a simulation action, at the current
// instant, whenever the waker installed by setWaker is called; wake-ups that
// come while f is already scheduled are merged.
func (d *demo) drive(setWaker func(func()), f func()) {
	pending := false
	setWaker(func() {
		if pending {
			return
		}
		pending = true
		d.w.After(0, func() {
			pending = false
			f()
		})
	})
}
