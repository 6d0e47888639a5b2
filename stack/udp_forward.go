package stack

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// UDP forwarding, the datagram side of ListenForward: a
// UDPForwardListener takes the datagrams to any address and port that no
// UDP socket of the host claims, the host's own addresses included, and
// groups them into flows by their 4-tuple, as Linux's conntrack does. A
// new flow waits in the listener's accept queue; its datagrams wait in
// the flow's own bounded queue meanwhile, and the application's replies
// leave from the destination the client asked for. A flow ends when it
// has been idle for its timeout (no datagram either way), when its user
// closes it, or with the listener. The flows are entries of one table
// and two expiry lists under the host's datagram lock; nothing runs per
// flow, and the host's Tick expires them.

// UDPForwardOptions configure ListenForwardUDP. Zero values mean the
// defaults.
type UDPForwardOptions struct {
	// MaxFlows bounds the flows alive at once, accepted or not; a
	// datagram that would start one more is dropped
	// (UDPForwardDrops). Default 4096.
	MaxFlows int
	// Backlog bounds the flows not yet accepted; a datagram that would
	// start one more is dropped likewise. Default 128.
	Backlog int
	// QueueLen bounds each flow's receive queue in datagrams (its bytes
	// are bounded too, by SetRecvBuffer's limit); a datagram beyond it is
	// dropped, counted in the flow's Drops and UDPRcvbufErrors.
	// Default 64.
	QueueLen int
	// Timeout is how long a flow lives idle until the application has
	// replied and for the first StreamAfter of its life: Linux's
	// nf_conntrack_udp_timeout, default 30 s.
	Timeout time.Duration
	// StreamTimeout is how long a replied flow older than StreamAfter
	// lives idle: Linux's nf_conntrack_udp_timeout_stream, default
	// 120 s. A single request and its answer (a DNS lookup) so keep the
	// short Timeout, as in Linux, where the stream timeout needs the
	// flow to be active after two seconds.
	StreamTimeout time.Duration
	// StreamAfter is that age, 2 s by default, as Linux's.
	StreamAfter time.Duration
}

// The defaults of UDPForwardOptions.
const (
	DefaultMaxUDPFlows      = 4096
	DefaultUDPFlowBacklog   = 128
	DefaultUDPFlowQueueLen  = 64
	DefaultUDPFlowTimeout   = 30 * time.Second
	DefaultUDPStreamTimeout = 120 * time.Second
	DefaultUDPStreamAfter   = 2 * time.Second
)

// UDPForwardListener takes datagrams to any destination, as flows.
type UDPForwardListener struct {
	h *Host
	o UDPForwardOptions

	// Guarded by h.dgram.mu.
	flows   map[Tuple]*UDPFlow
	backlog flowList // not yet accepted, oldest first
	short   flowList // expiring after Timeout, by deadline
	long    flowList // expiring after StreamTimeout, by deadline
	closed  bool
	waker   func()
}

// UDPFlow is the datagrams between one client and one destination: a
// socket bound to the destination (which need not be the host's) and
// connected to the client. Its methods are non-blocking, as UDPSocket's.
type UDPFlow struct {
	dgramSock
	fl    *UDPForwardListener
	tuple Tuple // Local: the destination; Remote: the client

	// Guarded by h.dgram.mu.
	born     clock.Instant
	deadline clock.Instant
	replied  bool
	list     *flowList // the expiry list holding the flow; nil once gone
	inQueue  bool      // in fl.backlog
	expired  atomic.Bool

	lru, acc flowLinks
}

// ListenForwardUDP starts UDP forwarding. A host has at most one such
// listener; a second is EADDRINUSE.
func (h *Host) ListenForwardUDP(o UDPForwardOptions) (*UDPForwardListener, error) {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MaxFlows, DefaultMaxUDPFlows)
	def(&o.Backlog, DefaultUDPFlowBacklog)
	def(&o.QueueLen, DefaultUDPFlowQueueLen)
	o.QueueLen = min(o.QueueLen, maxQueuedDatagrams)
	defDur(&o.Timeout, DefaultUDPFlowTimeout)
	defDur(&o.StreamTimeout, DefaultUDPStreamTimeout)
	defDur(&o.StreamAfter, DefaultUDPStreamAfter)
	d := &h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ufl != nil {
		return nil, syscall.EADDRINUSE
	}
	fl := &UDPForwardListener{h: h, o: o, flows: make(map[Tuple]*UDPFlow)}
	d.ufl = fl
	d.uflOn.Store(true)
	return fl, nil
}

// forwardUDP queues a datagram from from to to, which no socket took, on
// its flow, starting the flow if it has none. It reports whether it
// took the datagram (queued, or dropped and counted). A datagram to or
// from an address that names no single host, or with a port 0, is left
// to the host's own rules when it is for one of the host's addresses,
// and else dropped as not for us, never answered from an address the
// host does not own.
func (h *Host) forwardUDP(now clock.Instant, from, to netip.AddrPort, payload []byte) bool {
	notOurs := func() bool {
		if h.isLocal(to.Addr()) {
			return false
		}
		h.count(func(k *Counters) { k.Drops[DropNotForUs]++ })
		return true
	}
	if !unicast(to.Addr()) || !unicast(from.Addr()) || to.Port() == 0 || from.Port() == 0 {
		return notOurs()
	}
	d := &h.dgram
	d.mu.Lock()
	fl := d.ufl
	if fl == nil {
		d.mu.Unlock()
		return notOurs()
	}
	t := Tuple{Local: to, Remote: from}
	f := fl.flows[t]
	var lwake func()
	if f == nil {
		if len(fl.flows) >= fl.o.MaxFlows || fl.backlog.n >= fl.o.Backlog {
			d.mu.Unlock()
			h.count(func(k *Counters) { k.UDPForwardDrops++; k.Drops[DropForwardFull]++ })
			return true
		}
		f = &UDPFlow{fl: fl, tuple: t, born: now}
		f.init(h)
		f.maxQueued = fl.o.QueueLen
		fl.flows[t] = f
		fl.backlog.push(f, accLinks)
		f.inQueue = true
		lwake = fl.waker
		h.count(func(k *Counters) { k.UDPForwardFlows++ })
	}
	fl.touch(f, now)
	d.mu.Unlock()
	ok, full := f.enqueue(from, payload, func(k *Counters) { k.UDPInDatagrams++ })
	switch {
	case ok:
		f.wake()
	case full:
		h.count(func(k *Counters) { k.UDPInErrors++; k.UDPRcvbufErrors++; k.Drops[DropRecvQueueFull]++ })
	default: // expired or closed since the lookup
		h.count(func(k *Counters) { k.Drops[DropNoSocket]++ })
	}
	if lwake != nil {
		lwake()
	}
	return true
}

// touch restarts f's idle time at now, on the expiry list its timeout
// puts it on. Called with h.dgram.mu held.
func (fl *UDPForwardListener) touch(f *UDPFlow, now clock.Instant) {
	if f.list != nil {
		f.list.remove(f, lruLinks)
	}
	f.list, f.deadline = &fl.short, now.Add(fl.o.Timeout)
	if f.replied && now >= f.born.Add(fl.o.StreamAfter) {
		f.list, f.deadline = &fl.long, now.Add(fl.o.StreamTimeout)
	}
	f.list.push(f, lruLinks)
}

// unlink takes f out of the listener's table and lists. Called with
// h.dgram.mu held.
func (fl *UDPForwardListener) unlink(f *UDPFlow) {
	if f.list == nil {
		return
	}
	f.list.remove(f, lruLinks)
	f.list = nil
	if f.inQueue {
		fl.backlog.remove(f, accLinks)
		f.inQueue = false
	}
	delete(fl.flows, f.tuple)
}

// tickUDPFlows expires the flows idle past their deadline: their queued
// datagrams are dropped and their users woken, to find them expired.
func (h *Host) tickUDPFlows(now clock.Instant) {
	d := &h.dgram
	var gone []*UDPFlow
	d.mu.Lock()
	if fl := d.ufl; fl != nil {
		for _, l := range []*flowList{&fl.short, &fl.long} {
			for f := l.head; f != nil && f.deadline <= now; f = l.head {
				fl.unlink(f)
				gone = append(gone, f)
			}
		}
	}
	d.mu.Unlock()
	for _, f := range gone {
		f.expired.Store(true)
		f.shut()
		f.wake()
	}
	if n := uint64(len(gone)); n > 0 {
		h.count(func(k *Counters) { k.UDPForwardExpired += n })
	}
}

// nextUDPFlow is the earliest deadline of a flow, or clock.Never.
func (h *Host) nextUDPFlow() clock.Instant {
	d := &h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	next := clock.Never
	if fl := d.ufl; fl != nil {
		for _, l := range []*flowList{&fl.short, &fl.long} {
			if l.head != nil {
				next = clock.Min(next, l.head.deadline)
			}
		}
	}
	return next
}

// Accept returns the oldest flow not yet accepted, or nil when none is
// waiting. After Close it returns syscall.EINVAL.
func (fl *UDPForwardListener) Accept() (*UDPFlow, error) {
	d := &fl.h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	if f := fl.backlog.head; f != nil {
		fl.backlog.remove(f, accLinks)
		f.inQueue = false
		return f, nil
	}
	if fl.closed {
		return nil, syscall.EINVAL
	}
	return nil, nil
}

// SetWaker sets the function called (without locks held) when a new
// flow waits to be accepted or the listener closes. It must not block.
func (fl *UDPForwardListener) SetWaker(f func()) {
	d := &fl.h.dgram
	d.mu.Lock()
	fl.waker = f
	d.mu.Unlock()
}

// Flows returns the number of flows alive, accepted or not.
func (fl *UDPForwardListener) Flows() int {
	d := &fl.h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(fl.flows)
}

// Close stops UDP forwarding and closes every flow; datagrams to no
// socket are then answered with port unreachable again.
func (fl *UDPForwardListener) Close() {
	d := &fl.h.dgram
	d.mu.Lock()
	flows := fl.closeLocked()
	w := fl.waker
	d.mu.Unlock()
	for _, f := range flows {
		if f.shut() {
			f.wake()
		}
	}
	if w != nil {
		w()
	}
}

// closeLocked ends the listener and returns its flows, to be shut.
// Called with h.dgram.mu held.
func (fl *UDPForwardListener) closeLocked() []*UDPFlow {
	d := &fl.h.dgram
	if d.ufl == fl {
		d.ufl = nil
		d.uflOn.Store(false)
	}
	fl.closed = true
	flows := make([]*UDPFlow, 0, len(fl.flows))
	for _, f := range fl.flows {
		flows = append(flows, f)
	}
	for _, f := range flows {
		fl.unlink(f)
	}
	return flows
}

// crashForwardUDP forgets UDP forwarding, as a reboot does, and returns
// the flows to shut. Called with h.dgram.mu held.
func (d *datagrams) crashForwardUDP() []*dgramSock {
	if d.ufl == nil {
		return nil
	}
	var socks []*dgramSock
	for _, f := range d.ufl.closeLocked() {
		socks = append(socks, &f.dgramSock)
	}
	return socks
}

// Tuple returns the flow's ends: Local is the destination the client
// sent to, Remote the client.
func (f *UDPFlow) Tuple() Tuple { return f.tuple }

// Recv takes the next datagram from the client into p (truncated to
// len(p), as recvfrom(2) does) and returns its length. A pending error
// (a hard ICMP error about a reply, as for a connected socket) comes
// first; syscall.EAGAIN means nothing has arrived; syscall.ETIMEDOUT,
// that the flow expired; syscall.EBADF, that it is closed.
func (f *UDPFlow) Recv(p []byte) (int, error) {
	n, _, err := f.recv(p)
	return n, f.gone(err)
}

// gone turns the error of a shut flow into ETIMEDOUT when it expired.
func (f *UDPFlow) gone(err error) error {
	if err == syscall.EBADF && f.expired.Load() {
		return syscall.ETIMEDOUT
	}
	return err
}

// Send sends p to the client as one datagram from the flow's
// destination, at the host's next Flush, and restarts the flow's idle
// time at now with the application's reply seen. Errors are SendTo's,
// and ETIMEDOUT once the flow expired.
func (f *UDPFlow) Send(now clock.Instant, p []byte) error {
	src, to := f.tuple.Local, f.tuple.Remote
	_, hl, buf, err := f.prepare(src.Addr(), to.Addr(), wire.UDPHeaderLen+len(p))
	if err != nil {
		return f.gone(err)
	}
	d := &f.h.dgram
	d.mu.Lock()
	if f.list != nil {
		f.replied = true
		f.fl.touch(f, now)
	}
	d.mu.Unlock()
	n := hl + wire.UDPHeaderLen + len(p)
	f.buildUDP((*buf)[:n], hl, src, to, p, false)
	f.h.queueDatagram(outDatagram{owner: &f.dgramSock, buf: buf, n: n})
	return nil
}

// Close ends the flow: what it had received is dropped, and the client's
// next datagram starts a new flow.
func (f *UDPFlow) Close() {
	d := &f.h.dgram
	d.mu.Lock()
	f.fl.unlink(f)
	d.mu.Unlock()
	if f.shut() {
		f.wake()
	}
}

// flowICMPError leaves a hard ICMP error about a reply from local to
// remote for the flow's next call, as for a connected socket (see
// udpICMPError). It reports whether a flow had that tuple.
func (h *Host) flowICMPError(local, remote netip.AddrPort, errno syscall.Errno, hard bool) bool {
	d := &h.dgram
	d.mu.Lock()
	var f *UDPFlow
	if d.ufl != nil {
		f = d.ufl.flows[Tuple{Local: local, Remote: remote}]
	}
	d.mu.Unlock()
	if f == nil {
		return false
	}
	if hard {
		f.setError(errno)
	}
	return true
}

// flowLinks are a flow's links in one list.
type flowLinks struct{ prev, next *UDPFlow }

// flowList is a doubly linked list of flows through the links that
// links picks.
type flowList struct {
	head, tail *UDPFlow
	n          int
}

func lruLinks(f *UDPFlow) *flowLinks { return &f.lru }
func accLinks(f *UDPFlow) *flowLinks { return &f.acc }

func (q *flowList) push(f *UDPFlow, links func(*UDPFlow) *flowLinks) {
	l := links(f)
	l.prev, l.next = q.tail, nil
	if q.tail != nil {
		links(q.tail).next = f
	} else {
		q.head = f
	}
	q.tail = f
	q.n++
}

func (q *flowList) remove(f *UDPFlow, links func(*UDPFlow) *flowLinks) {
	l := links(f)
	if l.prev != nil {
		links(l.prev).next = l.next
	} else {
		q.head = l.next
	}
	if l.next != nil {
		links(l.next).prev = l.prev
	} else {
		q.tail = l.prev
	}
	l.prev, l.next = nil, nil
	q.n--
}

// checkUDPFlows checks that each flow of the table is on one expiry list,
// in deadline order, and the backlog holds only flows of the table, as
// many as it counts.
func (h *Host) checkUDPFlows() error {
	d := &h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	fl := d.ufl
	if fl == nil {
		return nil
	}
	listed := 0
	for _, l := range []*flowList{&fl.short, &fl.long} {
		n := 0
		for f, prev := l.head, clock.Instant(0); f != nil; f = f.lru.next {
			if f.list != l || fl.flows[f.tuple] != f || f.deadline < prev {
				return fmt.Errorf("UDP flow %v: misplaced on its expiry list", f.tuple)
			}
			prev = f.deadline
			n++
		}
		if n != l.n {
			return fmt.Errorf("UDP flows: an expiry list counts %d, holds %d", l.n, n)
		}
		listed += n
	}
	if listed != len(fl.flows) {
		return fmt.Errorf("UDP flows: %d in the table, %d on expiry lists", len(fl.flows), listed)
	}
	n := 0
	for f := fl.backlog.head; f != nil; f = f.acc.next {
		if !f.inQueue || fl.flows[f.tuple] != f {
			return fmt.Errorf("UDP flow %v: in the backlog but not waiting", f.tuple)
		}
		n++
	}
	if n != fl.backlog.n {
		return fmt.Errorf("UDP flows: the backlog counts %d, holds %d", fl.backlog.n, n)
	}
	return nil
}
