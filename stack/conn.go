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

	mu sync.Mutex // guards f
	// f is the connection's form: its TCB until TIME_WAIT, then the
	// compact entry that holds what TIME_WAIT needs, once the host has
	// freed the TCB and its buffers (see form and Host.compactTimeWait).
	f form

	// Set by the driver under Host.mu.
	timer    timerLink
	listener *Listener // the listener that created it, until accepted

	waker Waker // called with no lock held after the TCB may have changed

	mem connMemory // the TCB's buffer memory account; guarded by mu

	// The flags are kept together, so that no padding takes the Conn out
	// of its 192-byte size class.
	removed bool // no longer in the host's table; set by the driver under Host.mu
	dirty   bool // guarded by Host.dirtyMu
	orphan  bool // counted in Host.orphans; guarded by mu
	// resent is set when the retransmission or probe timer fired in the
	// current Tick, for the orphan check after it; guarded by mu.
	resent bool
}

func newConn(h *Host, t Tuple) *Conn {
	c := &Conn{h: h, tuple: t, timer: unarmed}
	if h != nil { // tests of the timer wheel make hostless connections
		c.mem.pool = h.mem
	}
	return c
}

// Tuple returns the connection's two ends.
func (c *Conn) Tuple() Tuple { return c.tuple }

// SetWaker sets the function the host calls (from the driver goroutine,
// without locks held) whenever the connection's state, readable data or
// send space may have changed. It must not block.
func (c *Conn) SetWaker(f func()) {
	if f == nil {
		c.SetWakerOf(nil)
		return
	}
	c.SetWakerOf(wakeFunc(f))
}

// Waker is what the host wakes, as SetWaker's function is called.
type Waker interface {
	Wake()
}

// wakeFunc is a function as a Waker.
type wakeFunc func()

// Wake calls f.
func (f wakeFunc) Wake() { f() }

// SetWakerOf is SetWaker for an object that implements Waker: a user's
// connection object that is its own waker costs no closure (16 bytes a
// connection, which TestIdleConnHeap counts). nil removes the waker.
func (c *Conn) SetWakerOf(w Waker) {
	c.mu.Lock()
	c.waker = w
	c.mu.Unlock()
}

// wake calls the waker. A connection whose TCB is gone (TIME_WAIT and
// after) has no more news for anyone, since reads return EOF and writes
// fail at once: its waker is called one last time and dropped, so that
// the entry does not keep the user's objects alive.
func (c *Conn) wake() {
	c.mu.Lock()
	wake := c.waker
	if c.full() == nil {
		c.waker = nil
	}
	c.mu.Unlock()
	if wake != nil {
		wake.Wake()
	}
}

// State returns the connection's state.
func (c *Conn) State() tcp.State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.f.state()
}

// Info returns a snapshot of the TCB's variables (in TIME_WAIT and after,
// only the sequence variables remain).
func (c *Conn) Info() tcp.Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.f.info()
}

// TakeSoftError returns and forgets the ICMP soft error the connection
// remembers (see tcp.TCB.TakeSoftError); 0 once the TCB is gone.
func (c *Conn) TakeSoftError() syscall.Errno {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.full()
	if t == nil {
		return 0
	}
	return t.TakeSoftError()
}

// Write queues data (see tcp.TCB.Write): n is what fit; 0, nil means the
// send buffer is full.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	t := c.full()
	if t == nil {
		err := c.timeWait().CallErr(tcp.CallSend)
		c.mu.Unlock()
		return 0, err
	}
	n, err := t.Write(p)
	c.mu.Unlock()
	if n > 0 {
		c.h.markDirty(c)
	}
	return n, err
}

// Read takes received data (see tcp.TCB.Read): 0, nil means nothing yet.
func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	t := c.full()
	if t == nil {
		c.mu.Unlock()
		return 0, io.EOF // the peer's FIN came before TIME_WAIT
	}
	n, err := t.Read(p)
	if c.mem.detached && t.Readable() == 0 {
		t.FreeBuffers() // the last read of a connection the host has let go
	}
	// A window update to send, or a TCB in TIME_WAIT now drained, which
	// the next Flush compacts.
	out := t.AckPending() || n > 0 && t.State() == tcp.TimeWait && t.Readable() == 0
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
	return c.f.status()
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
	if t := c.full(); t != nil {
		err = f(t)
	} else {
		err = onEntry(c.timeWait())
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
	if t := c.full(); t != nil {
		t.CloseRead()
	}
	c.mu.Unlock()
}

// Abort resets the connection (SO_LINGER 0 then close). In TIME_WAIT it
// closes at once, as an ABORT of a TCB in TIME_WAIT does.
func (c *Conn) Abort(now clock.Instant) {
	_ = c.call(func(t *tcp.TCB) error { t.Abort(now); return nil },
		func(*tcp.TimeWaitEntry) error {
			c.f.endTimeWait(now, tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallAbort}, c)
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
	c.f.crash(now, c)
	c.mem.detach()
	c.mu.Unlock()
	c.wake()
}

// StateChanged implements tcp.Observer: the connection's state changes
// take the host's one recorded path (Host.stateChanged). It runs with
// c.mu held.
func (c *Conn) StateChanged(now clock.Instant, from, to tcp.State, why tcp.Cause) {
	c.h.stateChanged(now, c.tuple, from, to, why)
	c.trackOrphan()
}

// TimerFired implements tcp.Observer.
func (c *Conn) TimerFired(now clock.Instant, t tcp.Timer) {
	if t == tcp.TimerRetransmit || t == tcp.TimerPersist {
		c.resent = true
	}
	c.h.timerFired(now, c.tuple, t)
}
