package synack

import (
	"slices"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// Sockets returns the stack's socket table (stack.Host.Sockets) over all
// its shards: each listener once, its queues summed over the shards (its
// Send-Q, the backlog they share, once), then the connections,
// each group ordered by local and remote address.
func (s *Stack) Sockets() []stack.Socket {
	if len(s.shards) == 1 {
		return s.host.Sockets()
	}
	var ls, cs []stack.Socket
	for i, sh := range s.shards {
		for _, k := range sh.host.Sockets() {
			switch {
			case k.State != tcp.Listen:
				cs = append(cs, k)
			case i == 0:
				ls = append(ls, k)
			default:
				if j := slices.IndexFunc(ls, func(l stack.Socket) bool { return l.Local == k.Local }); j >= 0 {
					ls[j].RecvQ += k.RecvQ
					ls[j].HalfOpen += k.HalfOpen
				}
			}
		}
	}
	slices.SortFunc(cs, func(a, b stack.Socket) int {
		if c := a.Local.Compare(b.Local); c != 0 {
			return c
		}
		return a.Remote.Compare(b.Remote)
	})
	return append(ls, cs...)
}

// HasPendingOutput reports whether any shard's host has output to flush
// (stack.Host.HasPendingOutput).
func (s *Stack) HasPendingOutput() bool {
	for _, sh := range s.shards {
		if sh.host.HasPendingOutput() {
			return true
		}
	}
	return false
}
