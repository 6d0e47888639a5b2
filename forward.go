package synack

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/synack-net/synack/stack"
)

// ForwardListener takes TCP connections to any destination that no
// Listener of the stack claims, as a transparent proxy or the inbound
// side of a tunnel does: each SYN becomes a ForwardRequest, answered by
// the application (typically after dialing the real destination) before
// the handshake goes on. It is stack.ForwardListener's goroutine-safe
// form; the stack itself holds no goroutine per SYN. With several
// shards, each shard forwards the tuples it owns (one
// stack.ForwardListener each), so forwarded connections spread over the
// cores as others do.
type ForwardListener struct {
	s         *Stack
	fls       []*stack.ForwardListener // one per shard
	next      atomic.Uint32            // the shard Accept asks first, so that none waits behind the others
	reqReady  chan struct{}
	connReady chan struct{}
	done      chan struct{}
	once      sync.Once

	mu      sync.Mutex
	waiting map[stack.Tuple]chan completion // Complete calls waiting for their connection
}

// ListenForward starts forwarding with the given bounds (the zero value
// means a backlog of the host's default, 1024 unanswered requests, and
// 30 s for each answer; see stack.ForwardOptions). A stack has at most
// one ForwardListener; while it is open the stack also takes TCP packets
// to addresses it does not own, and DialTCP may use any local address.
//
// With several shards, the bounds hold for the shards together as for
// one listener: the accept queues count against one Backlog
// (stack.AcceptGroup), and each shard may hold its part of MaxPending
// unanswered requests, and of Backlog half-open connections, rounded up.
func (s *Stack) ListenForward(o stack.ForwardOptions) (*ForwardListener, error) {
	fls, err := s.listenForwardAll(o)
	if err != nil {
		return nil, opError("listen", netipZero, netipZero, err)
	}
	f := &ForwardListener{s: s, fls: fls, reqReady: make(chan struct{}, 1), connReady: make(chan struct{}, 1),
		done: make(chan struct{}), waiting: make(map[stack.Tuple]chan completion)}
	for _, fl := range fls {
		fl.SetWaker(func() {
			for _, ch := range []chan struct{}{f.reqReady, f.connReady} {
				select {
				case ch <- struct{}{}:
				default:
				}
			}
		})
	}
	go f.dispatch()
	return f, nil
}

// listenForwardAll opens a forwarder on every shard, shard 0's first,
// which refuses a second forwarder and records the opening.
func (s *Stack) listenForwardAll(o stack.ForwardOptions) ([]*stack.ForwardListener, error) {
	now := s.clk.Now()
	n := len(s.shards)
	if n == 1 {
		fl, err := s.host.ListenForward(now, o)
		if err != nil {
			return nil, err
		}
		return []*stack.ForwardListener{fl}, nil
	}
	o.Backlog = s.host.EffectiveBacklog(o.Backlog)
	if o.MaxPending <= 0 {
		o.MaxPending = stack.DefaultMaxPendingForwards
	}
	o.MaxPending = (o.MaxPending + n - 1) / n
	s.listenMu.Lock()
	defer s.listenMu.Unlock()
	first, err := s.host.ListenForward(now, o)
	if err != nil {
		return nil, err
	}
	group := new(stack.AcceptGroup)
	part := (o.Backlog + n - 1) / n
	first.ShareAcceptQueue(group, part)
	fls := []*stack.ForwardListener{first}
	for _, sh := range s.shards[1:] {
		fl, err := sh.host.ListenForwardShadow(now, o)
		if err != nil {
			for _, fl := range fls {
				fl.Close(now)
			}
			return nil, err
		}
		fl.ShareAcceptQueue(group, part)
		fls = append(fls, fl)
	}
	return fls, nil
}

// completion is what a Complete call waits for: its connection, or why
// the handshake failed.
type completion struct {
	c   *Conn
	err error
}

// dispatch hands each established connection to the Complete call
// waiting for its tuple (one that nobody waits for any more is reset),
// and each failed handshake's error.
func (f *ForwardListener) dispatch() {
	for {
		for _, fl := range f.fls {
			for {
				sc, _ := fl.Accept()
				if sc == nil {
					break
				}
				if !f.hand(sc.Tuple(), completion{c: newConn(f.s, sc)}) {
					sc.Abort(f.s.clk.Now())
				}
			}
			for {
				fail, ok := fl.Failed()
				if !ok {
					break
				}
				f.hand(fail.Tuple, completion{err: fail.Err})
			}
		}
		select {
		case <-f.connReady:
		case <-f.done:
			return
		case <-f.s.done:
			return
		}
	}
}

// hand gives v to the Complete call waiting for t, if any.
func (f *ForwardListener) hand(t stack.Tuple, v completion) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := f.waiting[t]
	if ch == nil {
		return false
	}
	delete(f.waiting, t)
	ch <- v // buffered: never blocks
	return true
}

// Accept waits for the next SYN to forward. It fails with net.ErrClosed
// after Close, and with ctx's error when ctx is done.
func (f *ForwardListener) Accept(ctx context.Context) (*ForwardRequest, error) {
	for {
		if isClosed(f.done) {
			return nil, opError("accept", netipZero, netipZero, net.ErrClosed)
		}
		r, err := f.nextRequest()
		if err != nil {
			return nil, opError("accept", netipZero, netipZero, net.ErrClosed)
		}
		if r != nil {
			f.mu.Lock()
			_, again := f.waiting[r.Tuple()]
			f.mu.Unlock()
			if again {
				// The client sent its SYN again while Complete waits (the
				// SYN-ACK, a cookie's perhaps, was lost): answer it the
				// same way.
				r.Complete()
				continue
			}
			return &ForwardRequest{f: f, r: r}, nil
		}
		select {
		case <-f.reqReady:
		case <-f.done:
		case <-f.s.done:
			return nil, opError("accept", netipZero, netipZero, net.ErrClosed)
		case <-ctx.Done():
			return nil, opError("accept", netipZero, netipZero, ctxErr(ctx))
		}
	}
}

// nextRequest takes a request from the first shard that has one
// (fromAny); nil when none has.
func (f *ForwardListener) nextRequest() (*stack.ForwardRequest, error) {
	return fromAny(f.fls, &f.next, (*stack.ForwardListener).Next)
}

// Close stops forwarding: requests not yet answered are forgotten,
// connections not yet handed to Complete are reset.
func (f *ForwardListener) Close() error {
	err := net.ErrClosed
	f.once.Do(func() {
		err = nil
		close(f.done)
		now := f.s.clk.Now()
		// Under listenMu, so that a ListenForward does not find some
		// shards' forwarders closed and others still open.
		f.s.listenMu.Lock()
		for _, fl := range f.fls {
			fl.Close(now)
		}
		f.s.listenMu.Unlock()
	})
	if err != nil {
		return opError("close", netipZero, netipZero, err)
	}
	return nil
}

// Pending returns the number of requests not yet answered.
func (f *ForwardListener) Pending() int {
	n := 0
	for _, fl := range f.fls {
		n += fl.Pending()
	}
	return n
}

// ForwardRequest is a SYN to some destination, waiting for an answer:
// Complete, Refuse or Drop, within the listener's Timeout (30 s by
// default), after which it is forgotten and the client's next SYN is a
// new request.
type ForwardRequest struct {
	f *ForwardListener
	r *stack.ForwardRequest
}

// LocalAddr is the destination the client asked for.
func (r *ForwardRequest) LocalAddr() netip.AddrPort { return r.r.Tuple().Local }

// RemoteAddr is the client.
func (r *ForwardRequest) RemoteAddr() netip.AddrPort { return r.r.Tuple().Remote }

// SYNOptions are the options of a client's SYN.
type SYNOptions struct {
	MSS           uint16 // the MSS option (RFC 9293 §3.7.1), 0 when absent
	WindowScale   int    // the window scale shift (RFC 7323 §2), -1 when absent
	SACKPermitted bool   // SACK-permitted (RFC 2018 §2)
	Timestamps    bool   // the timestamps option (RFC 7323 §3)
}

// SYN returns the options of the client's SYN, to open the connection to
// the real destination with the same ones.
func (r *ForwardRequest) SYN() SYNOptions {
	o := r.r.Options()
	s := SYNOptions{WindowScale: -1, SACKPermitted: o.SACKPermitted, Timestamps: o.HasTS}
	if o.HasMSS {
		s.MSS = o.MSS
	}
	if o.HasWScale {
		s.WindowScale = int(o.WScale)
	}
	return s
}

// Complete accepts the connection: the stack answers the SYN with a
// SYN-ACK from LocalAddr (from the SYN queue, or as a SYN cookie under a
// flood) and Complete returns the connection once the client's ACK has
// established it. If the handshake fails it returns ETIMEDOUT (the
// client never acknowledged the SYN-ACK, after its 6 tries in 63 s) or
// ECONNRESET; a handshake answered with a SYN cookie holds no state to
// fail, so give ctx a deadline. A request already answered or forgotten
// fails with syscall.EALREADY or ETIMEDOUT, and one the client reset
// while it waited with ECONNRESET.
func (r *ForwardRequest) Complete(ctx context.Context) (*Conn, error) {
	f, t := r.f, r.r.Tuple()
	ch := make(chan completion, 1)
	f.mu.Lock()
	if _, busy := f.waiting[t]; busy {
		f.mu.Unlock()
		return nil, r.opError(syscall.EALREADY)
	}
	f.waiting[t] = ch
	f.mu.Unlock()
	if err := r.r.Complete(); err != nil {
		r.giveUp(ch)
		return nil, r.opError(err)
	}
	select {
	case v := <-ch:
		if v.err != nil {
			return nil, r.opError(v.err)
		}
		return v.c, nil
	case <-ctx.Done():
		r.giveUp(ch)
		return nil, r.opError(ctxErr(ctx))
	case <-f.done:
	case <-f.s.done:
	}
	r.giveUp(ch)
	return nil, r.opError(net.ErrClosed)
}

// giveUp withdraws a Complete call's wait; a connection handed to it
// meanwhile is reset.
func (r *ForwardRequest) giveUp(ch chan completion) {
	f := r.f
	f.mu.Lock()
	if f.waiting[r.r.Tuple()] == ch {
		delete(f.waiting, r.r.Tuple())
	}
	f.mu.Unlock()
	select {
	case v := <-ch:
		if v.c != nil {
			v.c.c.Abort(f.s.clk.Now())
		}
	default:
	}
}

// Refuse answers the SYN with a reset, as a closed port does: the
// client's connect fails with ECONNREFUSED.
func (r *ForwardRequest) Refuse() error {
	if err := r.r.Refuse(); err != nil {
		return r.opError(err)
	}
	return nil
}

// Drop forgets the SYN without a word, as a firewall's DROP: the client
// retransmits it (a new request) and in the end times out.
func (r *ForwardRequest) Drop() error {
	if err := r.r.Drop(); err != nil {
		return r.opError(err)
	}
	return nil
}

func (r *ForwardRequest) opError(err error) error {
	return opError("accept", r.LocalAddr(), r.RemoteAddr(), err)
}

// ctxErr is ctx's error as net reports it: a deadline is
// os.ErrDeadlineExceeded.
func ctxErr(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return os.ErrDeadlineExceeded
	}
	return err
}
