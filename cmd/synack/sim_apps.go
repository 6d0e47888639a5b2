package main

import (
	"errors"
	"io"
	"net/netip"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// peer is a scripted application on one connection of synack sim's
// scenarios: it writes out once the connection is synchronized, reads what
// arrives when reading is on, and calls its hooks once each.
type peer struct {
	d       *demo
	c       *stack.Conn
	out     []byte
	read    bool   // whether it reads what arrives
	close   bool   // whether it closes once out is written
	got     int    // bytes read
	onReady func() // once the connection is synchronized
	onEOF   func() // once the peer's FIN was read
	ready   bool
	closed  bool
	eof     bool
	stopped bool // the connection failed
}

// run starts p on its connection, taking at once what it already holds
// (an accepted connection may hold data and a FIN).
func (p *peer) run() *peer {
	p.d.drive(p.c.SetWaker, p.step)
	p.step()
	return p
}

// step does whatever the connection allows now.
func (p *peer) step() {
	if p.stopped {
		return
	}
	st := p.c.State()
	if !p.ready && st != tcp.SynSent && st != tcp.SynReceived && st != tcp.Closed {
		p.ready = true
		if p.onReady != nil {
			p.onReady()
		}
	}
	if len(p.out) > 0 && p.ready {
		n, err := p.c.Write(p.out)
		p.out = p.out[n:]
		if err != nil {
			p.out = nil
		}
	}
	if len(p.out) == 0 && p.ready && p.close && !p.closed {
		p.closed = true
		p.d.closeConn(p.c)
	}
	var buf [4096]byte
	for p.read && !p.eof {
		n, err := p.c.Read(buf[:])
		p.got += n
		switch {
		case errors.Is(err, io.EOF):
			p.eof = true
			if p.onEOF != nil {
				p.onEOF()
			}
		case err != nil:
			p.stopped = true
			return
		case n == 0:
			return
		}
	}
}

// startReading turns reading on, as an application that calls read at
// last.
func (p *peer) startReading() {
	p.read = true
	p.step()
}

// later runs f after d of virtual time.
func (d *demo) later(dt time.Duration, f func()) { d.w.After(dt, f) }

// closeConn closes c now, as the application's close call.
func (d *demo) closeConn(c *stack.Conn) { _ = c.Close(d.w.Now()) }

// dial opens a connection from the left host to the right host's echo port
// and runs a peer on it.
func (d *demo) dial(p peer) *peer {
	p.d, p.c = d, d.connect(0, netip.AddrPort{}, d.addr(1, echoPort))
	return p.run()
}

// listen makes the right host listen on the echo port with the given
// backlog (0: the default), calling handle with every connection accepted
// while accepting is on; it returns a function that turns accepting on,
// for scenarios whose server is slow to accept.
func (d *demo) listen(backlog int, accepting bool, handle func(c *stack.Conn)) (start func()) {
	ln, err := d.hosts[1].Listen(d.w.Now(), d.addr(1, echoPort), backlog)
	if err != nil {
		panic("synack sim: listen: " + err.Error())
	}
	accept := func() {
		for accepting {
			c, err := ln.Accept()
			if c == nil || err != nil {
				return
			}
			d.conns[1] = append(d.conns[1], c)
			handle(c)
		}
	}
	d.drive(ln.SetWaker, accept)
	return func() { accepting = true; accept() }
}

// serve makes the right host listen on the echo port and run a peer,
// reading, on each connection it accepts, after setup adjusts it.
func (d *demo) serve(setup func(p *peer)) {
	d.listen(0, true, func(c *stack.Conn) {
		p := &peer{d: d, c: c, read: true}
		setup(p)
		p.run()
	})
}
