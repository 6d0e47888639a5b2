package stack

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// Passive opens: a listener's SYN becomes a half-open request in the SYN
// queue, or, when the queue is full, a SYN cookie (RFC 4987 §3.6); the
// handshake's final ACK moves the request (or the cookie) into a full
// TCB, which waits in the accept queue for the application. The host
// drives a request as a form of its own (requestForm), expanded into the
// host's scratch TCB for every input, so that the rules of SYN_RCVD are
// the TCB's own, and compacted again while it stays half-open.

// listenerOptions are the options l opens its connections with.
func listenerOptions(l *Listener) OpenOptions {
	if l == nil {
		return OpenOptions{}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.opts
}

// settleRequest sends what the half-open connection f has to send, as
// far as the output batch has room (pushSegments, the path of every
// form), then swaps f for the form its state calls for: a request in the
// SYN queue again while half-open (a SYN-ACK the batch had no room for
// waits for the next Flush; an ACK or reset is dropped, as a loss), a
// Conn in the listener's accept queue once established, nothing once it
// went back to LISTEN or closed. f is spent. Called with h.mu held.
func (h *Host) settleRequest(now clock.Instant, f *requestForm) {
	h.pushSegments(now, f.t, f)
	tcb := f.expand()
	k, t, l := f.k, f.t, f.l
	h.req = requestForm{}
	switch st := tcb.State(); {
	case st == tcp.SynReceived:
		r, ok := tcb.Request()
		if !ok {
			// It holds data that came before our SYN was acknowledged:
			// keep the TCB whole until the handshake completes.
			h.promote(k, t, l)
			return
		}
		h.retired.add(tcb.Stats())
		h.syn.put(k, r, r.Retransmits())
		if r.SynAckDue() {
			h.synDue = append(h.synDue, k)
		}
	case st == tcp.Established || st == tcp.CloseWait:
		h.promote(k, t, l)
	default: // LISTEN again (an RST or SYN in the window), or CLOSED
		h.retired.add(tcb.Stats())
		h.dropRequest(k, l)
		h.forwardFailed(l, t, tcb.Err())
	}
}

// promote swaps request k's form for the full one: the scratch TCB it
// was expanded into becomes a connection of its own, in l's accept queue
// once established; a TCB still half-open keeps l, and joins the queue
// when the handshake completes. Called with h.mu held.
func (h *Host) promote(k synKey, t Tuple, l *Listener) {
	c := newConn(h, t)
	tcb := h.scratch
	h.scratch = nil
	tcb.SetObserver(c)
	tcb.SetMemory(&c.mem)
	c.setTCB(tcb)
	h.syn.remove(k)
	h.conns.put(t, c)
	st := tcb.State()
	if l != nil {
		l.mu.Lock()
		l.synQueue-- // it counts requests only
		l.mu.Unlock()
	}
	c.listener = l
	h.markDirty(c)
	h.settlePassive(c, st)
}

// flushRequests sends the SYN-ACKs that a full output batch held back,
// emitting batches as they fill. Called with h.mu held; it releases it
// around each emit.
func (h *Host) flushRequests(now clock.Instant, emit func([]byte)) {
	due := h.synDue
	h.synDue = nil
	for _, k := range due {
		r := h.syn.get(k)
		if r == nil || !r.SynAckDue() {
			continue
		}
		if h.out.full() {
			h.mu.Unlock()
			h.emitAll(emit)
			h.mu.Lock()
		}
		t := h.tupleOf(k)
		h.settleRequest(now, h.takeRequest(k, t, r, h.findListener(t.Local)))
	}
	if h.synDue == nil {
		h.synDue = due[:0]
	}
}

// dropRequest removes request k from the SYN queue. Called with h.mu held.
func (h *Host) dropRequest(k synKey, l *Listener) {
	h.syn.remove(k)
	if l != nil {
		l.mu.Lock()
		l.synQueue--
		l.mu.Unlock()
	}
}

// requestInput hands a segment to a half-open request: a final ACK the
// accept queue has no room for is dropped (Linux), or with AbortOnOverflow
// answered with a reset that ends the request; everything else goes
// through the TCB's rules. Called with h.mu held.
func (h *Host) requestInput(now clock.Instant, k synKey, r *tcp.Request, t Tuple, seg *tcp.Segment) {
	l := h.findListener(t.Local)
	if h.atConnLimit(now, t, seg) {
		return
	}
	if l != nil && h.acceptQueueFull(now, l, t, seg) {
		if h.cfg.AbortOnOverflow {
			h.dropRequest(k, l)
			h.resetStray(now, t, seg)
		}
		return
	}
	f := h.takeRequest(k, t, r, l)
	f.deliver(now, *seg, nil)
	h.settleRequest(now, f)
}

// tickRequests runs the SYN-ACK timers that are due, as far as the output
// batch has room. Called with h.mu held.
func (h *Host) tickRequests(now clock.Instant) {
	for !h.out.full() {
		k, ok := h.syn.popDue(now)
		if !ok {
			return
		}
		t := h.tupleOf(k)
		f := h.takeRequest(k, t, h.syn.get(k), h.findListener(t.Local))
		f.tick(now, nil)
		h.settleRequest(now, f)
	}
}

// passiveOpen handles a SYN that reached a listener (RFC 9293 §3.10.7.2)
// as Linux's tcp_conn_request does: with the accept queue full it is
// dropped; with the SYN queue full (the listen backlog), or always in
// SynCookiesAlways mode, it is answered with a SYN cookie, unless cookies
// are off, when it is dropped; otherwise it becomes a half-open request
// and its SYN-ACK goes at once, with reuse's ISS when set. Called with
// h.mu held.
func (h *Host) passiveOpen(now clock.Instant, l *Listener, t Tuple, seg *tcp.Segment, reuse reuseISS) {
	l.mu.Lock()
	acceptFull := l.queued() >= l.backlog
	synFull := l.synQueue >= min(l.synBacklog, h.cfg.MaxSynBacklog)
	l.mu.Unlock()
	k, keyed := h.keyOf(t)
	cookie := h.cfg.SynCookies == SynCookiesAlways || !keyed ||
		(synFull || h.syn.len() >= h.cfg.MaxConns) && h.cfg.SynCookies != SynCookiesNever
	switch {
	case acceptFull:
		// The client's SYN retransmission tries again later.
		h.count(func(k *Counters) { k.ListenOverflows++; k.ListenDrops++ })
		h.drop(now, t, seg, DropListenOverflow)
	case h.connCount() >= h.cfg.MaxConns:
		// No room for the connection: as for a full accept queue, the
		// SYN is dropped and its retransmission tries again.
		h.count(func(k *Counters) { k.ConnLimit++; k.ListenDrops++ })
		h.drop(now, t, seg, DropConnLimit)
	case cookie:
		h.sendCookie(now, l, t, seg, synFull)
	case synFull:
		h.count(func(k *Counters) { k.ListenDrops++ })
		h.drop(now, t, seg, DropSynQueueFull)
	default:
		p := h.scratchFor(now, t, l)
		if reuse.set {
			p.ISS = reuse.iss
		}
		tcp.InitPassive(h.scratch, h.tcpCfg, now, p, seg)
		l.mu.Lock()
		l.synQueue++
		l.mu.Unlock()
		h.settleRequest(now, h.newRequest(k, t, l))
	}
}

// acceptQueueFull reports (and counts, and traces) a final ACK of the
// handshake that finds the accept queue full: as on Linux, it is dropped
// and the connection stays half-open; the peer's next segment (or our
// SYN-ACK retransmission) tries again once the application accepts.
// Called with h.mu held.
func (h *Host) acceptQueueFull(now clock.Instant, l *Listener, t Tuple, seg *tcp.Segment) bool {
	if seg.Flags&(wire.FlagACK|wire.FlagRST|wire.FlagSYN) != wire.FlagACK {
		return false
	}
	l.mu.Lock()
	full := l.queued() >= l.backlog
	l.mu.Unlock()
	if !full {
		return false
	}
	h.count(func(k *Counters) { k.ListenOverflows++ })
	h.drop(now, t, seg, DropListenOverflow)
	return true
}

// atConnLimit reports (and counts, and traces) a final ACK of the
// handshake that would make a connection beyond MaxConns: it is dropped
// and the connection stays half-open, to be retried by the peer's next
// segment or our SYN-ACK retransmission. Called with h.mu held.
func (h *Host) atConnLimit(now clock.Instant, t Tuple, seg *tcp.Segment) bool {
	if seg.Flags&(wire.FlagACK|wire.FlagRST|wire.FlagSYN) != wire.FlagACK || h.connCount() < h.cfg.MaxConns {
		return false
	}
	h.count(func(k *Counters) { k.ConnLimit++ })
	h.drop(now, t, seg, DropConnLimit)
	return true
}

// settlePassive puts a listener's connection, established, into its
// accept queue (or resets it if the listener has closed). Called with
// h.mu held.
func (h *Host) settlePassive(c *Conn, st tcp.State) {
	l := c.listener
	if l == nil || st == tcp.SynReceived {
		return
	}
	c.listener = nil
	l.mu.Lock()
	ok := !l.closed && (st == tcp.Established || st == tcp.CloseWait)
	if ok {
		l.accept = append(l.accept, c)
		l.countQueued(1)
	}
	l.mu.Unlock()
	if ok {
		l.wake()
	}
}

// discardRequests ends l's half-open connections without a word, as Linux
// frees a closing listener's request socks: the peer's handshake ACK, if
// it comes, then draws a reset. Called with h.mu held.
func (h *Host) discardRequests(now clock.Instant, l *Listener) {
	for k, r := range h.syn.all() {
		t := h.tupleOf(k)
		if !l.covers(t.Local) {
			continue
		}
		tcb := h.takeRequest(k, t, r, l).expand()
		tcb.Discard(now)
		h.retired.add(tcb.Stats())
		h.dropRequest(k, l)
	}
}

// crashRequests forgets every half-open connection, as a host crash does.
// Called with h.mu held.
func (h *Host) crashRequests(now clock.Instant) {
	for k, r := range h.syn.all() {
		t := h.tupleOf(k)
		h.takeRequest(k, t, r, nil).crash(now, nil)
	}
	h.req = requestForm{}
	h.syn.reset()
}

// covers reports whether local is an address l listens on.
func (l *Listener) covers(local netip.AddrPort) bool {
	if l.forward {
		b := l.h.findListener(local)
		return b == nil || b == l
	}
	a := l.addr.Addr()
	return local.Port() == l.addr.Port() && (a == local.Addr() || a.IsUnspecified() && (l.dual || a.Is4() == local.Addr().Is4()))
}
