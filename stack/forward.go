package stack

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// Forwarding (a transparent proxy's accept, as Linux's IP_TRANSPARENT
// with TPROXY, or gVisor's tcp.Forwarder): a ForwardListener takes the
// SYNs to any address and port that no listener of the host claims,
// the host's own addresses included. Each SYN becomes a pending
// ForwardRequest, bounded in number and age, that the application
// answers: Complete hands the SYN to the passive open of a listener
// (the SYN queue, SYN-ACK retransmission, cookies and the accept queue
// all apply), Refuse answers it with a reset as a closed port does
// (RFC 9293 §3.10.7.1), Drop forgets it. The answers are applied at the
// next Flush, by the driver, as every packet the host sends is built.
// While forwarding is on the host also takes TCP packets to addresses
// it does not own, and the ICMP errors about them, and Connect may use
// any source address (the other direction of a tunnel). A client's RST
// cancels its request while it waits (forwardReset).

// ForwardOptions configure ListenForward.
type ForwardOptions struct {
	// Backlog bounds the accept queue and, with MaxSynBacklog, the SYN
	// queue of the completed requests, as Listen's backlog does; 0 means
	// the host's default.
	Backlog int
	// MaxPending bounds the requests not yet answered; SYNs beyond it
	// are dropped (ForwardDrops), and the client's retransmission tries
	// again. Default 1024.
	MaxPending int
	// Timeout is how long a request waits for its answer before it is
	// forgotten (ForwardExpired): the client's next SYN retransmission,
	// if any, asks again. Default 30 s, by which a Linux client has
	// sent its SYN five times (1, 3, 7, 15 and 31 s).
	Timeout time.Duration
}

// The defaults of ForwardOptions.
const (
	DefaultMaxPendingForwards = 1024
	DefaultForwardTimeout     = 30 * time.Second
)

// forwarding is the host's forwarding state. Guarded by Host.mu, but for
// on and decided, which Deliver and HasPendingOutput read without it.
type forwarding struct {
	fl      *ForwardListener
	on      atomic.Bool
	decided atomic.Int32 // requests answered but not yet applied
	addrs   fwdAddrs
}

// ForwardListener takes connections to any destination. Its requests
// come from Next; the connections they complete, established, from
// Accept, and they are told apart by their tuples.
type ForwardListener struct {
	l       *Listener // the completed requests' SYN and accept queues
	max     int
	timeout time.Duration

	// Guarded by Host.mu.
	pending map[Tuple]*ForwardRequest
	queue   fwdList          // unanswered, in arrival (and so deadline) order
	handout *ForwardRequest  // the first of queue that Next has not returned
	decided fwdList          // answered, to be applied at the next Flush
	failed  []ForwardFailure // completed requests whose handshake failed, oldest first
}

// ForwardFailure is a completed request whose handshake failed: the
// client reset it, or never acknowledged the SYN-ACK.
type ForwardFailure struct {
	Tuple Tuple
	Err   syscall.Errno // ETIMEDOUT or ECONNRESET
}

type fwdState uint8

const (
	fwdPending fwdState = iota
	fwdComplete
	fwdRefuse
	fwdGone
)

// ForwardRequest is a SYN to some destination, waiting for the
// application's answer.
type ForwardRequest struct {
	fl       *ForwardListener
	tuple    Tuple
	syn      tcp.Segment // without payload: the client sends it again
	deadline clock.Instant
	state    fwdState
	err      error // why it is gone, for a late answer

	prev, next *ForwardRequest
}

// ListenForward starts forwarding: SYNs that no listener takes become
// requests of the returned listener. A host has at most one; a second is
// EADDRINUSE.
func (h *Host) ListenForward(now clock.Instant, o ForwardOptions) (*ForwardListener, error) {
	return h.listenForward(now, o, false)
}

// listenForward is ListenForward; a shadow (ListenForwardShadow) records
// neither its opening nor its closing.
func (h *Host) listenForward(now clock.Instant, o ForwardOptions, shadow bool) (*ForwardListener, error) {
	if o.Backlog <= 0 || o.Backlog > h.cfg.DefaultBacklog {
		o.Backlog = h.cfg.DefaultBacklog
	}
	if o.MaxPending <= 0 {
		o.MaxPending = DefaultMaxPendingForwards
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultForwardTimeout
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fwd.fl != nil {
		return nil, syscall.EADDRINUSE
	}
	fl := &ForwardListener{
		l:   &Listener{h: h, addr: netip.AddrPortFrom(netip.IPv6Unspecified(), 0), backlog: o.Backlog, synBacklog: o.Backlog, dual: true, forward: true, shadow: shadow},
		max: o.MaxPending, timeout: o.Timeout, pending: make(map[Tuple]*ForwardRequest),
	}
	h.fwd.fl = fl
	h.fwd.on.Store(true)
	if shadow {
		return fl, nil
	}
	h.record(trace.Event{Time: now, Local: fl.l.addr, Kind: trace.KindState, From: tcp.Closed, To: tcp.Listen,
		Cause: tcp.Cause{Kind: tcp.CauseCall, Call: tcp.CallListen}})
	return fl, nil
}

// forwardSYN makes a SYN that reached the forwarder l a request, unless
// one for its tuple is pending (a retransmission) or the pending bound is
// reached. A SYN to or from an address that names no single host is
// ignored (RFC 1122 §4.2.3.10). Called with h.mu held.
func (h *Host) forwardSYN(now clock.Instant, l *Listener, t Tuple, seg *tcp.Segment) {
	fl := h.fwd.fl
	if !unicast(t.Local.Addr()) || !unicast(t.Remote.Addr()) {
		h.drop(now, t, seg, DropNoSocket)
		return
	}
	if _, dup := fl.pending[t]; dup {
		h.drop(now, t, seg, DropForwardPending)
		return
	}
	if len(fl.pending) >= fl.max {
		h.count(func(k *Counters) { k.ForwardDrops++ })
		h.drop(now, t, seg, DropForwardFull)
		return
	}
	r := &ForwardRequest{fl: fl, tuple: t, syn: *seg, deadline: now.Add(fl.timeout)}
	r.syn.Payload = nil
	fl.pending[t] = r
	fl.queue.pushBack(r)
	if fl.handout == nil {
		fl.handout = r
	}
	h.count(func(k *Counters) { k.ForwardRequests++ })
	l.wake()
}

// forwardReset lets a client's RST cancel its request while the request
// waits for its answer or for the Flush that applies it: the answer, or
// a late one, then fails with ECONNRESET, and a completed request that
// was not applied yet is reported by Failed. RFC 5961 §3.2: the reset
// must carry exactly the sequence number that follows the SYN's, since
// no SYN-ACK has told the client a window; any other is not about the
// request. It reports whether seg cancelled one. Called with h.mu held.
func (h *Host) forwardReset(t Tuple, seg *tcp.Segment) bool {
	fl := h.fwd.fl
	r := fl.pending[t]
	if r == nil || seg.Seq != r.syn.Seq.Add(1) {
		return false
	}
	switch r.state {
	case fwdPending:
		fl.forget(r, syscall.ECONNRESET)
	case fwdComplete, fwdRefuse:
		fl.decided.remove(r)
		h.fwd.decided.Add(-1)
		delete(fl.pending, t)
		if r.state == fwdComplete {
			h.forwardFailed(fl.l, t, syscall.ECONNRESET)
		}
		r.state, r.err = fwdGone, syscall.ECONNRESET
	}
	h.count(func(k *Counters) { k.ForwardResets++ })
	return true
}

// takesForeign reports whether Deliver takes a packet of proto to an
// address the host does not own: TCP while a forwarder is open, UDP while
// a UDP forwarder is, and ICMP while either is, the ICMP errors being
// about the forwarded connections and flows, whose local end is such an
// address (and about Connects from one).
func (h *Host) takesForeign(proto uint8) bool {
	switch proto {
	case wire.ProtoTCP:
		return h.fwd.on.Load()
	case wire.ProtoUDP:
		return h.dgram.uflOn.Load()
	case wire.ProtoICMPv4, wire.ProtoICMPv6:
		return h.fwd.on.Load() || h.dgram.uflOn.Load()
	}
	return false
}

// unicast reports whether a names one host: not unspecified, multicast
// or the IPv4 limited broadcast.
func unicast(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// forwardFailed notes that a completed request of l ended without a
// connection, for Failed. The list keeps the latest MaxPending. Called
// with h.mu held.
func (h *Host) forwardFailed(l *Listener, t Tuple, err syscall.Errno) {
	fl := h.fwd.fl
	if l == nil || !l.forward || fl == nil || fl.l != l {
		return
	}
	if err == 0 {
		err = syscall.ECONNRESET
	}
	if len(fl.failed) == fl.max {
		fl.failed = append(fl.failed[:0], fl.failed[1:]...)
	}
	fl.failed = append(fl.failed, ForwardFailure{Tuple: t, Err: err})
	l.wake()
}

// Failed returns the oldest completed request whose handshake failed
// since the last call, so that a caller waiting for its connection can
// stop: ETIMEDOUT when the SYN-ACKs went unacknowledged, ECONNRESET
// when the client reset it (also before the Flush that would have sent
// the SYN-ACK). A request answered with a SYN cookie holds no state and
// is never reported (see Complete).
func (fl *ForwardListener) Failed() (ForwardFailure, bool) {
	h := fl.l.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(fl.failed) == 0 {
		return ForwardFailure{}, false
	}
	f := fl.failed[0]
	fl.failed = append(fl.failed[:0], fl.failed[1:]...)
	return f, true
}

// Next returns the oldest request not yet returned, or nil when none is
// waiting. After Close it returns syscall.EINVAL.
func (fl *ForwardListener) Next() (*ForwardRequest, error) {
	h := fl.l.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := fl.handout; r != nil {
		fl.handout = r.next
		return r, nil
	}
	if h.fwd.fl != fl {
		return nil, syscall.EINVAL
	}
	return nil, nil
}

// Accept returns an established connection that a completed request
// made, or nil when none is waiting. After Close it returns
// syscall.EINVAL.
func (fl *ForwardListener) Accept() (*Conn, error) { return fl.l.Accept() }

// SetWaker sets the function called when a request or a connection is
// waiting, or the listener closes. It must not block.
func (fl *ForwardListener) SetWaker(f func()) { fl.l.SetWaker(f) }

// SetOptions sets the options the completed requests' connections are
// opened with, as Listener.SetOptions does.
func (fl *ForwardListener) SetOptions(o OpenOptions) error { return fl.l.SetOptions(o) }

// Pending returns the number of requests not yet answered.
func (fl *ForwardListener) Pending() int {
	h := fl.l.h
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(fl.pending) - fl.decided.n
}

// HalfOpen returns the number of completed requests in the SYN queue.
func (fl *ForwardListener) HalfOpen() int { return fl.l.HalfOpen() }

// Close stops forwarding: pending requests are forgotten, and the
// completed ones dealt with as Listener.Close deals with its own.
func (fl *ForwardListener) Close(now clock.Instant) {
	h := fl.l.h
	h.mu.Lock()
	if h.fwd.fl == fl {
		h.fwd.fl = nil
		h.fwd.on.Store(false)
		h.fwd.decided.Store(0)
	}
	fl.forgetAll(syscall.EINVAL)
	h.mu.Unlock()
	fl.l.Close(now)
}

// forgetAll ends every request with err. Called with h.mu held.
func (fl *ForwardListener) forgetAll(err error) {
	for _, list := range []*fwdList{&fl.queue, &fl.decided} {
		for r := list.head; r != nil; r = list.head {
			list.remove(r)
			r.state, r.err = fwdGone, err
		}
	}
	clear(fl.pending)
	fl.handout = nil
}

// Tuple returns the request's ends: Local is the destination the client
// asked for, Remote the client.
func (r *ForwardRequest) Tuple() Tuple { return r.tuple }

// Options returns the options of the request's SYN.
func (r *ForwardRequest) Options() wire.TCPOptions { return r.syn.Options }

// Complete accepts the request: at the next Flush its SYN is handed to
// a passive open, which answers with a SYN-ACK from the destination (or
// a SYN cookie, or drops it when the accept queue is full, as for a
// listener's SYN), and the established connection comes from Accept. A
// request already answered or forgotten gives syscall.EALREADY,
// syscall.ETIMEDOUT (expired) or syscall.ECONNRESET (the client reset
// it first).
//
// A request answered with a SYN cookie (the SYN queue was full) leaves
// no state: if the client resets it, or its final ACK and everything
// after it are lost, nothing is reported by Failed, and whoever waits
// for the connection must give up on its own deadline. The client's
// side is the same as with a listener's cookie (RFC 4987 §3.6): a lost
// ACK is repaired by its first data segment, which carries the ACK.
func (r *ForwardRequest) Complete() error { return r.answer(fwdComplete) }

// Refuse answers the request, at the next Flush, with a reset, as a
// closed port does (RFC 9293 §3.10.7.1): the client's connect fails with
// ECONNREFUSED.
func (r *ForwardRequest) Refuse() error { return r.answer(fwdRefuse) }

// Drop forgets the request without a word; the client's retransmitted
// SYN, if it comes, is a new request.
func (r *ForwardRequest) Drop() error {
	h := r.fl.l.h
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := r.check(); err != nil {
		return err
	}
	r.fl.forget(r, syscall.EALREADY)
	return nil
}

func (r *ForwardRequest) answer(s fwdState) error {
	fl := r.fl
	h := fl.l.h
	h.mu.Lock()
	if err := r.check(); err != nil {
		h.mu.Unlock()
		return err
	}
	fl.unqueue(r)
	r.state = s
	fl.decided.pushBack(r)
	h.fwd.decided.Add(1)
	h.mu.Unlock()
	if h.cfg.OnOutput != nil {
		h.cfg.OnOutput()
	}
	return nil
}

// check reports why r can no longer be answered. Called with h.mu held.
func (r *ForwardRequest) check() error {
	if r.state != fwdPending {
		if r.err != nil {
			return r.err
		}
		return syscall.EALREADY
	}
	return nil
}

// unqueue takes r out of the unanswered queue. Called with h.mu held.
func (fl *ForwardListener) unqueue(r *ForwardRequest) {
	if fl.handout == r {
		fl.handout = r.next
	}
	fl.queue.remove(r)
}

// forget ends a pending request. Called with h.mu held.
func (fl *ForwardListener) forget(r *ForwardRequest, err error) {
	fl.unqueue(r)
	delete(fl.pending, r.tuple)
	r.state, r.err = fwdGone, err
}

// flushForwards applies the answers given since the last Flush, emitting
// batches as they fill. Called with h.mu held; it releases it around
// each emit.
func (h *Host) flushForwards(now clock.Instant, emit func([]byte)) {
	for fl := h.fwd.fl; fl != nil && fl.decided.head != nil && h.fwd.fl == fl; {
		if h.out.full() {
			h.mu.Unlock()
			h.emitAll(emit)
			h.mu.Lock()
			continue
		}
		r := fl.decided.head
		fl.decided.remove(r)
		h.fwd.decided.Add(-1)
		delete(fl.pending, r.tuple)
		s := r.state
		r.state, r.err = fwdGone, syscall.EALREADY
		if h.lookupConn(r.tuple) != nil {
			continue // a connection took the tuple meanwhile
		}
		if k, ok := h.keyOf(r.tuple); ok && h.syn.get(k) != nil {
			continue
		}
		switch s {
		case fwdComplete:
			h.fwd.addrs.intern(h, r.tuple.Local.Addr())
			h.passiveOpen(now, fl.l, r.tuple, &r.syn, reuseISS{})
		case fwdRefuse:
			h.resetStray(now, r.tuple, &r.syn)
		}
	}
}

// tickForwards forgets the requests whose answer is overdue. Called with
// h.mu held.
func (h *Host) tickForwards(now clock.Instant) {
	fl := h.fwd.fl
	if fl == nil {
		return
	}
	for r := fl.queue.head; r != nil && r.deadline <= now; r = fl.queue.head {
		fl.forget(r, syscall.ETIMEDOUT)
		h.count(func(k *Counters) { k.ForwardExpired++ })
	}
}

// nextForward is the earliest deadline of an unanswered request or a
// UDP flow, or clock.Never. Called with h.mu held.
func (h *Host) nextForward() clock.Instant {
	next := h.nextUDPFlow() // udp_forward.go
	if fl := h.fwd.fl; fl != nil && fl.queue.head != nil {
		next = clock.Min(next, fl.queue.head.deadline)
	}
	return next
}

// crashForward forgets forwarding, as a host crash does. Called with h.mu
// held.
func (h *Host) crashForward() {
	fl := h.fwd.fl
	if fl == nil {
		return
	}
	h.fwd.fl = nil
	h.fwd.on.Store(false)
	h.fwd.decided.Store(0)
	h.fwd.addrs = fwdAddrs{}
	fl.forgetAll(syscall.EINVAL)
	fl.l.crash()
}

// forwardsAnswered reports whether Flush has answers to apply.
func (h *Host) forwardsAnswered() bool { return h.fwd.decided.Load() > 0 }

// fwdList is a doubly linked list of requests.
type fwdList struct {
	head, tail *ForwardRequest
	n          int
}

func (q *fwdList) pushBack(r *ForwardRequest) {
	r.prev, r.next = q.tail, nil
	if q.tail != nil {
		q.tail.next = r
	} else {
		q.head = r
	}
	q.tail = r
	q.n++
}

func (q *fwdList) remove(r *ForwardRequest) {
	if r.prev != nil {
		r.prev.next = r.next
	} else {
		q.head = r.next
	}
	if r.next != nil {
		r.next.prev = r.prev
	} else {
		q.tail = r.prev
	}
	r.prev, r.next = nil, nil
	q.n--
}

// checkForwards checks the forwarders' books: every pending request is
// unanswered or answered and not yet applied, as the counts say, and the
// UDP flows' table, expiry lists and backlog agree. Called with h.mu
// held.
func (h *Host) checkForwards() error {
	if fl := h.fwd.fl; fl != nil {
		if n := fl.queue.n + fl.decided.n; n != len(fl.pending) {
			return fmt.Errorf("forwarder: %d requests pending, %d queued and %d answered", len(fl.pending), fl.queue.n, fl.decided.n)
		}
		if d := int(h.fwd.decided.Load()); d != fl.decided.n {
			return fmt.Errorf("forwarder: %d answers counted, %d listed", d, fl.decided.n)
		}
	}
	return h.checkUDPFlows()
}
