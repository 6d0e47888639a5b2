package stack

import (
	"fmt"
	"maps"
	"slices"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// Census counts what a host holds: what a drained host must be back to
// zero on, and what a leak shows in.
type Census struct {
	Conns     int // connections in the map and the TIME_WAIT tables, in every form but half-open requests
	TimeWait  int // of them, compact TIME_WAIT entries (in the map or the tables)
	SynQueue  int // half-open requests (SYN_RCVD) in the SYN queue
	Listeners int
	// Timers is the number of connections armed in the timer wheel.
	Timers int
	// StorageBytes is the buffer storage the connections' TCBs hold.
	StorageBytes int
	// Pending is the number of connections waiting in accept queues.
	Pending int
	// States counts the connections in each state.
	States [tcp.TimeWait + 1]int
}

// Census returns the host's counts.
func (h *Host) Census() Census {
	h.mu.Lock()
	defer h.mu.Unlock()
	tw := h.timeWaitCount() - h.timeWaits // in the TIME_WAIT tables
	c := Census{Conns: h.conns.len() + tw, TimeWait: h.timeWaits + tw, Listeners: len(h.listeners), SynQueue: h.syn.len()}
	c.States[tcp.SynReceived] += h.syn.len()
	c.States[tcp.TimeWait] += tw
	for _, conn := range h.conns.all() {
		if conn.timer.deadline != clock.Never {
			c.Timers++
		}
		conn.mu.Lock()
		if t := conn.full(); t != nil {
			c.StorageBytes += t.StorageBytes()
		}
		c.States[conn.f.state()]++
		conn.mu.Unlock()
	}
	for _, l := range h.listeners {
		c.Pending += l.Pending()
	}
	return c
}

// CheckInvariants returns an error naming the first broken rule among the
// relations the host keeps between its tables, timers and connections,
// with every live TCB's own invariants (tcp.TCB.CheckInvariants), or nil.
// Call it from the driver between inputs, not during a Flush.
func (h *Host) CheckInvariants() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	timeWaits, charged, orphans := 0, int64(0), int64(0)
	for t, c := range h.conns.all() {
		if c.tuple != t || c.removed {
			return fmt.Errorf("%v: table entry for %v (removed %v)", t, c.tuple, c.removed)
		}
		c.mu.Lock()
		err := h.checkConn(c)
		if c.timeWait() != nil {
			timeWaits++
		}
		charged += int64(c.mem.held)
		if c.orphan {
			orphans++
		}
		c.mu.Unlock()
		if err != nil {
			return fmt.Errorf("%v->%v: %w", t.Local, t.Remote, err)
		}
	}
	if timeWaits != h.timeWaits {
		return fmt.Errorf("%d TIME_WAIT entries, counted %d", timeWaits, h.timeWaits)
	}
	if n := h.orphans.Load(); n != orphans {
		return fmt.Errorf("%d orphans in the table, counted %d", orphans, n)
	}
	if err := h.checkMemory(charged); err != nil {
		return err
	}
	if err := h.checkForwards(); err != nil { // forward.go, udp_forward.go
		return err
	}
	if err := h.checkTimeWaits(); err != nil { // twhost.go
		return err
	}
	return h.checkRequests()
}

// checkRequests checks the SYN queue: each listener counts the requests
// it has, and each request's SYN-ACK timer is queued. Called with h.mu held.
func (h *Host) checkRequests() error {
	counts := map[*Listener]int{}
	for k, r := range h.syn.all() {
		t := h.tupleOf(k)
		if l := h.findListener(t.Local); l != nil {
			counts[l]++
		}
		if r.Deadline() == clock.Never {
			return fmt.Errorf("%v->%v: a half-open request without a SYN-ACK timer", t.Local, t.Remote)
		}
	}
	ls := slices.Collect(maps.Values(h.listeners))
	if h.fwd.fl != nil {
		ls = append(ls, h.fwd.fl.l)
	}
	for _, l := range ls {
		l.mu.Lock()
		n := l.synQueue
		l.mu.Unlock()
		if n != counts[l] {
			return fmt.Errorf("listener %v counts %d half-open requests, holds %d", l.addr, n, counts[l])
		}
	}
	queued := map[synKey]bool{}
	for l := range h.syn.timers {
		h.syn.timers[l].all(func(s synSlot) {
			if h.syn.live(s) {
				queued[h.syn.tab.at(s.pos).key] = true
			}
		})
	}
	for k := range h.syn.all() {
		if !queued[k] {
			t := h.tupleOf(k)
			return fmt.Errorf("%v->%v: a half-open request whose SYN-ACK timer is not queued", t.Local, t.Remote)
		}
	}
	return nil
}

// checkConn checks one connection: its TCB's invariants, and a timer armed
// for exactly its next deadline (a connection with nothing to wait for
// holds no timer). Called with h.mu and c.mu held.
func (h *Host) checkConn(c *Conn) error {
	st, d := c.f.state(), c.f.deadline()
	held := 0
	t := c.full()
	if t != nil {
		if err := t.CheckInvariants(); err != nil {
			return err
		}
		held = t.MemoryHeld()
	}
	if c.mem.held != held {
		return fmt.Errorf("%v: the TCB holds %d bytes of buffer memory, its account %d", st, held, c.mem.held)
	}
	if c.orphan != (t != nil && t.Orphaned() && orphanState(st)) {
		return fmt.Errorf("%v: counted as an orphan: %v", st, c.orphan)
	}
	h.dirtyMu.Lock()
	dirty := c.dirty
	h.dirtyMu.Unlock()
	if dirty {
		return nil // its next Flush re-arms the timer
	}
	if c.timer.deadline != d {
		return fmt.Errorf("%v: timer armed for %v, the connection's deadline is %v", st, c.timer.deadline, d)
	}
	if st == tcp.Closed {
		return fmt.Errorf("CLOSED but still in the table")
	}
	return nil
}

// checkMemory checks that the connections in the table, with those that
// left it still holding memory, account for all the memory charged, given
// the table's sum. Called with h.mu held.
func (h *Host) checkMemory(charged int64) error {
	if h.memShared {
		return nil // the other hosts' connections hold some of it
	}
	detached, total := h.mem.detached.Load(), h.mem.allocated.Load()
	if charged+detached != total {
		return fmt.Errorf("connections hold %d bytes of buffer memory and %d are detached, but %d are allocated", charged, detached, total)
	}
	return nil
}
