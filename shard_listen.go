package synack

import (
	"net/netip"
	"sync/atomic"

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
// has one (fromAny); it returns nil when none has.
func (ln *Listener) acceptAny() (*stack.Conn, error) {
	return fromAny(ln.ls, &ln.next, (*stack.Listener).Accept)
}

// fromAny returns what take finds on the first of the shards' copies
// that has something (a non-nil result or an error), starting from a
// different copy each call, so that none waits behind the others; nil
// when none has.
func fromAny[L any, T comparable](copies []L, next *atomic.Uint32, take func(L) (T, error)) (T, error) {
	n := uint32(len(copies))
	first := uint32(0)
	if n > 1 {
		first = next.Add(1)
	}
	var zero T
	for j := range n {
		v, err := take(copies[(first+j)%n])
		if v != zero || err != nil {
			return v, err
		}
	}
	return zero, nil
}
