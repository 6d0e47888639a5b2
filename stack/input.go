package stack

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// Deliver processes one inbound IP packet. pkt is only borrowed for the
// call. Replies are queued for the next Flush.
func (h *Host) Deliver(now clock.Instant, pkt []byte) {
	if len(pkt) == 0 {
		h.count(func(k *Counters) { k.Drops[DropBadIPHeader]++ })
		return
	}
	var src, dst netip.Addr
	var proto uint8
	var payload []byte
	switch pkt[0] >> 4 {
	case 4:
		ip := wire.IPv4(pkt)
		if err := ip.Validate(); err != nil {
			h.dropIP(err)
			return
		}
		src, dst, proto, payload = ip.Src(), ip.Dst(), ip.Protocol(), ip.Payload()
	case 6:
		ip := wire.IPv6(pkt)
		if err := ip.Validate(); err != nil {
			h.dropIP(err)
			return
		}
		src, dst = ip.Src(), ip.Dst()
		proto, payload = ip.UpperLayer()
	default:
		h.count(func(k *Counters) { k.Drops[DropBadIPHeader]++ })
		return
	}
	if !h.isLocal(dst) && !h.takesForeign(proto) { // forward.go
		h.count(func(k *Counters) { k.Drops[DropNotForUs]++ })
		return
	}
	switch proto {
	case wire.ProtoTCP:
		h.deliverTCP(now, src, dst, payload)
	case wire.ProtoUDP:
		h.deliverUDP(now, pkt, src, dst, payload)
	case wire.ProtoICMPv4, wire.ProtoICMPv6:
		h.deliverICMP(now, src, dst, proto, payload)
	default:
		h.count(func(k *Counters) { k.Drops[DropNotTCP]++ })
	}
}

func (h *Host) dropIP(err error) {
	r := DropBadIPHeader
	if err == wire.ErrFragment {
		r = DropFragment
	}
	h.count(func(k *Counters) { k.Drops[r]++ })
}

// deliverTCP validates a TCP segment and hands it to its connection, its
// listener, or the reset rules for strays.
func (h *Host) deliverTCP(now clock.Instant, src, dst netip.Addr, b []byte) {
	h.count(func(k *Counters) { k.InSegs++ })
	tcpb := wire.TCP(b)
	var seg tcp.Segment
	if err := tcpb.Validate(); err != nil || tcpb.ParseOptions(&seg.Options) != nil {
		h.count(func(k *Counters) { k.InErrs++; k.Drops[DropBadTCPHeader]++ })
		return
	}
	if h.deliverStaged(now, src, dst, tcpb, &seg) {
		return
	}
	if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, b) {
		h.dropBadChecksum()
		return
	}
	seg.Seq, seg.Ack = tcp.Seq(tcpb.Seq()), tcp.Seq(tcpb.Ack())
	seg.Flags, seg.Window, seg.Payload = tcpb.Flags(), tcpb.Window(), tcpb.Payload()
	t := Tuple{Local: netip.AddrPortFrom(dst, tcpb.DstPort()), Remote: netip.AddrPortFrom(src, tcpb.SrcPort())}
	if h.tracing() {
		sum := summary(&seg)
		sum.WindowShift = h.peerWindowShift(t, &seg)
		h.record(trace.Event{Time: now, Local: t.Local, Remote: t.Remote, Kind: trace.KindRecv, Segment: sum})
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.lookupConn(t)
	var reuse reuseISS
	if c != nil && seg.Flags&(wire.FlagSYN|wire.FlagACK|wire.FlagRST) == wire.FlagSYN {
		var ok bool
		if reuse, ok = h.reuseTimeWait(now, c, &seg); ok {
			c = nil // RFC 6191: the SYN opens a new incarnation
		}
	}
	if c != nil {
		if c.listener != nil && h.acceptQueueFull(now, c.listener, t, &seg) {
			return
		}
		c.mu.Lock()
		c.f.deliver(now, seg, c)
		st := c.f.state()
		c.mu.Unlock()
		if c.listener != nil {
			// Queue it now, so that the next segment of this batch sees
			// the accept queue as it is.
			h.settlePassive(c, st)
		}
		h.markDirty(c)
		return
	}
	if k, ok := h.keyOf(t); ok {
		if r := h.syn.get(k); r != nil {
			h.requestInput(now, k, r, t, &seg)
			return
		}
	}
	if l := h.findListener(t.Local); l != nil {
		h.listenInput(now, l, t, &seg, reuse)
		return
	}
	h.resetStray(now, t, &seg)
}

// listenInput applies RFC 9293 §3.10.7.2 to a segment for a listener;
// reuse is set for a SYN that took its 4-tuple over from TIME_WAIT.
// Called with h.mu held.
func (h *Host) listenInput(now clock.Instant, l *Listener, t Tuple, seg *tcp.Segment, reuse reuseISS) {
	switch {
	case seg.Flags&wire.FlagRST != 0 && l.forward && h.forwardReset(t, seg):
		// The client gave up a SYN whose forwarding request waits.
	case seg.Flags&wire.FlagRST != 0:
		h.drop(now, t, seg, DropNoSocket) // "An incoming RST should be ignored."
	case seg.Flags&wire.FlagACK != 0 && seg.Flags&wire.FlagSYN == 0 && h.cookieInput(now, l, t, seg):
		// A valid SYN cookie: the handshake completed (RFC 4987 §3.6).
	case seg.Flags&wire.FlagACK != 0:
		// "Any acknowledgment is bad if it arrives on a connection still
		// in the LISTEN state": <SEQ=SEG.ACK><CTL=RST>.
		h.resetStray(now, t, seg)
	case seg.Flags&wire.FlagSYN != 0 && l.forward:
		h.forwardSYN(now, l, t, seg)
	case seg.Flags&wire.FlagSYN != 0:
		h.passiveOpen(now, l, t, seg, reuse)
	default:
		h.drop(now, t, seg, DropListenNonSYN)
	}
}

// peerWindowShift is the shift of the window the peer advertises in seg,
// for the trace: none on a SYN (RFC 7323 §2.2), else the peer's shift as
// the connection of t knows it; 0 when there is none, or only a TIME_WAIT
// entry, which keeps no more than our own shift. Called without locks held.
func (h *Host) peerWindowShift(t Tuple, seg *tcp.Segment) uint8 {
	if seg.Flags&wire.FlagSYN != 0 {
		return 0
	}
	h.mu.Lock()
	c := h.conns.get(t)
	if k, ok := h.keyOf(t); ok && c == nil {
		if half := h.syn.get(k); half != nil {
			defer h.mu.Unlock()
			return half.PeerWScale()
		}
	}
	h.mu.Unlock()
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.f.info().SndWScale // 0 from a TIME_WAIT entry
}

// summary is a segment's trace form.
func summary(s *tcp.Segment) trace.Segment {
	return trace.Segment{Seq: uint32(s.Seq), Ack: uint32(s.Ack), Flags: s.Flags, Window: s.Window,
		Len: len(s.Payload), Options: s.Options}
}
