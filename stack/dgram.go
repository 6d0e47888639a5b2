package stack

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/synack-net/synack/wire"
)

// Default socket buffer limits, as Linux's net.core.rmem_default and
// wmem_default (212992 bytes), and the bounds SetRecvBuffer and
// SetSendBuffer clamp to (Linux's SOCK_MIN_RCVBUF and a 64 MiB ceiling).
const (
	DefaultDgramRecvBuffer = 212992
	DefaultDgramSendBuffer = 212992
	MinDgramBuffer         = 2304
	MaxDgramBuffer         = 64 << 20
)

// dgramSock is what UDP and ping sockets share: a bounded receive queue
// with its drop counter, the send-buffer accounting that makes writers
// wait while their datagrams are queued for the link, the pending error
// that an ICMP message leaves for the next call (Linux's sk_err), and the
// user's waker. Its methods are non-blocking; mu guards its fields.
type dgramSock struct {
	h  *Host
	mu sync.Mutex

	rq        recvQueue
	rcvBuf    int    // SO_RCVBUF: the storage rq may hold
	maxQueued int    // the datagrams rq may hold; 0 means maxQueuedDatagrams
	drops     uint64 // datagrams dropped because rq was full (SO_RXQ_OVFL)
	sndBuf    int    // SO_SNDBUF: the storage queued for output may reach
	sndUsed   int    // storage of this socket's datagrams not yet emitted
	blocked   bool   // a send found sndUsed over sndBuf: wake it on release

	err    syscall.Errno // pending error, returned once by the next call
	closed bool
	waker  func()

	// ipID is the IPv4 Identification of the socket's packets. RFC 6864
	// §4.1: the ID of an atomic datagram (DF set, as synack sends all)
	// has no meaning; a per-socket counter, as Linux keeps.
	ipID atomic.Uint32
}

func (d *dgramSock) init(h *Host) {
	d.h, d.rcvBuf, d.sndBuf = h, DefaultDgramRecvBuffer, DefaultDgramSendBuffer
}

// SetWaker sets the function called (without locks held) when a datagram
// or an error arrives, send space frees up, or the socket is closed. It
// must not block.
func (d *dgramSock) SetWaker(f func()) {
	d.mu.Lock()
	d.waker = f
	d.mu.Unlock()
}

func (d *dgramSock) wake() {
	d.mu.Lock()
	f := d.waker
	d.mu.Unlock()
	if f != nil {
		f()
	}
}

// SetRecvBuffer sets SO_RCVBUF, clamped to [MinDgramBuffer,
// MaxDgramBuffer]. Datagrams already queued stay.
func (d *dgramSock) SetRecvBuffer(n int) {
	d.mu.Lock()
	d.rcvBuf = min(max(n, MinDgramBuffer), MaxDgramBuffer)
	d.mu.Unlock()
}

// SetSendBuffer sets SO_SNDBUF, clamped like SetRecvBuffer.
func (d *dgramSock) SetSendBuffer(n int) {
	d.mu.Lock()
	d.sndBuf = min(max(n, MinDgramBuffer), MaxDgramBuffer)
	d.mu.Unlock()
	d.wake()
}

// Drops returns how many datagrams arrived for the socket and were
// dropped because its receive queue was full (Linux's SO_RXQ_OVFL count).
func (d *dgramSock) Drops() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.drops
}

// Queued returns the datagrams waiting to be read and the storage they
// are charged for.
func (d *dgramSock) Queued() (datagrams, bytes int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rq.n, d.rq.charged
}

// enqueue copies payload from from into the receive queue, applying
// queued to the host's counters before a reader can see it. It reports
// false when the socket is closed, and counts a drop when the queue is
// full: Linux accepts a datagram while the queue's charge is below
// SO_RCVBUF, and so do we (so one datagram always fits).
func (d *dgramSock) enqueue(from netip.AddrPort, payload []byte, queued func(k *Counters)) (ok, full bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false, false
	}
	limit := maxQueuedDatagrams
	if d.maxQueued > 0 {
		limit = d.maxQueued
	}
	if d.rq.charged >= d.rcvBuf || d.rq.n >= limit {
		d.drops++
		return false, true
	}
	buf := getDgram(len(payload))
	n := copy(*buf, payload)
	d.rq.push(datagram{from: from, buf: buf, n: n})
	if queued != nil {
		d.h.count(queued) // countMu is a leaf lock
	}
	return true, false
}

// recv takes the oldest datagram into p, truncating it to len(p) as
// recvfrom(2) does, and returns its length in p and its sender. A
// pending error comes first, before any queued datagram, and is cleared
// (Linux's sock_error in __skb_recv_udp). With nothing queued it returns
// syscall.EAGAIN.
func (d *dgramSock) recv(p []byte) (int, netip.AddrPort, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return 0, netip.AddrPort{}, syscall.EBADF
	}
	if e := d.err; e != 0 {
		d.err = 0
		return 0, netip.AddrPort{}, e
	}
	dg, ok := d.rq.pop()
	if !ok {
		return 0, netip.AddrPort{}, syscall.EAGAIN
	}
	n := copy(p, (*dg.buf)[:dg.n])
	putDgram(dg.buf)
	return n, dg.from, nil
}

// reserve charges size bytes of storage to the send buffer, or returns
// why not: the pending error (cleared, as sendmsg(2) returns it), EBADF
// once closed, or EAGAIN while the socket's queued output has reached
// SO_SNDBUF (Linux's sock_alloc_send_skb waits then; so do the API's
// writers).
func (d *dgramSock) reserve(size int) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case d.closed:
		return syscall.EBADF
	case d.err != 0:
		e := d.err
		d.err = 0
		return e
	case d.sndUsed >= d.sndBuf:
		d.blocked = true
		return syscall.EAGAIN
	}
	d.sndUsed += size
	return nil
}

// prepare is the start of every send to to: the source address (local,
// or the host's choice for to when local is unspecified; ENETUNREACH
// when it has none), the IP header length, and storage for the packet of
// an upper-layer message of l bytes, charged to the send buffer
// (EMSGSIZE over the link MTU, or reserve's error).
func (d *dgramSock) prepare(local, to netip.Addr, l int) (src netip.Addr, hl int, buf *[]byte, err error) {
	src = local
	if src.IsUnspecified() {
		var ok bool
		if src, ok = d.h.sourceFor(to); !ok {
			return src, 0, nil, syscall.ENETUNREACH
		}
	}
	hl = wire.IPv4MinHeaderLen
	if to.Is6() {
		hl = wire.IPv6HeaderLen
	}
	if hl+l > d.h.cfg.MTU {
		return src, 0, nil, syscall.EMSGSIZE
	}
	buf = getDgram(hl + l)
	if err := d.reserve(cap(*buf)); err != nil {
		putDgram(buf)
		return src, 0, nil, err
	}
	return src, hl, buf, nil
}

// release returns size bytes of send-buffer charge once a datagram has
// left, and reports whether a sender is waiting for it.
func (d *dgramSock) release(size int) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sndUsed -= size
	w := d.blocked && d.sndUsed < d.sndBuf
	if w {
		d.blocked = false
	}
	return w
}

// setError leaves e for the socket's next call and wakes its user.
func (d *dgramSock) setError(e syscall.Errno) {
	d.mu.Lock()
	d.err = e
	d.mu.Unlock()
	d.wake()
}

// shut marks the socket closed and frees its queue; it reports whether
// it was open.
func (d *dgramSock) shut() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return false
	}
	d.closed = true
	d.rq.drain()
	return true
}
