package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// requestForm is the third form of a connection: a listener's half-open
// connection (SYN_RCVD), which the host keeps as a compact tcp.Request in
// its SYN queue (synqueue.go) rather than in a Conn. For each segment,
// timer, flush or listing that concerns it the host takes the request out
// as this form (takeRequest, or newRequest for a SYN just answered) and
// drives it through the same methods and the same output path
// (pushSegments) as the other two forms; the form expands the request
// into the host's scratch TCB at its first use, so every rule of SYN_RCVD
// and every state change is the TCB's, recorded through requestObserver.
// settleRequest then swaps the form for the one the connection's state
// calls for: a request again, a Conn holding the TCB, or nothing.
//
// The host has one requestForm (Host.req), reused, so taking a request
// out allocates nothing.
type requestForm struct {
	h   *Host
	k   synKey
	t   Tuple
	l   *Listener    // the listener it belongs to, or nil
	r   *tcp.Request // the request in the SYN queue, nil for a new one
	tcb *tcp.TCB     // the host's scratch TCB once expanded, else nil
}

// takeRequest returns request k (whose tuple is t and listener l) as the
// host's request form, not yet expanded. Called with h.mu held; the form
// is valid until the next takeRequest or newRequest.
func (h *Host) takeRequest(k synKey, t Tuple, r *tcp.Request, l *Listener) *requestForm {
	h.req = requestForm{h: h, k: k, t: t, l: l, r: r}
	return &h.req
}

// newRequest returns the half-open connection whose SYN the host's
// scratch TCB has just taken (tcp.InitPassive) as the host's request
// form. Called with h.mu held.
func (h *Host) newRequest(k synKey, t Tuple, l *Listener) *requestForm {
	h.req = requestForm{h: h, k: k, t: t, l: l, tcb: h.scratch}
	return &h.req
}

// scratchFor prepares the host's scratch TCB for the half-open connection
// t, observed through the host's request observer, and returns the
// parameters its first TCB was opened with. Called with h.mu held.
func (h *Host) scratchFor(now clock.Instant, t Tuple, l *Listener) tcp.OpenParams {
	if h.scratch == nil {
		h.scratch = new(tcp.TCB)
	}
	h.reqObs = requestObserver{h: h, t: t}
	return h.openParams(now, t, &h.reqObs, listenerOptions(l))
}

// expand returns the request as the scratch TCB, expanding it at the
// first call. Expanding records no state change and depends on no clock:
// the parameters are those the request's first TCB had, its ISS kept.
func (f *requestForm) expand() *tcp.TCB {
	if f.tcb == nil {
		p := f.h.scratchFor(0, f.t, f.l)
		p.ISS = f.r.ISS()
		f.r.Expand(f.h.scratch, f.h.tcpCfg, p)
		f.tcb = f.h.scratch
	}
	return f.tcb
}

// full is the expanded request as the full form, whose methods are the
// TCB's.
func (f *requestForm) full() *fullForm { return (*fullForm)(f.expand()) }

func (f *requestForm) deliver(now clock.Instant, seg tcp.Segment, c *Conn) {
	f.full().deliver(now, seg, c)
}

func (f *requestForm) nextSegment(now clock.Instant, buf []byte) (tcp.Segment, bool) {
	return f.full().nextSegment(now, buf)
}

func (f *requestForm) tick(now clock.Instant, c *Conn) { f.full().tick(now, c) }

// deadline, state and status need no expansion until the request has
// been driven: it is in SYN_RCVD, waiting for its SYN-ACK's timer.
func (f *requestForm) deadline() clock.Instant {
	if f.tcb == nil {
		return f.r.Deadline()
	}
	return f.tcb.NextDeadline()
}

func (f *requestForm) state() tcp.State {
	if f.tcb == nil {
		return tcp.SynReceived
	}
	return f.tcb.State()
}

func (f *requestForm) info() tcp.Info { return f.full().info() }

func (f *requestForm) status() Status {
	if f.tcb == nil {
		return Status{State: tcp.SynReceived}
	}
	return f.full().status()
}

// acceptsNewIncarnation: RFC 6191 lets a SYN take over a 4-tuple in
// TIME_WAIT only; a SYN for a half-open connection is the TCB's to judge
// (RFC 9293 §3.10.7.4, fourth check), so the host delivers it instead.
func (f *requestForm) acceptsNewIncarnation(tcp.Segment) bool { return false }

// endTimeWait has nothing to end: a request is never in TIME_WAIT (the
// host asks only connections in TIME_WAIT).
func (f *requestForm) endTimeWait(clock.Instant, tcp.Cause, *Conn) {}

func (f *requestForm) crash(now clock.Instant, c *Conn) { f.full().crash(now, c) }
