package sim

import (
	"errors"
	"fmt"
	"io"
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// streamTable is the pattern every explored stream is cut from: stream s
// carries byte streamByte(s, i) at offset i. The table's length is a prime,
// so the pattern never lines up with segment or buffer sizes, and a byte
// delivered at the wrong offset, twice or from another stream shows.
var streamTable = func() [65521]byte {
	var t [65521]byte
	x := uint32(2463534242)
	for i := range t {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		t[i] = byte(x)
	}
	return t
}()

func streamByte(stream, off int) byte { return streamTable[(off+stream*7919)%len(streamTable)] }

// streamApp is one end's application in an explored world: it writes its
// stream as its AppPlan says, checks every byte it reads against the
// peer's stream, and ends its side as planned. It runs inside the
// simulation, woken by the host, like App.
type streamApp struct {
	run        *exploreRun
	h          *Host
	c          *stack.Conn
	plan       AppPlan
	name       string // "conn 3 client", for reports
	out, in    int    // the streams it writes and expects
	start      clock.Instant
	nextRead   clock.Instant
	nextWrite  clock.Instant
	written    int
	read       int
	eof        bool
	err        syscall.Errno // what a read or write failed with
	shut       bool          // shutdown(SHUT_WR) or close called: a FIN follows the data
	closed     bool
	aborted    bool
	closeEarly bool // closed before reading the peer's end of file: the peer may be reset
	scheduled  bool // a service call is queued for now
	timerAt    clock.Instant
	buf        []byte
}

func newStreamApp(r *exploreRun, h *Host, c *stack.Conn, plan AppPlan, name string, out, in int) *streamApp {
	a := &streamApp{run: r, h: h, c: c, plan: plan, name: name, out: out, in: in, start: h.Now(), buf: make([]byte, plan.ReadChunk)}
	a.nextRead = a.start.Add(plan.ReadAfter)
	a.nextWrite = a.start
	c.Configure(func(t *tcp.TCB) { t.SetNoDelay(plan.NoDelay) })
	c.SetWaker(a.wake)
	r.w.After(0, a.service)
	if plan.End == EndAbort {
		r.w.After(plan.AbortAt, a.abort)
	}
	return a
}

func (a *streamApp) wake() {
	if !a.scheduled {
		a.scheduled = true
		a.run.w.After(0, func() { a.scheduled = false; a.service() })
	}
}

// done reports whether the application has finished with the connection.
func (a *streamApp) done() bool {
	return a.aborted || a.closed && (a.eof || a.closeEarly) || a.err != 0
}

// service reads and writes what it can now, then ends its side when the
// plan says so.
func (a *streamApp) service() {
	if a.done() || a.run.failed() {
		return
	}
	if st := a.c.State(); st == tcp.SynSent || st == tcp.SynReceived {
		return // like a socket's user, it waits for connect to return
	}
	now := a.h.Now()
	a.readSome(now)
	a.writeSome(now)
	if a.err == 0 && !a.aborted {
		a.maybeEnd()
	}
}

// readSome reads and checks what arrived, within the plan's pacing.
func (a *streamApp) readSome(now clock.Instant) {
	for !a.eof && a.err == 0 && !a.closed && now >= a.nextRead {
		n, err := a.c.Read(a.buf)
		for i := range n {
			if a.buf[i] != streamByte(a.in, a.read+i) {
				a.run.fail("data", fmt.Errorf("%s: byte %d of the stream is %#x, want %#x", a.name, a.read+i, a.buf[i], streamByte(a.in, a.read+i)))
				return
			}
		}
		a.read += n
		switch {
		case err == io.EOF:
			a.eof = true
		case err != nil:
			a.fault(err)
		}
		if n == 0 {
			return
		}
		if a.plan.ReadGap > 0 {
			a.nextRead = now.Add(a.plan.ReadGap)
		}
	}
	if now < a.nextRead && !a.closed && !a.eof {
		a.serviceAt(a.nextRead)
	}
}

// serviceAt makes sure service runs at t (one pending timer at a time,
// the earliest asked for).
func (a *streamApp) serviceAt(t clock.Instant) {
	now := a.h.Now()
	if a.timerAt > now && a.timerAt <= t {
		return
	}
	a.timerAt = t
	a.run.w.After(t.Sub(now), func() {
		if a.timerAt == t {
			a.timerAt = 0
		}
		a.service()
	})
}

// writeSome writes the next chunks of the stream, within the plan's pacing.
func (a *streamApp) writeSome(now clock.Instant) {
	for a.written < a.plan.Send && a.err == 0 && !a.shut && now >= a.nextWrite {
		k := min(a.plan.WriteChunk, a.plan.Send-a.written, len(scratch))
		for i := range k {
			scratch[i] = streamByte(a.out, a.written+i)
		}
		n, err := a.c.Write(scratch[:k])
		a.written += n
		if err != nil {
			a.fault(err)
			return
		}
		if n == 0 {
			return // the buffer is full: woken when it drains
		}
		if a.plan.WriteGap > 0 {
			a.nextWrite = now.Add(a.plan.WriteGap)
		}
	}
	if now < a.nextWrite && a.written < a.plan.Send && !a.shut {
		a.serviceAt(a.nextWrite)
	}
}

// scratch is the write buffer of every streamApp: the world runs on one
// goroutine.
var scratch [64 << 10]byte

// maybeEnd ends the application's side as its plan says.
func (a *streamApp) maybeEnd() {
	sent := a.written == a.plan.Send
	now := a.h.Now()
	switch a.plan.End {
	case EndHalfClose:
		if sent && !a.shut {
			a.shut = true
			a.c.Shutdown(now)
		}
		if a.shut && a.eof && !a.closed {
			a.close(now)
		}
	case EndAfterEOF:
		if a.eof && sent && !a.closed {
			a.shut = true
			a.close(now)
		}
	case EndClose:
		if sent && !a.closed {
			a.shut, a.closeEarly = true, !a.eof
			a.close(now)
		}
	}
}

// close is close(2), which releases the socket whatever the connection's
// state: like the synack package's Conn.Close, it ignores the errno the
// host's Close reports for a connection already gone (ENOTCONN).
func (a *streamApp) close(now clock.Instant) {
	a.closed = true
	_ = a.c.Close(now)
}

// abort resets the connection (EndAbort), unless the application is done.
func (a *streamApp) abort() {
	if a.done() || a.run.failed() {
		return
	}
	a.aborted = true
	a.c.Abort(a.h.Now())
}

// fault records the errno a call failed with.
func (a *streamApp) fault(err error) {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		a.run.fail("api", fmt.Errorf("%s: error %v is not an errno", a.name, err))
		return
	}
	a.err = errno
}
