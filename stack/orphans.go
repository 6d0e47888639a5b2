package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// Orphans are connections their users have closed that are still alive,
// finishing their close: FIN_WAIT_1, FIN_WAIT_2, CLOSING and LAST_ACK (not
// TIME_WAIT, whose compact entries MaxTimeWait bounds). Nobody will read
// or write them again, so a peer that stops acknowledging could keep
// them, and their buffers, for minutes. Like Linux's tcp_max_orphans,
// Config.MaxOrphans bounds them: a connection that would become an orphan
// beyond the limit is reset at once instead (Linux's tcp_close checks
// tcp_check_oom and counts TCPAbortOnMemory), and an orphan that has to
// resend while the host is over its orphan or memory limit is reset then.

// orphanState reports whether s is a state in which a closed connection
// counts as an orphan.
func orphanState(s tcp.State) bool {
	switch s {
	case tcp.FinWait1, tcp.FinWait2, tcp.Closing, tcp.LastAck:
		return true
	}
	return false
}

// trackOrphan updates the host's orphan count for c after its TCB may have
// changed. Called with c.mu held.
func (c *Conn) trackOrphan() {
	t := c.full()
	o := t != nil && t.Orphaned() && orphanState(t.State())
	if o == c.orphan {
		return
	}
	c.orphan = o
	if o {
		c.h.orphans.Add(1)
	} else {
		c.h.orphans.Add(-1)
	}
}

// orphanOutOfResources resets c if it is an orphan whose retransmission or
// zero-window probe timer just fired while the host has too many orphans
// or its buffer memory is over Memory.High, as Linux's tcp_write_timeout
// and tcp_probe_timer check tcp_out_of_resources for a dead socket: an
// orphan that must resend is the first to go when resources run out.
// (Linux skips the RST when the connection sent nothing for 60 s; synack
// always sends it.) Called with c.mu held, after the connection's timers
// ran.
func (c *Conn) orphanOutOfResources(now clock.Instant) {
	if !c.resent {
		return
	}
	c.resent = false
	h := c.h
	if !c.orphan || h.orphans.Load() <= int64(h.cfg.MaxOrphans) && h.mem.allocated.Load() <= int64(h.mem.lim.High) {
		return
	}
	h.count(func(k *Counters) { k.TCPAbortOnMemory++ })
	c.full().ResetForLimit(now) // an orphan is still a TCB
}

// limitOrphans resets c, just closed by its user, if it made the orphans
// more than MaxOrphans. Called with c.mu held, from the Close call.
func (c *Conn) limitOrphans(now clock.Instant) {
	c.trackOrphan()
	if !c.orphan || c.h.orphans.Load() <= int64(c.h.cfg.MaxOrphans) {
		return
	}
	c.h.count(func(k *Counters) { k.TCPAbortOnMemory++ })
	c.full().ResetForLimit(now) // from Close: the TCB is there
}
