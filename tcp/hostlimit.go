package tcp

import "github.com/synack-net/synack/clock"

// Orphaned reports whether the user has closed the connection (Close), so
// that no one will read or write it again while it finishes: Linux's
// orphaned sockets, which tcp_max_orphans bounds.
func (t *TCB) Orphaned() bool { return t.orphaned }

// ResetForLimit ends the connection with a reset because a host limit was
// reached (too many orphaned connections, as Linux's tcp_check_oom resets
// them): <SEQ=SND.NXT><CTL=RST,ACK> in any synchronized state, through the
// one state-change path with the cause CauseLimit, and the buffers given
// back. It does nothing to a TCB already CLOSED.
func (t *TCB) ResetForLimit(now clock.Instant) {
	if t.state == Closed {
		return
	}
	t.abortWithReset(now, Cause{Kind: CauseLimit})
	t.recvBuf.release()
}
