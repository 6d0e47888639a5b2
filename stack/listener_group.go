package stack

import "sync/atomic"

// A listener opened on several hosts (a sharded stack's shards, each
// taking the SYNs of the tuples it owns) is one listen(2) socket to its
// user: its accept queue is bounded by its backlog across the copies,
// as Linux bounds one socket's. The copies share an acceptCount; each
// keeps its own SYN queue, bounded by its part of the backlog, so that a
// flood spread over the copies holds about what one listener would.

// AcceptGroup counts the established connections waiting in the accept
// queues of a listener's copies on several hosts together; the zero value
// counts none.
type AcceptGroup struct{ n atomic.Int64 }

// ShareAcceptQueue makes l's accept queue count toward g, with which its
// copies on other hosts count theirs, so that l.Backlog bounds them
// together, and bounds l's own SYN queue to synBacklog (at most its
// backlog). Call it before the listener takes a SYN.
func (l *Listener) ShareAcceptQueue(g *AcceptGroup, synBacklog int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.group = g
	l.synBacklog = min(max(synBacklog, 1), l.backlog)
}

// queued is the number of connections waiting in the accept queue: the
// copies' together when shared. Called with l.mu held.
func (l *Listener) queued() int {
	if l.group != nil {
		return int(l.group.n.Load())
	}
	return len(l.accept)
}

// countQueued adds d to the shared count, if any, as connections join
// (d > 0) or leave l's accept queue. Called with l.mu held.
func (l *Listener) countQueued(d int) {
	if l.group != nil {
		l.group.n.Add(int64(d))
	}
}
