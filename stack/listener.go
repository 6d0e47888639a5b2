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

	mu       sync.Mutex // guards the fields below
	synQueue int        // connections in SYN_RCVD
	accept   []*Conn    // established, waiting for Accept
	closed   bool
	waker    func()
	opts     OpenOptions // for the connections it opens
	// overflowed says the SYN queue has overflowed, last at
	// lastOverflow, for SynCookiesOnOverflow.
	overflowed   bool
	lastOverflow clock.Instant
}

// Listen creates a listener on addr (an unspecified address listens on all
// of the host's addresses of that family; port 0 picks a free one). backlog
// bounds the accept queue; 0 means the host's default.
func (h *Host) Listen(now clock.Instant, addr netip.AddrPort, backlog int) (*Listener, error) {
	if backlog <= 0 {
		backlog = h.cfg.DefaultBacklog
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if addr.Addr().IsValid() && !addr.Addr().IsUnspecified() && !h.isLocal(addr.Addr()) {
		return nil, syscall.EADDRNOTAVAIL
	}
	if addr.Port() == 0 {
		// Like bind(2) with port 0: the first free ephemeral port.
		port, ok := h.freeListenPort(addr.Addr())
		if !ok {
			return nil, syscall.EADDRINUSE
		}
		addr = netip.AddrPortFrom(addr.Addr(), port)
	}
	if _, ok := h.listeners[addr]; ok {
		return nil, syscall.EADDRINUSE
	}
	l := &Listener{h: h, addr: addr, backlog: backlog}
	h.listeners[addr] = l
	h.record(trace.Event{Time: now, Local: addr, Kind: trace.KindState, From: tcp.Closed, To: tcp.Listen,
		Cause: tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallListen}})
	return l, nil
}

// freeListenPort finds an ephemeral port with no listener on a. Called
// with h.mu held.
func (h *Host) freeListenPort(a netip.Addr) (uint16, bool) {
	for p := uint32(h.cfg.EphemeralPortLow); p <= uint32(h.cfg.EphemeralPortHigh); p++ {
		if _, busy := h.listeners[netip.AddrPortFrom(a, uint16(p))]; !busy {
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
// accept queue (what poll(2) reports as readable on a listening socket).
func (l *Listener) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.accept)
}

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
	l.accept = nil
	l.closed = true
	l.mu.Unlock()
	for _, c := range pending {
		c.Abort(now)
	}
	h.record(trace.Event{Time: now, Local: l.addr, Kind: trace.KindState, From: tcp.Listen, To: tcp.Closed,
		Cause: tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallClose}})
	h.mu.Lock()
	h.discardRequests(now, l)
	for _, c := range h.conns {
		if c.listener == l {
			c.listener = nil
			c.mu.Lock()
			if c.tcb.State() == tcp.SynReceived {
				c.tcb.Discard(now)
			} else {
				c.tcb.Abort(now)
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
	l.accept = nil
	l.mu.Unlock()
	l.wake()
}

// findListener returns the listener for a local address: an exact match,
// else a wildcard of the same family. Called with h.mu held.
func (h *Host) findListener(local netip.AddrPort) *Listener {
	if l, ok := h.listeners[local]; ok {
		return l
	}
	any := netip.IPv4Unspecified()
	if local.Addr().Is6() {
		any = netip.IPv6Unspecified()
	}
	if l, ok := h.listeners[netip.AddrPortFrom(any, local.Port())]; ok {
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
