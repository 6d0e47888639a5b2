package sim

import (
	"bytes"
	"io"

	"github.com/synack-net/synack/stack"
)

// App is a tiny application on a simulated connection: it sends a byte
// string, then (optionally) half-closes or closes, and collects whatever
// it receives. It runs inside the simulation, woken by the host whenever
// the connection may have changed, so a scenario needs no goroutines.
type App struct {
	w    *World
	Conn *stack.Conn

	// Send is written as fast as the send buffer allows.
	Send []byte
	// CloseAfterSend closes the connection once Send is queued;
	// ShutdownAfterSend half-closes it instead.
	CloseAfterSend, ShutdownAfterSend bool
	// CloseOnEOF closes the connection once the peer's FIN was read.
	CloseOnEOF bool
	// Echo writes back everything it reads.
	Echo bool

	// Received is everything read so far; EOF is set after the FIN,
	// Err after a failure.
	Received bytes.Buffer
	EOF      bool
	Err      error

	sent      int
	closed    bool
	scheduled bool
}

// Attach runs app on c from now on.
func (w *World) Attach(c *stack.Conn, app *App) *App {
	app.w, app.Conn = w, c
	c.SetWaker(app.wake)
	w.After(0, app.service)
	return app
}

func (a *App) wake() {
	if !a.scheduled {
		a.scheduled = true
		a.w.After(0, a.service)
	}
}

// service reads what arrived and writes what it can.
func (a *App) service() {
	a.scheduled = false
	for !a.EOF && a.Err == nil {
		n, err := a.Conn.Read(a.w.readBuf[:])
		if n > 0 {
			a.Received.Write(a.w.readBuf[:n])
			if a.Echo {
				a.Send = append(a.Send, a.w.readBuf[:n]...)
			}
		}
		if err == io.EOF {
			a.EOF = true
		} else if err != nil {
			a.Err = err
		}
		if n == 0 {
			break
		}
	}
	for a.sent < len(a.Send) && a.Err == nil {
		n, err := a.Conn.Write(a.Send[a.sent:])
		if err != nil {
			a.Err = err
			break
		}
		if n == 0 {
			break
		}
		a.sent += n
	}
	done := a.sent == len(a.Send)
	switch {
	case a.closed || a.Err != nil:
	case done && a.CloseAfterSend, done && a.CloseOnEOF && a.EOF:
		a.closed = true
		a.Conn.Close(a.w.now)
	case done && a.ShutdownAfterSend:
		a.closed = true
		a.Conn.Shutdown(a.w.now)
	}
}

// Done reports whether everything was sent and the peer's FIN was read.
func (a *App) Done() bool { return a.sent == len(a.Send) && a.EOF }
