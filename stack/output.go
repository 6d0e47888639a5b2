package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// headroom is the space reserved in front of a segment's payload for the
// largest IP and TCP headers (IPv6 40 + TCP 60).
const headroom = wire.IPv6HeaderLen + wire.TCPMaxHeaderLen

// outBatch is how many packets Flush builds before it hands them to the
// driver, so that no Conn lock is held across a link write.
const outBatch = 64

// outQueue holds packets built but not yet emitted: fixed slots of
// headroom+MTU bytes, allocated once per host. The driver owns a packet
// only during its emit call.
type outQueue struct {
	slot  int
	arena []byte
	pkts  [][]byte
	ipID  uint16
}

func (q *outQueue) init(mtu int) {
	q.slot = headroom + mtu
	q.pkts = make([][]byte, 0, outBatch)
}

func (q *outQueue) len() int   { return len(q.pkts) }
func (q *outQueue) full() bool { return len(q.pkts) == outBatch }
func (q *outQueue) reset()     { q.pkts = q.pkts[:0] }
func (q *outQueue) next() []byte {
	if q.arena == nil {
		q.arena = make([]byte, q.slot*outBatch)
	}
	i := len(q.pkts)
	return q.arena[i*q.slot : (i+1)*q.slot]
}

// payloadBuf is where the next segment's payload goes: after the headroom
// of the next free slot, at most maxPayload bytes.
func (q *outQueue) payloadBuf(maxPayload int) []byte {
	s := q.next()
	return s[headroom : headroom+maxPayload]
}

// push queues a segment of no connection (a reset for a stray), whose
// window is unscaled.
func (q *outQueue) push(now clock.Instant, h *Host, t Tuple, seg *tcp.Segment) {
	q.pushShifted(now, h, t, seg, 0)
}

// pushShifted builds the packet for seg (whose payload, if any, already
// sits in payloadBuf) and queues it, counting it and tracing it with the
// window scale shift in effect for its window.
func (q *outQueue) pushShifted(now clock.Instant, h *Host, t Tuple, seg *tcp.Segment, shift uint8) {
	slot := q.next()
	tcpHdrLen := wire.TCPMinHeaderLen + seg.Options.Len()
	ipLen := wire.IPv4MinHeaderLen
	if t.Local.Addr().Is6() {
		ipLen = wire.IPv6HeaderLen
	}
	start := headroom - tcpHdrLen - ipLen
	n := len(seg.Payload)
	if n > 0 && &seg.Payload[0] != &slot[headroom] {
		copy(slot[headroom:], seg.Payload)
	}
	pkt := slot[start : headroom+n]
	seglen := tcpHdrLen + n
	if ipLen == wire.IPv4MinHeaderLen {
		q.ipID++
		wire.PutIPv4Header(pkt, t.Local.Addr(), t.Remote.Addr(), wire.ProtoTCP, h.cfg.TTL, q.ipID, seglen)
	} else {
		wire.PutIPv6Header(pkt, t.Local.Addr(), t.Remote.Addr(), wire.ProtoTCP, h.cfg.TTL, seglen)
	}
	tb := wire.TCP(pkt[ipLen:])
	wire.PutTCPHeader(tb, wire.TCPHeader{
		SrcPort: t.Local.Port(), DstPort: t.Remote.Port(),
		Seq: uint32(seg.Seq), Ack: uint32(seg.Ack),
		Flags: seg.Flags, Window: seg.Window,
	}, &seg.Options)
	tb.SetChecksum(segmentChecksum(t, tb[:seglen], tcpHdrLen, seg.PayloadSum))
	q.pkts = append(q.pkts, pkt)
	h.count(func(k *Counters) {
		k.OutSegs++
		if seg.Flags&wire.FlagRST != 0 {
			k.OutRsts++
		}
	})
	if h.tracing() {
		sum := summary(seg)
		sum.WindowShift = shift
		h.record(trace.Event{Time: now, Local: t.Local, Remote: t.Remote, Kind: trace.KindSend, Segment: sum})
	}
}

// segmentChecksum is the checksum of the TCP segment tb, of connection t,
// whose header is hdrLen bytes (RFC 9293 §3.1). payloadSum is the running
// sum of its payload if the TCB summed it as it copied it (0 if not): then
// only the pseudo-header and the header are summed here, and the payload
// is not read a second time. A header is a whole number of 32-bit words,
// so the payload's sum adds on without a byte swap.
func segmentChecksum(t Tuple, tb []byte, hdrLen int, payloadSum uint32) uint16 {
	src, dst := t.Local.Addr(), t.Remote.Addr()
	if payloadSum == 0 {
		return wire.TransportChecksum(src, dst, wire.ProtoTCP, tb)
	}
	sum := wire.Checksum(tb[:hdrLen], wire.PseudoHeaderSum(src, dst, wire.ProtoTCP, len(tb)))
	return wire.FoldChecksum(wire.CombineChecksum(sum, payloadSum, hdrLen))
}

// ourWindowShift is the shift of the window a connection in form f
// advertises in seg, for the trace: none on a SYN (RFC 7323 §2.2), else
// our shift. It costs nothing when the host records no trace.
func (h *Host) ourWindowShift(f form, seg *tcp.Segment) uint8 {
	if !h.tracing() || seg.Flags&wire.FlagSYN != 0 {
		return 0
	}
	return f.info().RcvWScale
}

// pushSegments queues the segments that connection t, in form f, has to
// send, until it has none (true) or the output batch is full (false).
// Every form's output leaves through it. Called with h.mu held (and the
// Conn's lock, for a form a Conn holds).
func (h *Host) pushSegments(now clock.Instant, t Tuple, f form) bool {
	for !h.out.full() {
		seg, ok := f.nextSegment(now, h.out.payloadBuf(h.maxPayload(t)))
		if !ok {
			return true
		}
		h.out.pushShifted(now, h, t, &seg, h.ourWindowShift(f, &seg))
	}
	return false
}

// Flush builds every segment the host's connections want to send and
// hands each packet to emit (after the UDP and ping packets their users
// wrote), which must not retain it after returning.
// It then wakes the users of every connection it visited.
func (h *Host) Flush(now clock.Instant, emit func(pkt []byte)) {
	h.flushDatagrams(emit)
	h.dirtyMu.Lock()
	list := h.dirty
	h.dirty = nil
	for _, c := range list {
		c.dirty = false
	}
	h.dirtyMu.Unlock()

	h.mu.Lock()
	h.flushForwards(now, emit)
	h.flushRequests(now, emit)
	for _, c := range list {
		if c.removed {
			continue
		}
		c.mu.Lock()
		for !h.pushSegments(now, c.tuple, c.f) {
			c.mu.Unlock()
			h.mu.Unlock()
			h.emitAll(emit)
			h.mu.Lock()
			c.mu.Lock()
		}
		h.compactTimeWait(now, c)
		st, d := c.f.state(), c.f.deadline()
		c.mu.Unlock()
		h.timers.set(c, d)
		h.settlePassive(c, st)
		if st == tcp.Closed || st == tcp.Listen {
			h.removeConn(c)
		}
	}
	h.mu.Unlock()
	h.emitAll(emit)
	for _, c := range list {
		c.wake()
	}
	h.dirtyMu.Lock()
	if h.dirty == nil {
		clear(list) // drop the pointers, so that no Conn a user let go stays alive
		h.dirty = list[:0]
	}
	h.dirtyMu.Unlock()
}

// maxPayload is the most a segment of connection t may carry, options
// included: the MTU less the IP header and the TCP header without options.
func (h *Host) maxPayload(t Tuple) int {
	if t.Local.Addr().Is6() {
		return h.cfg.MTU - wire.IPv6HeaderLen - wire.TCPMinHeaderLen
	}
	return h.cfg.MTU - wire.IPv4MinHeaderLen - wire.TCPMinHeaderLen
}

// emitAll hands the queued packets to emit and empties the queue. Only the
// Flush caller touches the queue's contents, so no lock is needed.
func (h *Host) emitAll(emit func(pkt []byte)) {
	for _, p := range h.out.pkts {
		emit(p)
	}
	h.out.reset()
}
