package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// TIME_WAIT. A connection that reaches TIME_WAIT keeps its TCB only until
// its user has read what it received; then the host swaps the TCB for the
// tcp.TimeWaitEntry the TCB has been handing TIME_WAIT to since it got
// there: sequence numbers, timestamps and a deadline instead of the TCB's
// buffers, congestion, RTT and SACK state. The entry leaves the connection
// map for a TIME_WAIT table (twhost.go), packed into a 56-byte slot that is
// also its place in the tables' timer queue; the rare one the table cannot
// take stays in the map as a timeWaitForm, armed in the timer wheel. The
// rules are written once, in package tcp, and the entry records its own
// end through the same observer paths with the same causes, so traces and
// counters cannot tell the difference. Map and tables together are bounded
// by Config.MaxTimeWait.

// compactTimeWait replaces the TCB of a connection that reached TIME_WAIT
// by its TIME_WAIT entry, which already holds every rule of that state and
// the ACK it may still owe, and moves the entry to a TIME_WAIT table when
// it fits there. A TCB with unread data stays until the user
// has read it (Conn.Read marks it for the next Flush). When the table is
// full, the connection is closed at once instead, as Linux does when its
// tcp_max_tw_buckets is reached ("time wait bucket table overflow").
// Called with h.mu and c.mu held.
func (h *Host) compactTimeWait(now clock.Instant, c *Conn) {
	t := c.full()
	if t == nil || t.State() != tcp.TimeWait || t.Readable() > 0 {
		return
	}
	// The entry holds no buffer memory: give the TCB's back now.
	t.FreeBuffers()
	if h.timeWaitCount() >= h.cfg.MaxTimeWait {
		h.count(func(k *Counters) { k.TimeWaitOverflow++ })
		t.EndTimeWait(now, tcp.Cause{Kind: tcp.CauseLimit})
		return
	}
	h.retired.add(t.Stats())
	w := t.TimeWaitEntry()
	if h.admitTimeWait(c, w) {
		return // the connection lives on in a TIME_WAIT table (twhost.go)
	}
	c.f = (*timeWaitForm)(w)
	h.timeWaits++
}

// reuseTimeWait decides whether a SYN may take over a 4-tuple held in
// TIME_WAIT (RFC 9293 §3.6.1 and RFC 6191): only if a listener wants it and
// the SYN is provably new, by timestamp when both use them, else by a
// sequence number beyond the old connection's. If so the old connection
// is closed and removed, and the ISS the new one must use is returned:
// past anything the old one sent (RFC 1122 §4.2.2.13), as Linux starts it
// at tw_snd_nxt + 65535 + 2 (tcp_timewait_state_process's tw_isn). Called
// with h.mu held.
func (h *Host) reuseTimeWait(now clock.Instant, c *Conn, seg *tcp.Segment) (reuseISS, bool) {
	if h.findListener(c.tuple.Local) == nil {
		return reuseISS{}, false
	}
	c.mu.Lock()
	var r reuseISS
	ok := c.f.acceptsNewIncarnation(*seg)
	if ok {
		r = reuseISS{iss: c.timeWait().ReuseISS(), set: true}
		c.f.endTimeWait(now, tcp.Cause{Kind: tcp.CauseSegment, Flags: wire.FlagSYN}, c)
	}
	c.mu.Unlock()
	if ok {
		h.count(func(k *Counters) { k.TimeWaitRecycled++ })
		h.removeConn(c)
	}
	return r, ok
}

// reuseISS is the ISS a passive open must use, when set: that of a new
// incarnation taking over a 4-tuple from TIME_WAIT (reuseTimeWait).
type reuseISS struct {
	iss tcp.Seq
	set bool
}
