package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// The TIME_WAIT table. A connection that reaches TIME_WAIT keeps its place
// in the demux table and the timer wheel (so that its 4-tuple stays busy
// and its 2×MSL expires in order with every other timer), but once its TCB
// has sent what it had queued and its user has read what it received, the
// host swaps the TCB for a tcp.TimeWaitEntry: 48 bytes of sequence numbers,
// timestamps and a deadline instead of the TCB's buffers, congestion, RTT
// and SACK state. The entry applies the same TIME_WAIT rules as the TCB
// (they are written once, in package tcp); the host records its
// transitions with the same causes, so traces and counters cannot tell
// the difference. The table is bounded by Config.MaxTimeWait.

// compactTimeWait replaces the TCB of a connection that reached TIME_WAIT
// by its TIME_WAIT entry. A TCB with unread data stays until the user has
// read it (Conn.Read marks it for the next Flush). When the table is full,
// the connection is closed at once instead, as Linux does when its
// tcp_max_tw_buckets is reached ("time wait bucket table overflow").
// Called with h.mu and c.mu held, after the TCB's output was taken.
func (h *Host) compactTimeWait(now clock.Instant, c *Conn) {
	t := c.tcb
	if t == nil || t.State() != tcp.TimeWait || t.Readable() > 0 {
		return
	}
	// The entry holds no buffer memory: give the TCB's back now.
	t.FreeBuffers()
	if h.timeWaits >= h.cfg.MaxTimeWait {
		h.count(func(k *Counters) { k.TimeWaitOverflow++ })
		t.EndTimeWait(now, tcp.Cause{Kind: tcp.CauseLimit})
		return
	}
	h.retired.add(&t.Stats)
	c.tw = t.TimeWaitEntry()
	c.tcb = nil
	h.timeWaits++
}

// timeWaitInput hands a segment to a connection's TIME_WAIT entry. What
// the entry rejects is counted with the retired connections' statistics.
// Called with h.mu and c.mu held.
func (h *Host) timeWaitInput(now clock.Instant, c *Conn, seg *tcp.Segment) {
	if c.tw.Deliver(now, seg, h.tcpCfg, (*tcp.ConnStats)(&h.retired)) {
		c.StateChanged(now, tcp.TimeWait, tcp.Closed, tcp.Cause{Kind: tcp.CauseSegment, Flags: seg.Flags})
	}
}

// timeWaitTick ends TIME_WAIT when 2×MSL has passed. Called with c.mu held.
func (c *Conn) timeWaitTick(now clock.Instant) {
	if c.tw.Tick(now) {
		c.TimerFired(now, tcp.TimerTimeWait)
		c.StateChanged(now, tcp.TimeWait, tcp.Closed, tcp.Cause{Kind: tcp.CauseTimer, Timer: tcp.TimerTimeWait})
	}
}

// endTimeWait closes a TIME_WAIT entry early, for why. Called with c.mu
// held.
func (c *Conn) endTimeWait(now clock.Instant, why tcp.Cause) {
	if c.tw.State() != tcp.TimeWait {
		return
	}
	if why.Kind == tcp.CauseCrash {
		c.tw.Crash()
	} else {
		c.tw.Close()
	}
	c.StateChanged(now, tcp.TimeWait, tcp.Closed, why)
}

// reuseTimeWait decides whether a SYN may take over a 4-tuple held in
// TIME_WAIT (RFC 9293 §3.6.1 and RFC 6191): only if a listener wants it and
// the SYN is provably new, by timestamp when both use them, else by a
// sequence number beyond the old connection's. If so the old connection
// is closed and removed. Called with h.mu held.
func (h *Host) reuseTimeWait(now clock.Instant, c *Conn, seg *tcp.Segment) bool {
	if h.findListener(c.tuple.Local) == nil {
		return false
	}
	why := tcp.Cause{Kind: tcp.CauseSegment, Flags: wire.FlagSYN}
	c.mu.Lock()
	var ok bool
	if c.tcb != nil {
		if ok = c.tcb.AcceptsNewIncarnation(seg); ok {
			c.tcb.EndTimeWait(now, why)
		}
	} else if ok = c.tw.AcceptsNewIncarnation(seg); ok {
		c.endTimeWait(now, why)
	}
	c.mu.Unlock()
	if ok {
		h.count(func(k *Counters) { k.TimeWaitRecycled++ })
		h.removeConn(c)
	}
	return ok
}
