package main

import (
	"errors"
	"io"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// echoClient is the application that sends the message: once its
// connection is established it writes the message, then reads the echo and,
// when all of it is back, calls echoed. It closes its end if the peer closes
// first.
type echoClient struct {
	d       *demo
	c       *stack.Conn
	out     []byte // what remains to be written
	echoed  []byte // what was read back
	want    int    // how many bytes make the whole echo
	onEcho  func() // called once the whole echo was read
	called  bool   // whether onEcho was called
	closed  bool   // whether the client closed its end
	stopped bool   // whether the connection failed
}

// runClient starts an echoClient on c that sends the demo's message.
func (d *demo) runClient(c *stack.Conn, onEcho func()) {
	a := &echoClient{d: d, c: c, out: []byte(d.msg), want: len(d.msg), onEcho: onEcho}
	d.client = a
	d.drive(c.SetWaker, a.step)
}

// send queues more text to write, as the application's next write call.
func (a *echoClient) send(p []byte) {
	a.out = append(a.out, p...)
	a.step()
}

// step does whatever the connection allows now.
func (a *echoClient) step() {
	if a.stopped {
		return
	}
	if st := a.c.State(); len(a.out) > 0 && (st == tcp.Established || st == tcp.CloseWait) {
		n, err := a.c.Write(a.out)
		a.out = a.out[n:]
		if err != nil {
			a.out = nil
		}
	}
	var buf [2048]byte
	for {
		n, err := a.c.Read(buf[:])
		a.echoed = append(a.echoed, buf[:n]...)
		if errors.Is(err, io.EOF) {
			a.close()
			break
		}
		if err != nil {
			a.stopped = true
			return
		}
		if n == 0 {
			break
		}
	}
	if !a.called && len(a.echoed) >= a.want {
		a.called = true
		a.onEcho()
	}
}

// close closes the client's end, once.
func (a *echoClient) close() {
	if !a.closed {
		a.closed = true
		_ = a.c.Close(a.d.w.Now())
	}
}

// echoServer is the echo service (RFC 862) on one connection: it writes
// back whatever it reads and closes its end once it has read the peer's FIN
// and written everything back.
type echoServer struct {
	d       *demo
	c       *stack.Conn
	pending []byte // read but not yet written back
	eof     bool   // whether the peer's FIN was read
	closed  bool   // whether the server closed its end
}

// serveEcho starts an echoServer on c.
func (d *demo) serveEcho(c *stack.Conn) {
	a := &echoServer{d: d, c: c}
	d.server = a
	d.drive(c.SetWaker, a.step)
	a.step()
}

// step does whatever the connection allows now.
func (a *echoServer) step() {
	if a.closed {
		return
	}
	var buf [2048]byte
	for !a.eof {
		n, err := a.c.Read(buf[:])
		a.pending = append(a.pending, buf[:n]...)
		if errors.Is(err, io.EOF) {
			a.eof = true
		} else if err != nil {
			a.closed = true // the connection failed: nothing left to do
			return
		} else if n == 0 {
			break
		}
	}
	if len(a.pending) > 0 {
		n, err := a.c.Write(a.pending)
		a.pending = a.pending[n:]
		if err != nil {
			a.closed = true
			return
		}
	}
	if a.eof && len(a.pending) == 0 {
		a.close()
	}
}

// close closes the server's end, once.
func (a *echoServer) close() {
	if !a.closed {
		a.closed = true
		_ = a.c.Close(a.d.w.Now())
	}
}
