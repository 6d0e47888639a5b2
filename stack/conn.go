package stack

import (
	"sync"
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// Conn is a host's handle on one connection. Its methods are non-blocking
// user calls: they return at once, and a caller that must wait does so
// until the function set with SetWaker is called.
type Conn struct {
	h     *Host
	tuple Tuple

	mu  sync.Mutex // guards tcb
	tcb *tcp.TCB

	// Set by the driver under Host.mu.
	heapIndex int
	deadline  clock.Instant
	listener  *Listener // the listener that created it, until accepted
	removed   bool      // no longer in the host's table

	dirty bool // guarded by Host.dirtyMu

	waker func() // called with no lock held after the TCB may have changed
}

func newConn(h *Host, t Tuple) *Conn {
	return &Conn{h: h, tuple: t, heapIndex: -1, deadline: clock.Never}
}

// Tuple returns the connection's two ends.
func (c *Conn) Tuple() Tuple { return c.tuple }

// SetWaker sets the function the host calls (from the driver goroutine,
// without locks held) whenever the connection's state, readable data or
// send space may have changed. It must not block.
func (c *Conn) SetWaker(f func()) {
	c.mu.Lock()
	c.waker = f
	c.mu.Unlock()
}

func (c *Conn) wake() {
	c.mu.Lock()
	f := c.waker
	c.mu.Unlock()
	if f != nil {
		f()
	}
}

// State returns the connection's state.
func (c *Conn) State() tcp.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tcb.State()
}

// Info returns a snapshot of the TCB's variables.
func (c *Conn) Info() tcp.Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tcb.Info()
}

// Write queues data (see tcp.TCB.Write): n is what fit; 0, nil means the
// send buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	n, err := c.tcb.Write(p)
	c.mu.Unlock()
	if n > 0 {
		c.h.markDirty(c)
	}
	return n, err
}

// Read takes received data (see tcp.TCB.Read): 0, nil means nothing yet.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	n, err := c.tcb.Read(p)
	out := c.tcb.AckPending()
	c.mu.Unlock()
	if out {
		c.h.markDirty(c) // a window update
	}
	return n, err
}

// Status reports, under one lock, what a blocked reader or writer needs.
func (c *Conn) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tcb
	return Status{
		State:    t.State(),
		Readable: t.Readable(),
		ReadDone: t.ReadDone(),
		Writable: t.Writable(),
		Err:      t.Err(),
		Unacked:  t.Info().Unacked,
	}
}

// Status is a snapshot of a connection for a user waiting on it.
type Status struct {
	State    tcp.State
	Readable int           // bytes Read would return
	ReadDone bool          // no more data will arrive (EOF or error)
	Writable int           // bytes Write would accept
	Err      syscall.Errno // the connection's error, if it failed
	Unacked  int           // bytes sent and not yet acknowledged
}

// call runs a user call that changes the TCB and queues its output.
func (c *Conn) call(f func(t *tcp.TCB) error) error {
	c.mu.Lock()
	err := f(c.tcb)
	c.mu.Unlock()
	c.h.markDirty(c)
	return err
}

// Shutdown closes the sending direction (shutdown(SHUT_WR)).
func (c *Conn) Shutdown(now clock.Instant) error {
	return c.call(func(t *tcp.TCB) error { return t.Shutdown(now) })
}

// Close closes both directions (close(2)).
func (c *Conn) Close(now clock.Instant) error {
	return c.call(func(t *tcp.TCB) error { return t.Close(now) })
}

// CloseRead shuts down the receiving direction (shutdown(SHUT_RD)).
func (c *Conn) CloseRead() {
	c.mu.Lock()
	c.tcb.CloseRead()
	c.mu.Unlock()
}

// Abort resets the connection (SO_LINGER 0 then close).
func (c *Conn) Abort(now clock.Instant) {
	_ = c.call(func(t *tcp.TCB) error { t.Abort(now); return nil })
}

// Configure runs f on the TCB under its lock, for option setters
// (SetNoDelay, SetKeepAlive, buffer sizes), and queues any output.
func (c *Conn) Configure(f func(t *tcp.TCB)) {
	_ = c.call(func(t *tcp.TCB) error { f(t); return nil })
}

// crash makes the connection vanish as in a reboot: it is closed without
// a word to the peer, and local users see ECONNABORTED.
func (c *Conn) crash(now clock.Instant) {
	c.mu.Lock()
	c.tcb.Crash(now)
	c.mu.Unlock()
	c.wake()
}

// StateChanged implements tcp.Observer: it keeps the MIB counters and
// records the transition. It runs with c.mu held.
func (c *Conn) StateChanged(now clock.Instant, from, to tcp.State, why tcp.Cause) {
	h := c.h
	h.countMu.Lock()
	k := &h.counters
	switch {
	case from == tcp.Closed && to == tcp.SynSent:
		k.ActiveOpens++
	case from == tcp.Listen && to == tcp.SynReceived:
		k.PassiveOpens++
	case (from == tcp.SynSent || from == tcp.SynReceived) && (to == tcp.Closed || to == tcp.Listen):
		k.AttemptFails++
	case (from == tcp.Established || from == tcp.CloseWait) && to == tcp.Closed && why.Kind == tcp.CauseSegment:
		k.EstabResets++
	case from == tcp.TimeWait && to == tcp.Closed:
		k.TimeWaited++
	}
	if to == tcp.Established || to == tcp.CloseWait {
		if from != tcp.Established && from != tcp.CloseWait {
			k.CurrEstab++
		}
	} else if from == tcp.Established || from == tcp.CloseWait {
		k.CurrEstab--
	}
	h.countMu.Unlock()
	h.record(trace.Event{Time: now, Local: c.tuple.Local, Remote: c.tuple.Remote,
		Kind: trace.KindState, From: from, To: to, Cause: why})
}

// TimerFired implements tcp.Observer.
func (c *Conn) TimerFired(now clock.Instant, t tcp.Timer) {
	h := c.h
	if t == tcp.TimerRetransmit {
		h.countMu.Lock()
		h.counters.TCPTimeouts++
		h.countMu.Unlock()
	}
	h.record(trace.Event{Time: now, Local: c.tuple.Local, Remote: c.tuple.Remote,
		Kind: trace.KindTimer, Timer: t})
}
