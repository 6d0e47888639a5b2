package sim

import (
	"fmt"
	"syscall"

	"github.com/synack-net/synack/clock"
)

// How the two ends of an explored connection must agree: an end of file
// only after the peer shut down its side and everything it wrote arrived;
// an error only for a cause the world shows (the peer reset the
// connection, its host rebooted, the network failed, the listener went
// away); and a wait for ever only where the peer vanished without a word.

// checkEnds checks both ends of a finished connection.
func (r *exploreRun) checkEnds(c *connRun) error {
	for _, a := range c.apps() {
		r.checks++
		b := c.peerOf(a)
		if a.eof {
			if b == nil || !b.shut || a.read != b.written {
				return fmt.Errorf("%s read the end of file after %d bytes, but the peer %s", a.name, a.read, peerWrote(b))
			}
		}
		if a.err != 0 && !r.errExplained(c, a, b) {
			return fmt.Errorf("%s failed with %v (%s), which nothing in the world explains; the peer %s", a.name, a.err, errName(a.err), peerWrote(b))
		}
	}
	return nil
}

// peerWrote describes what the peer's application did, for a report.
func peerWrote(b *streamApp) string {
	if b == nil {
		return "never accepted the connection"
	}
	return fmt.Sprintf("wrote %d (shut %v, closed %v, aborted %v, closed early %v, err %v)", b.written, b.shut, b.closed, b.aborted, b.closeEarly, b.err)
}

// errExplained reports whether a's errno has a cause in the world.
func (r *exploreRun) errExplained(c *connRun, a, b *streamApp) bool {
	peerHost := c.plan.Server
	if a == c.server {
		peerHost = c.plan.Client
	}
	ownHost := c.plan.Client + c.plan.Server - peerHost
	peerCrashed := r.crashed[peerHost] != clock.Never
	listenerGone := c.plan.Listen >= 0 && r.closedListen[c.plan.Listen]
	switch a.err {
	case syscall.ECONNRESET:
		return b == nil || b.aborted || b.closeEarly || b.gaveUp() || peerCrashed || listenerGone
	case syscall.ETIMEDOUT:
		// A network that loses packets, or a listener too slow to
		// accept, so that its SYN queue overflowed.
		k := r.hosts[c.plan.Server].Counters()
		return r.p.Faulty() || k.ListenDrops > 0 || k.ListenOverflows > 0
	case syscall.ECONNREFUSED:
		// Both ends of a simultaneous open are active openers: either
		// is refused once the other's connection has gone.
		simOpenPeerGone := c.plan.Listen < 0 && b != nil && (b.gaveUp() || b.aborted)
		return a == c.client && (listenerGone || peerCrashed) || simOpenPeerGone
	case syscall.ECONNABORTED:
		return r.crashed[ownHost] != clock.Never
	}
	return false
}

// mayHang reports whether an application still waiting at the horizon
// may wait for ever: its peer's host rebooted, its peer gave up on the
// connection (silently, as Linux does), its peer reset the connection and
// the reset may have been lost (a faulty network, or a reset the host had
// no room to send), or its connection was never accepted and its listener
// went away, or its handshake ACK found the accept queue full.
func (r *exploreRun) mayHang(c *connRun, a *streamApp) bool {
	b := c.peerOf(a)
	peerHost := c.plan.Server
	if a == c.server {
		peerHost = c.plan.Client
	}
	if r.crashed[peerHost] != clock.Never {
		return true
	}
	resetMayBeLost := r.p.Faulty() || r.hosts[peerHost].Counters().OutRstsSuppressed > 0
	if b == nil {
		return resetMayBeLost || c.plan.Listen >= 0 && r.closedListen[c.plan.Listen] || r.handshakeOverflowed(c)
	}
	// A peer that gave up on its retransmissions went silently (Linux sends
	// no reset then); one that aborted sent a reset, which only a faulty
	// network can lose.
	return b.gaveUp() || resetMayBeLost && (b.aborted || b.closeEarly)
}

// handshakeOverflowed reports whether the server dropped the client's
// handshake ACK because its accept queue was full. The client, in
// ESTABLISHED, then waits for ever if it has nothing to send: as on
// Linux, a SYN cookie leaves the server nothing to retransmit, and a
// request gives up after its SYN-ACK retries if the queue stays full.
func (r *exploreRun) handshakeOverflowed(c *connRun) bool {
	t := c.clientConn.Tuple()
	return r.chk.overflowed[endKey{r.hosts[c.plan.Server].Name(), t.Remote, t.Local}]
}

// gaveUp reports whether the application's connection failed, whether or
// not the application saw it (it may have closed already): Linux sends no
// reset when it gives up retransmitting, so the peer may never learn.
func (a *streamApp) gaveUp() bool { return a.err != 0 || a.c.Status().Err != 0 }

// errName is an errno's symbolic name.
func errName(e syscall.Errno) string {
	switch e {
	case syscall.ECONNRESET:
		return "ECONNRESET"
	case syscall.ETIMEDOUT:
		return "ETIMEDOUT"
	case syscall.ECONNREFUSED:
		return "ECONNREFUSED"
	case syscall.ECONNABORTED:
		return "ECONNABORTED"
	case syscall.EPIPE:
		return "EPIPE"
	case syscall.EHOSTUNREACH:
		return "EHOSTUNREACH"
	case syscall.ENETUNREACH:
		return "ENETUNREACH"
	}
	return fmt.Sprintf("errno %d", int(e))
}
