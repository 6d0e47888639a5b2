package sim

import (
	"fmt"
	"net/netip"

	"time"

	"github.com/synack-net/synack/stack"
)

// The explorer's connections and listeners: opening, accepting, and
// telling when a connection's applications are done.

// listen opens plan listener i (again, after its host rebooted), on
// both families' unspecified addresses, and accepts on it as its plan
// says.
func (r *exploreRun) listen(i int) {
	pl := r.p.Listens[i]
	h := r.hosts[pl.Host]
	for f, any := range []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()} {
		ln, err := h.Listen(h.Now(), netip.AddrPortFrom(any, pl.Port), pl.Backlog)
		if err != nil {
			r.fail("api", fmt.Errorf("listen %s:%d: %v", h.Name(), pl.Port, err))
			return
		}
		r.lns[i][f] = ln
		r.acceptOn(h, ln, pl.AcceptDelay)
	}
}

// acceptOn runs the application that accepts on ln, taking delay for each
// connection.
func (r *exploreRun) acceptOn(h *Host, ln *stack.Listener, delay time.Duration) {
	busy := false
	var acceptOne func()
	acceptOne = func() {
		busy = false
		c, err := ln.Accept()
		if err != nil || c == nil {
			return
		}
		r.accepted(h, c)
		if ln.Pending() > 0 {
			busy = true
			r.w.After(delay, acceptOne)
		}
	}
	ln.SetWaker(func() {
		if !busy {
			busy = true
			r.w.After(delay, acceptOne)
		}
	})
}

// accepted gives an accepted connection its planned server application.
func (r *exploreRun) accepted(h *Host, c *stack.Conn) {
	cr := r.byTuple[c.Tuple().Remote]
	if cr == nil || cr.server != nil {
		// A connection no plan made (a client port reused after a
		// reboot): nobody serves it.
		c.Abort(h.Now())
		return
	}
	cr.server = newStreamApp(r, h, c, cr.plan.ServerApp, fmt.Sprintf("conn %d server", cr.i), 2*cr.i+1, 2*cr.i)
}

// closeListener closes plan listener i with whatever it holds.
func (r *exploreRun) closeListener(i int) {
	r.closedListen[i] = true
	for f, ln := range r.lns[i] {
		if ln != nil {
			ln.Close(r.hosts[r.p.Listens[i].Host].Now())
			r.lns[i][f] = nil
		}
	}
}

// open makes a planned connection: an active open to its listener, or
// both ends of a simultaneous open.
func (r *exploreRun) open(c *connRun) {
	pc := c.plan
	client, server := r.hosts[pc.Client], r.hosts[pc.Server]
	dst := hostAddr(pc.Server, pc.IPv6)
	if pc.Listen < 0 {
		src := hostAddr(pc.Client, pc.IPv6)
		cp, sp := uint16(40000+c.i), uint16(50000+c.i)
		cc, err1 := client.Connect(client.Now(), netip.AddrPortFrom(src, cp), netip.AddrPortFrom(dst, sp))
		sc, err2 := server.Connect(server.Now(), netip.AddrPortFrom(dst, sp), netip.AddrPortFrom(src, cp))
		if err1 != nil || err2 != nil {
			r.fail("api", fmt.Errorf("conn %d: simultaneous open: %v, %v", c.i, err1, err2))
			return
		}
		c.clientConn = cc
		c.client = newStreamApp(r, client, cc, pc.ClientApp, fmt.Sprintf("conn %d client", c.i), 2*c.i, 2*c.i+1)
		c.server = newStreamApp(r, server, sc, pc.ServerApp, fmt.Sprintf("conn %d server", c.i), 2*c.i+1, 2*c.i)
		return
	}
	port := r.p.Listens[pc.Listen].Port
	cc, err := client.Connect(client.Now(), netip.AddrPort{}, netip.AddrPortFrom(dst, port))
	if err != nil {
		r.fail("api", fmt.Errorf("conn %d: connect: %v", c.i, err))
		return
	}
	c.clientConn = cc
	r.byTuple[cc.Tuple().Local] = c
	c.client = newStreamApp(r, client, cc, pc.ClientApp, fmt.Sprintf("conn %d client", c.i), 2*c.i, 2*c.i+1)
}

// finished reports whether the connection's applications are done: the
// client's, and the server's once it was accepted. A connection never
// accepted is done when its client is, whatever its listener still holds:
// the drain at the end settles that.
func (c *connRun) finished() bool {
	if c.client == nil {
		return false // not opened yet
	}
	return c.client.done() && (c.server == nil || c.server.done())
}
