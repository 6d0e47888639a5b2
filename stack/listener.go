package stack

import (
	"net/netip"
	"sync"
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// Listener is a passive OPEN (RFC 9293 §3.10.1): it owns the connections
// its SYNs created, half-open ones (SYN_RCVD) up to the SYN backlog and
// established, not yet accepted ones up to the accept backlog.
type Listener struct {
	h       *Host
	addr    netip.AddrPort
	backlog int
	// dual: an IPv6 wildcard that takes IPv4 connections too, as a Linux
	// socket on [::] with IPV6_V6ONLY off does.
	dual bool
	// forward: the requests a ForwardListener completed (forward.go).
	forward bool
	// shadow: one shard's copy of a listener whose opening and closing
	// another shard records (shard.go).
	shadow bool

	mu         sync.Mutex   // guards the fields below
	synQueue   int          // connections in SYN_RCVD
	synBacklog int          // the SYN queue's bound, the backlog unless shared
	accept     []*Conn      // established, waiting for Accept
	group      *AcceptGroup // the accept queue count shared with copies on other hosts, or nil
	closed     bool
	waker      func()
	opts       OpenOptions // for the connections it opens
	// overflowed says the SYN queue has overflowed, last at
	// lastOverflow, for SynCookiesOnOverflow.
	overflowed   bool
	lastOverflow clock.Instant
}

// Listen creates a listener on addr: an unspecified address (0.0.0.0 or
// ::) listens on all of the host's addresses of that family, and an
// address with no IP at all (netip.AddrPortFrom(netip.Addr{}, port)) on
// all addresses of both families, as a Linux socket bound to [::] with
// IPV6_V6ONLY off does (its Addr is then [::]:port). Port 0 picks a free
// one. backlog bounds the accept queue and, with MaxSynBacklog, the SYN
// queue; 0 means the host's default, which also caps it, as somaxconn
// caps listen(2)'s backlog on Linux.
func (h *Host) Listen(now clock.Instant, addr netip.AddrPort, backlog int) (*Listener, error) {
	return h.listen(now, addr, backlog, false)
}

func (h *Host) listen(now clock.Instant, addr netip.AddrPort, backlog int, shadow bool) (*Listener, error) {
	backlog = h.EffectiveBacklog(backlog)
	dual := !addr.Addr().IsValid()
	if dual {
		addr = netip.AddrPortFrom(netip.IPv6Unspecified(), addr.Port())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !addr.Addr().IsUnspecified() && !h.isLocal(addr.Addr()) {
		return nil, syscall.EADDRNOTAVAIL
	}
	if addr.Port() == 0 {
		// Like bind(2) with port 0: the first free ephemeral port.
		port, ok := h.freeListenPort(addr.Addr(), dual)
		if !ok {
			return nil, syscall.EADDRINUSE
		}
		addr = netip.AddrPortFrom(addr.Addr(), port)
	}
	if h.listenConflict(addr, dual) {
		return nil, syscall.EADDRINUSE
	}
	l := &Listener{h: h, addr: addr, backlog: backlog, synBacklog: backlog, dual: dual, shadow: shadow}
	h.listeners[addr] = l
	if shadow {
		return l, nil
	}
	h.record(trace.Event{Time: now, Local: addr, Kind: trace.KindState, From: tcp.Closed, To: tcp.Listen,
		Cause: tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallListen}})
	return l, nil
}

// listenConflict reports whether a listener on addr (dual: of both
// families) would take the place of one that exists. As on Linux, a
// dual-family wildcard and an IPv4 wildcard on one port exclude each
// other. Called with h.mu held.
func (h *Host) listenConflict(addr netip.AddrPort, dual bool) bool {
	if _, ok := h.listeners[addr]; ok {
		return true
	}
	v4any := netip.AddrPortFrom(netip.IPv4Unspecified(), addr.Port())
	v6any := netip.AddrPortFrom(netip.IPv6Unspecified(), addr.Port())
	switch {
	case dual:
		_, ok := h.listeners[v4any]
		return ok
	case addr == v4any:
		l, ok := h.listeners[v6any]
		return ok && l.dual
	}
	return false
}

// freeListenPort finds an ephemeral port where a listener on a (dual: of
// both families) conflicts with none. Called with h.mu held.
func (h *Host) freeListenPort(a netip.Addr, dual bool) (uint16, bool) {
	for p := uint32(h.cfg.EphemeralPortLow); p <= uint32(h.cfg.EphemeralPortHigh); p++ {
		if !h.listenConflict(netip.AddrPortFrom(a, uint16(p)), dual) {
			return uint16(p), true
		}
	}
	return 0, false
}

// Addr returns the listening address.
func (l *Listener) Addr() netip.AddrPort { return l.addr }

// SetWaker sets the function called when a connection becomes acceptable
// or the listener closes. It must not block.
func (l *Listener) SetWaker(f func()) {
	l.mu.Lock()
	l.waker = f
	l.mu.Unlock()
}

func (l *Listener) wake() {
	l.mu.Lock()
	f := l.waker
	l.mu.Unlock()
	if f != nil {
		f()
	}
}

// SetOptions sets the options the listener's future connections are
// opened with (TCP_MAXSEG on a listening socket is inherited by the
// connections it accepts).
func (l *Listener) SetOptions(o OpenOptions) error {
	if err := o.validate(); err != nil {
		return err
	}
	l.mu.Lock()
	l.opts = o
	l.mu.Unlock()
	return nil
}

// Pending returns the number of established connections waiting in the
// accept queue (what poll(2) reports as readable on a listening socket,
// and `ss -lnt` as Recv-Q).
func (l *Listener) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accept)
}

// HalfOpen returns the number of half-open connections in the SYN queue
// (SYN_RCVD, answered with a SYN-ACK from a request entry); SYNs answered
// with a cookie hold no entry and are not counted.
func (l *Listener) HalfOpen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.synQueue
}

// Backlog returns the accept queue's bound (what `ss -lnt` shows as
// Send-Q): the backlog asked for, capped by the host's DefaultBacklog.
func (l *Listener) Backlog() int { return l.backlog }

// Accept returns an established connection, or nil when none is waiting.
// After Close it returns syscall.EINVAL, as accept(2) on a closed socket.
func (l *Listener) Accept() (*Conn, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.accept) > 0 {
		c := l.accept[0]
		copy(l.accept, l.accept[1:])
		l.accept[len(l.accept)-1] = nil
		l.accept = l.accept[:len(l.accept)-1]
		l.countQueued(-1)
		return c, nil
	}
	if l.closed {
		return nil, syscall.EINVAL
	}
	return nil, nil
}

// Close stops listening. Established connections not yet accepted are
// reset and half-open ones discarded without a word, as Linux does when a
// listening socket is closed.
func (l *Listener) Close(now clock.Instant) {
	h := l.h
	h.mu.Lock()
	if h.listeners[l.addr] == l {
		delete(h.listeners, l.addr)
	}
	h.mu.Unlock()
	l.mu.Lock()
	pending := l.accept
	l.countQueued(-len(pending))
	l.accept = nil
	l.closed = true
	l.mu.Unlock()
	for _, c := range pending {
		c.Abort(now)
	}
	if !l.shadow {
		h.record(trace.Event{Time: now, Local: l.addr, Kind: trace.KindState, From: tcp.Listen, To: tcp.Closed,
			Cause: tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallClose}})
	}
	h.mu.Lock()
	h.discardRequests(now, l)
	for _, c := range h.conns.all() {
		if c.listener == l {
			c.listener = nil
			c.mu.Lock()
			// Not yet accepted, so not yet closed by a user: a full TCB.
			if t := c.full(); t.State() == tcp.SynReceived {
				t.Discard(now)
			} else {
				t.Abort(now)
			}
			c.mu.Unlock()
			h.markDirty(c)
		}
	}
	h.mu.Unlock()
	l.wake()
}

func (l *Listener) crash() {
	l.mu.Lock()
	l.closed = true
	l.countQueued(-len(l.accept))
	l.accept = nil
	l.mu.Unlock()
	l.wake()
}

// findListener returns the listener for a local address: for one of the
// host's addresses a listener bound to it, else the forwarder, if any;
// for any other address the forwarder. Called with h.mu held.
func (h *Host) findListener(local netip.AddrPort) *Listener {
	fl := h.fwd.fl
	if fl == nil {
		return h.boundListener(local)
	}
	if h.isLocal(local.Addr()) {
		if l := h.boundListener(local); l != nil {
			return l
		}
	}
	return fl.l
}

// boundListener returns the listener bound to a local address: an exact
// match, else a wildcard of the same family, else for IPv4 a dual-family
// wildcard. Called with h.mu held.
func (h *Host) boundListener(local netip.AddrPort) *Listener {
	if l, ok := h.listeners[local]; ok {
		return l
	}
	v6any := netip.AddrPortFrom(netip.IPv6Unspecified(), local.Port())
	if local.Addr().Is6() {
		return h.listeners[v6any]
	}
	if l, ok := h.listeners[netip.AddrPortFrom(netip.IPv4Unspecified(), local.Port())]; ok {
		return l
	}
	if l, ok := h.listeners[v6any]; ok && l.dual {
		return l
	}
	return nil
}

// drop counts and traces a dropped segment.
func (h *Host) drop(now clock.Instant, t Tuple, seg *tcp.Segment, r DropReason) {
	h.count(func(k *Counters) { k.Drops[r]++ })
	if seg != nil {
		h.record(trace.Event{Time: now, Local: t.Local, Remote: t.Remote, Kind: trace.KindDrop,
			Segment: summary(seg), Reason: r.String()})
	}
}
