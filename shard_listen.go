package synack

import (
	"net/netip"

	"github.com/synack-net/synack/stack"
)

// listenAll registers a listener on every shard, so that each takes the
// SYNs of the tuples it owns, and returns them with the backlog they
// share. The copies' accept queues count together against the backlog
// (stack.AcceptGroup), as one listen(2) socket's queue does; each
// shard's SYN queue gets an equal part of it (rounded up), so that a
// flood spread over the shards holds about what one listener's would,
// not Shards times as much. Shard 0 decides: it picks the port when bind's is 0 and
// refuses a conflicting address, and the other shards, whose listener
// tables hold the same listeners, follow it. s.listenMu keeps two
// Listens (or a Listen and a Close) from interleaving between shards.
func (s *Stack) listenAll(bind netip.AddrPort, backlog int) ([]*stack.Listener, int, error) {
	now := s.clk.Now()
	backlog = s.host.EffectiveBacklog(backlog)
	n := len(s.shards)
	part := (backlog + n - 1) / n
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	first, err := s.host.Listen(now, bind, backlog)
	if err != nil {
		return nil, 0, err
	}
	group := new(stack.AcceptGroup)
	first.ShareAcceptQueue(group, part)
	ls := []*stack.Listener{first}
	if bind.Port() == 0 {
		bind = netip.AddrPortFrom(bind.Addr(), first.Addr().Port())
	}
	for _, sh := range s.shards[1:] {
		l, err := sh.host.ListenShadow(now, bind, backlog)
		if err != nil {
			for _, l := range ls {
				l.Close(now)
			}
			return nil, 0, err
		}
		l.ShareAcceptQueue(group, part)
		ls = append(ls, l)
	}
	return ls, backlog, nil
}

// acceptAny takes an established connection from the first shard that
// has one, starting from a different shard each call so that none
// waits behind the others; it returns nil when none has.
func (ln *Listener) acceptAny() (*stack.Conn, error) {
	n := uint32(len(ln.ls))
	first := uint32(0)
	if n > 1 {
		first = ln.next.Add(1)
	}
	for j := range n {
		c, err := ln.ls[(first+j)%n].Accept()
		if c != nil || err != nil {
			return c, err
		}
	}
	return nil, nil
}
