package stack

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
)

// The hooks a driver that splits one host's flows among several Hosts
// (synack's shards, one per core) needs: each Host must pick only the
// ephemeral ports whose 4-tuple it owns, and a listener or forwarder
// opened on every Host must act as one.

// SetPortFilter restricts the ephemeral ports Connect picks to those
// whose tuple f accepts (f is called with h.mu held and must not block);
// nil, the default, accepts every port. A sharded driver passes "this
// tuple hashes to this shard", so that the shard that owns a tuple is
// the one whose table says whether it is free. Call it before the host
// is used.
func (h *Host) SetPortFilter(f func(Tuple) bool) { h.portFilter = f }

// portAllowed reports whether the port filter accepts t. Called with
// h.mu held.
func (h *Host) portAllowed(t Tuple) bool { return h.portFilter == nil || h.portFilter(t) }

// Holds reports whether the host has state for t: a connection in any
// form (TIME_WAIT included) or a half-open request in a SYN queue.
func (h *Host) Holds(t Tuple) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns.get(t) != nil {
		return true
	}
	if k, ok := h.keyOf(t); ok {
		return h.syn.get(k) != nil
	}
	return false
}

// SourceFor returns the local address Connect picks for a connection to
// remote when it is given none, and false when there is none, so that a
// sharded driver can place such a connection before it opens it.
func (h *Host) SourceFor(remote netip.Addr) (netip.Addr, bool) { return h.sourceFor(remote) }

// ListenShadow is Listen for a shard's copy of a listener that another
// shard's Listen opened: it takes the SYNs of its own shard's tuples, but
// records neither its opening nor its closing, which the first shard's
// listener already does.
func (h *Host) ListenShadow(now clock.Instant, addr netip.AddrPort, backlog int) (*Listener, error) {
	return h.listen(now, addr, backlog, true)
}

// ListenForwardShadow is ListenForward for a shard's copy of a forwarder
// that another shard's ListenForward opened: it takes the SYNs, and
// forwards the packets, of its own shard's tuples, but records neither
// its opening nor its closing, which the first shard's forwarder does.
func (h *Host) ListenForwardShadow(now clock.Instant, o ForwardOptions) (*ForwardListener, error) {
	return h.listenForward(now, o, true)
}

// ShareAcceptQueue is Listener.ShareAcceptQueue for the connections the
// forwarder's requests complete.
func (fl *ForwardListener) ShareAcceptQueue(g *AcceptGroup, synBacklog int) {
	fl.l.ShareAcceptQueue(g, synBacklog)
}

// ShareMemory makes h charge its connections' buffer memory to other's
// account, so that Config.Memory bounds the hosts together as one, as
// Linux's tcp_mem bounds all of a host's sockets whatever CPU runs them.
// Call it before h is used.
func (h *Host) ShareMemory(other *Host) {
	h.mem = other.mem
	h.memShared, other.memShared = true, true
}

// EffectiveBacklog is the accept-queue bound Listen gives a listener for
// backlog: the host's default for 0 or less, and never more than it.
func (h *Host) EffectiveBacklog(backlog int) int {
	if backlog <= 0 || backlog > h.cfg.DefaultBacklog {
		return h.cfg.DefaultBacklog
	}
	return backlog
}
