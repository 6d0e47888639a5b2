package synack

import (
	"errors"
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/stack"
)

// open performs an active OPEN on the shard that will own the
// connection. A given local port makes the tuple known, and with it the
// shard (a source address the stack does not own, which forwarding
// allows, too). Port 0 lets the shards take turns: each picks, among its free
// ephemeral ports, one whose tuple hashes to itself (so no two shards
// can pick one tuple), and when a shard finds none of those free the
// next one tries, so that the whole range serves as it does with one
// shard. Each shard that finds none counts EphemeralExhausted.
func (s *Stack) open(local, remote netip.AddrPort) (*stack.Conn, error) {
	now := s.clk.Now()
	if len(s.shards) == 1 {
		return s.host.Connect(now, local, remote)
	}
	if local.Port() != 0 {
		remote = netip.AddrPortFrom(remote.Addr().Unmap(), remote.Port())
		src := local.Addr()
		if !src.IsValid() || src.IsUnspecified() {
			var ok bool
			if src, ok = s.host.SourceFor(remote.Addr()); !ok {
				return s.host.Connect(now, local, remote) // for its error
			}
			local = netip.AddrPortFrom(src, local.Port())
		}
		return s.shards[s.shardOf(stack.Tuple{Local: local, Remote: remote})].host.Connect(now, local, remote)
	}
	n := uint32(len(s.shards))
	first := s.nextOpen.Add(1)
	var err error
	for j := range n {
		var c *stack.Conn
		c, err = s.shards[(first+j)%n].host.Connect(now, local, remote)
		if !errors.Is(err, syscall.EADDRNOTAVAIL) {
			return c, err
		}
	}
	return nil, err
}
