package netem

import (
	"container/heap"
	"fmt"
	"net/netip"

	"github.com/synack-net/synack/clock"
)

// HostID names a host attached to a Network. IDs are small integers handed
// out by AddHost in order, starting at 0.
type HostID int

// pathKey names one direction between two hosts.
type pathKey struct{ from, to HostID }

// Network joins hosts with impaired one-way paths. It is a discrete-event
// model: Send schedules deliveries, NextDelivery says when the next one is
// due and Deliver hands over the packets whose time has come. It runs no
// goroutines and is not safe for concurrent use; a simulation drives it from
// one goroutine. Same seed, same calls: same deliveries.
type Network struct {
	seed    uint64
	names   []string
	owner   map[netip.Addr]HostID
	paths   map[pathKey]*Path
	split   map[pathKey]bool // partitions, keyed with from < to
	rules   []*rule
	nextRID RuleID
	queue   deliveryQueue
	nextSeq uint64
	stats   NetworkStats

	// TooBig, if set, is called when a path drops a packet larger than
	// its MTU, as a router would answer with ICMP "fragmentation needed"
	// or "packet too big" (RFC 1191, RFC 8201). pkt is valid only during
	// the call; the function may Send.
	TooBig func(now clock.Instant, from HostID, pkt []byte, mtu int)
}

// NewNetwork returns an empty network whose randomness derives from seed.
func NewNetwork(seed uint64) *Network {
	return &Network{
		seed:  seed,
		owner: make(map[netip.Addr]HostID),
		paths: make(map[pathKey]*Path),
		split: make(map[pathKey]bool),
	}
}

// AddHost attaches a host and returns its ID.
func (n *Network) AddHost(name string) HostID {
	n.names = append(n.names, name)
	return HostID(len(n.names) - 1)
}

// Name returns the name given to host h by AddHost, or "" for an unknown h.
func (n *Network) Name(h HostID) string {
	if h < 0 || int(h) >= len(n.names) {
		return ""
	}
	return n.names[h]
}

// AddAddress makes host h the owner of addr: packets sent to addr are
// delivered to h. IPv4-mapped IPv6 addresses are treated as IPv4. It panics
// if h was not returned by AddHost or addr already belongs to another host,
// both mistakes in setting up a simulation.
func (n *Network) AddAddress(h HostID, addr netip.Addr) {
	if h < 0 || int(h) >= len(n.names) {
		panic(fmt.Sprintf("netem: AddAddress: unknown host %d", h))
	}
	addr = addr.Unmap().WithZone("")
	if o, ok := n.owner[addr]; ok && o != h {
		panic(fmt.Sprintf("netem: AddAddress: %v already belongs to %q", addr, n.names[o]))
	}
	n.owner[addr] = h
}

// Owner returns the host that owns addr, if any.
func (n *Network) Owner(addr netip.Addr) (HostID, bool) {
	h, ok := n.owner[addr.Unmap().WithZone("")]
	return h, ok
}

// SetPath sets the impairment of the path from one host to another. Paths
// not set are perfect: no loss and zero delay. Packets already in flight
// keep their schedule.
func (n *Network) SetPath(from, to HostID, imp Impairment) {
	n.path(from, to).SetImpairment(imp)
}

// PathStats returns the counters of the path from one host to another.
func (n *Network) PathStats(from, to HostID) PathStats {
	if p, ok := n.paths[pathKey{from, to}]; ok {
		return p.Stats()
	}
	return PathStats{}
}

// path returns the path from one host to another, creating a perfect one on
// first use. Each path has its own random stream, derived from the pair.
func (n *Network) path(from, to HostID) *Path {
	k := pathKey{from, to}
	p, ok := n.paths[k]
	if !ok {
		stream := uint64(uint32(from))<<32 | uint64(uint32(to))
		p = NewPath(Impairment{}, n.seed, stream)
		n.paths[k] = p
	}
	return p
}

// Send puts an IP packet from host from on the network at instant now. The
// destination host is the owner of the packet's destination address. Send
// copies pkt; the caller keeps it. Packets that cannot be routed, cross a
// partition, match a drop rule or are dropped by the path are counted in
// Stats.
func (n *Network) Send(now clock.Instant, from HostID, pkt []byte) {
	n.stats.Sent++
	dst, ok := destination(pkt)
	if !ok {
		n.stats.DroppedMalformed++
		return
	}
	to, ok := n.owner[dst]
	if !ok {
		n.stats.DroppedNoRoute++
		return
	}
	if n.split[unordered(from, to)] {
		n.stats.DroppedPartition++
		return
	}
	if n.ruleDrops(from, to, pkt) {
		n.stats.DroppedRule++
		return
	}
	p := n.path(from, to)
	at, copies := p.Admit(now, len(pkt))
	if copies == 0 && p.imp.MTU > 0 && len(pkt) > p.imp.MTU && n.TooBig != nil {
		n.TooBig(now, from, pkt, p.imp.MTU)
	}
	for range copies {
		n.nextSeq++
		d := n.queue.get(at, n.nextSeq, from, to, pkt)
		p.Corrupt(d.buf)
		heap.Push(&n.queue, d)
	}
}

// NextDelivery returns the instant the earliest pending packet is due, or
// clock.Never if none is pending.
func (n *Network) NextDelivery() clock.Instant {
	if len(n.queue.items) == 0 {
		return clock.Never
	}
	return n.queue.items[0].at
}

// Pending returns the number of packets in flight on the network.
func (n *Network) Pending() int { return len(n.queue.items) }

// Deliver calls fn for every packet due at or before now, in order of due
// time and then of sending. pkt is valid only during the call. fn may call
// Send; a packet it sends that is due at or before now is delivered in the
// same call.
func (n *Network) Deliver(now clock.Instant, fn func(to HostID, pkt []byte)) {
	for len(n.queue.items) > 0 && n.queue.items[0].at <= now {
		d := heap.Pop(&n.queue).(*delivery)
		n.path(d.from, d.to).Release()
		n.stats.Delivered++
		fn(d.to, d.buf)
		n.queue.put(d)
	}
}

// Stats returns the network's counters, the path counters summed over all
// paths.
func (n *Network) Stats() NetworkStats {
	s := n.stats
	for _, p := range n.paths {
		ps := p.Stats()
		s.Lost += ps.Lost
		s.DroppedQueue += ps.DroppedQueue
		s.Duplicated += ps.Duplicated
		s.Reordered += ps.Reordered
		s.DroppedMTU += ps.DroppedMTU
		s.Corrupted += ps.Corrupted
	}
	return s
}
