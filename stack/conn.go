package stack

import (
	"io"
	"sync"
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// Conn is a host's handle on one connection. Its methods are non-blocking
// user calls: they return at once, and a caller that must wait does so
// until the function set with SetWaker is called.
type Conn struct {
	h     *Host
	tuple Tuple

	mu sync.Mutex // guards tcb and tw
	// tcb is the connection's TCB until TIME_WAIT. The host then replaces
	// it by tw, the compact entry that holds what TIME_WAIT needs, and the
	// TCB and its buffers are freed (see Host.compactTimeWait).
	tcb *tcp.TCB
	tw  *tcp.TimeWaitEntry

	// Set by the driver under Host.mu.
	timer    timerLink
	listener *Listener // the listener that created it, until accepted
	removed  bool      // no longer in the host's table

	dirty bool // guarded by Host.dirtyMu

	waker func() // called with no lock held after the TCB may have changed

	mem    connMemory // the TCB's buffer memory account; guarded by mu
	orphan bool       // counted in Host.orphans; guarded by mu
}

func newConn(h *Host, t Tuple) *Conn {
	c := &Conn{h: h, tuple: t, timer: unarmed}
	if h != nil { // tests of the timer wheel make hostless connections
		c.mem.pool = &h.mem
	}
	return c
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

// wake calls the waker. A connection whose TCB is gone (TIME_WAIT and
// after) has no more news for anyone, since reads return EOF and writes
// fail at once: its waker is called one last time and dropped, so that
// the entry does not keep the user's objects alive.
func (c *Conn) wake() {
	c.mu.Lock()
	f := c.waker
	if c.tcb == nil {
		c.waker = nil
	}
	c.mu.Unlock()
	if f != nil {
		f()
	}
}

// State returns the connection's state.
func (c *Conn) State() tcp.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tcb == nil {
		return c.tw.State()
	}
	return c.tcb.State()
}

// Info returns a snapshot of the TCB's variables (in TIME_WAIT and after,
// only the sequence variables remain).
func (c *Conn) Info() tcp.Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tcb == nil {
		return c.tw.Info()
	}
	return c.tcb.Info()
}

// TakeSoftError returns and forgets the ICMP soft error the connection
// remembers (see tcp.TCB.TakeSoftError); 0 once the TCB is gone.
func (c *Conn) TakeSoftError() syscall.Errno {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tcb == nil {
		return 0
	}
	return c.tcb.TakeSoftError()
}

// Write queues data (see tcp.TCB.Write): n is what fit; 0, nil means the
// send buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.tcb == nil {
		err := c.tw.CallErr(tcp.CallSend)
		c.mu.Unlock()
		return 0, err
	}
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
	if c.tcb == nil {
		c.mu.Unlock()
		return 0, io.EOF // the peer's FIN came before TIME_WAIT
	}
	n, err := c.tcb.Read(p)
	if c.mem.detached && c.tcb.Readable() == 0 {
		c.tcb.FreeBuffers() // the last read of a connection the host has let go
	}
	// A window update to send, or a TCB in TIME_WAIT now drained, which
	// the next Flush compacts.
	out := c.tcb.AckPending() || n > 0 && c.tcb.State() == tcp.TimeWait && c.tcb.Readable() == 0
	c.mu.Unlock()
	if out {
		c.h.markDirty(c)
	}
	return n, err
}

// Status reports, under one lock, what a blocked reader or writer needs.
func (c *Conn) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.tcb
	if t == nil {
		return Status{State: c.tw.State(), ReadDone: true, Err: c.tw.Err()}
	}
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

// call runs a user call that changes the TCB and queues its output. On a
// connection whose TCB is gone, onEntry runs instead.
func (c *Conn) call(f func(t *tcp.TCB) error, onEntry func(w *tcp.TimeWaitEntry) error) error {
	c.mu.Lock()
	var err error
	if c.tcb != nil {
		err = f(c.tcb)
	} else {
		err = onEntry(c.tw)
	}
	c.mu.Unlock()
	c.h.markDirty(c)
	return err
}

// Shutdown closes the sending direction (shutdown(SHUT_WR)).
func (c *Conn) Shutdown(now clock.Instant) error {
	return c.call(func(t *tcp.TCB) error { return t.Shutdown(now) },
		func(w *tcp.TimeWaitEntry) error { return w.CallErr(tcp.CallShutdown) })
}

// Close closes both directions (close(2)).
func (c *Conn) Close(now clock.Instant) error {
	return c.call(func(t *tcp.TCB) error {
		err := t.Close(now)
		c.limitOrphans(now)
		return err
	}, func(w *tcp.TimeWaitEntry) error { return w.CallErr(tcp.CallClose) })
}

// CloseRead shuts down the receiving direction (shutdown(SHUT_RD)).
func (c *Conn) CloseRead() {
	c.mu.Lock()
	if c.tcb != nil {
		c.tcb.CloseRead()
	}
	c.mu.Unlock()
}

// Abort resets the connection (SO_LINGER 0 then close). In TIME_WAIT it
// closes at once, as an ABORT of a TCB in TIME_WAIT does.
func (c *Conn) Abort(now clock.Instant) {
	_ = c.call(func(t *tcp.TCB) error { t.Abort(now); return nil },
		func(*tcp.TimeWaitEntry) error {
			c.endTimeWait(now, tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallAbort})
			return nil
		})
}

// Configure runs f on the TCB under its lock, for option setters
// (SetNoDelay, SetKeepAlive, buffer sizes), and queues any output. Once
// the TCB is gone there is nothing left to configure.
func (c *Conn) Configure(f func(t *tcp.TCB)) {
	_ = c.call(func(t *tcp.TCB) error { f(t); return nil },
		func(*tcp.TimeWaitEntry) error { return nil })
}

// crash makes the connection vanish as in a reboot: it is closed without
// a word to the peer, and local users see ECONNABORTED.
func (c *Conn) crash(now clock.Instant) {
	c.mu.Lock()
	if c.tcb != nil {
		c.tcb.Crash(now)
	} else {
		c.endTimeWait(now, tcp.Cause{Kind: tcp.CauseCrash})
	}
	c.mem.detach()
	c.mu.Unlock()
	c.wake()
}

// nextSegment returns the next segment to send (see tcp.TCB.NextSegment).
// Called with c.mu held.
func (c *Conn) nextSegment(now clock.Instant, buf []byte) (tcp.Segment, bool) {
	if c.tcb == nil {
		return c.tw.NextSegment(now)
	}
	return c.tcb.NextSegment(now, buf)
}

// tick runs the connection's due timers. Called with c.mu held.
func (c *Conn) tick(now clock.Instant) {
	if c.tcb == nil {
		c.timeWaitTick(now)
		return
	}
	c.tcb.Tick(now)
}

// stateAndDeadline returns the state and the next deadline. Called with
// c.mu held.
func (c *Conn) stateAndDeadline() (tcp.State, clock.Instant) {
	if c.tcb == nil {
		return c.tw.State(), c.tw.Deadline()
	}
	return c.tcb.State(), c.tcb.NextDeadline()
}

// StateChanged implements tcp.Observer: the connection's state changes
// take the host's one recorded path (Host.stateChanged). It runs with
// c.mu held.
func (c *Conn) StateChanged(now clock.Instant, from, to tcp.State, why tcp.Cause) {
	c.h.stateChanged(now, c.tuple, from, to, why)
	c.trackOrphan()
}

// TimerFired implements tcp.Observer.
func (c *Conn) TimerFired(now clock.Instant, t tcp.Timer) { c.h.timerFired(now, c.tuple, t) }
