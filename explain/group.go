package explain

import (
	"net/netip"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// dupWindow is how close in time two identical packets must be to be one
// packet captured twice (by `tcpdump -i any` on loopback, on a bridge and
// its port, or copied by the network) rather than a retransmission. A
// retransmission differs from its original in the IPv4 identification, or
// in its timestamp once a millisecond has passed; only an IPv6 one without
// timestamps sent within a millisecond would be taken for a copy.
const dupWindow = time.Millisecond

// recentPackets is how many of a connection's latest packets are kept to
// recognise copies.
const recentPackets = 16

// pairKey names a 4-tuple whichever way a packet goes: lo is the smaller
// address and port.
type pairKey struct{ lo, hi netip.AddrPort }

func keyOf(a, b netip.AddrPort) pairKey {
	if a.Compare(b) < 0 {
		return pairKey{a, b}
	}
	return pairKey{b, a}
}

// conn is one connection being observed.
type conn struct {
	obs         observer
	first, last clock.Instant
	midStart    bool // the capture starts after the connection opened
	// reused is set when a new connection's SYN ended this one's TIME_WAIT.
	reused      bool
	dups        int // packets captured twice
	csumUnknown int // segments cut by the snapshot length
	recent      [recentPackets]struct {
		fp uint64
		at clock.Instant
	}
	nrecent int
}

// grouper sorts segments into connections: by 4-tuple, a new connection
// starting when a SYN opens the 4-tuple again.
type grouper struct {
	conns   []*conn
	current map[pairKey]*conn
}

// add gives p to its connection, starting a new one if p opens one.
func (g *grouper) add(p *packet) {
	k := keyOf(p.src, p.dst)
	c := g.current[k]
	if c == nil || c.opensAgain(p) {
		if c != nil {
			c.endTimeWait(p)
		}
		c = newConn(p)
		g.current[k] = c
		g.conns = append(g.conns, c)
	}
	c.add(p)
}

// newConn starts the connection whose first segment the capture holds is
// p. Its ends are named by their roles when p shows them (a SYN is the
// client's, a SYN-ACK the server's), else by their addresses.
func newConn(p *packet) *conn {
	a := &end{addr: p.src, name: p.src.String(), fresh: true}
	b := &end{addr: p.dst, name: p.dst.String(), fresh: true}
	c := &conn{first: p.at, last: p.at}
	c.obs.ends = [2]*end{a, b}
	switch {
	case p.has(wire.FlagSYN) && !p.has(wire.FlagACK):
		a.name, b.name = "client", "server"
	case p.has(wire.FlagSYN):
		a.name, b.name = "server", "client"
	default:
		// RFC 9293 §3.5 has no other way into the middle of a
		// conversation: both ends were ESTABLISHED.
		c.midStart = true
		c.obs.known(a, tcp.Established)
		c.obs.known(b, tcp.Established)
	}
	return c
}

// opensAgain reports whether p, a SYN, opens a new connection on c's
// 4-tuple: a SYN with another initial sequence number than the one its
// sender used, or one from an end whose connection had ended.
func (c *conn) opensAgain(p *packet) bool {
	if !p.has(wire.FlagSYN) || p.has(wire.FlagACK|wire.FlagRST) {
		return false
	}
	e := c.endOf(p.src)
	if e.synSeen {
		return p.seq() != e.iss
	}
	return !e.fresh && (e.state == tcp.Closed || e.state == tcp.TimeWait)
}

// endTimeWait closes the end of c that a new connection's SYN p reaches
// in TIME_WAIT (RFC 6191: a new incarnation takes the 4-tuple over).
func (c *conn) endTimeWait(p *packet) {
	e := c.endOf(p.dst)
	if e.state == tcp.TimeWait {
		c.obs.setState(e, p.at, tcp.Closed, segmentCause(p.seg.Flags), certain)
		c.reused = true
	}
}

// endOf returns c's end at addr.
func (c *conn) endOf(addr netip.AddrPort) *end {
	if c.obs.ends[0].addr == addr {
		return c.obs.ends[0]
	}
	return c.obs.ends[1]
}

// add runs p through c's observer, unless it is a copy of a packet the
// capture has just shown.
func (c *conn) add(p *packet) {
	from, to := c.endOf(p.src), c.endOf(p.dst)
	c.last = p.at
	if c.duplicate(p) {
		c.dups++
		c.obs.recordDuplicate(from, to, p)
		return
	}
	if p.csumUnknown {
		c.csumUnknown++
	}
	c.obs.segment(from, to, p)
}

// duplicate reports whether p repeats, byte for byte, a packet seen less
// than dupWindow before it, and remembers p.
func (c *conn) duplicate(p *packet) bool {
	for i := range min(c.nrecent, recentPackets) {
		r := c.recent[i]
		if r.fp == p.fingerprint && p.at.Sub(r.at) < dupWindow {
			return true
		}
	}
	c.recent[c.nrecent%recentPackets] = struct {
		fp uint64
		at clock.Instant
	}{p.fingerprint, p.at}
	c.nrecent++
	return false
}
