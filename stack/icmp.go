package stack

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// deliverICMP hands an ICMP destination-unreachable or packet-too-big
// message about one of our TCP connections to its TCB: an error (RFC 1122
// §4.2.3.9, RFC 5927) or a path MTU (RFC 1191, RFC 8201).
func (h *Host) deliverICMP(now clock.Instant, src, dst netip.Addr, proto uint8, b []byte) {
	var typ, code uint8
	var quoted []byte
	mtu, ipHeader := 0, 20 // a path MTU, when the message reports one
	if proto == wire.ProtoICMPv4 {
		m := wire.ICMPv4(b)
		if m.Validate() != nil {
			h.count(func(k *Counters) { k.Drops[DropBadICMP]++ })
			return
		}
		typ, code, quoted = m.Type(), m.Code(), m.Embedded()
		if typ == wire.ICMPv4TypeDestUnreachable && code == wire.ICMPv4CodeFragmentationNeeded {
			// RFC 1191 §4: the next-hop MTU; 0 from an old router, which
			// we ignore rather than guess a plateau.
			mtu = int(m.MTU())
		}
	} else {
		m := wire.ICMPv6(b)
		if m.Validate() != nil || !wire.TransportChecksumValid(src, dst, wire.ProtoICMPv6, b) {
			h.count(func(k *Counters) { k.Drops[DropBadICMP]++ })
			return
		}
		typ, code, quoted = m.Type(), m.Code(), m.Embedded()
		ipHeader = 40
		if typ == wire.ICMPv6TypePacketTooBig {
			// RFC 8201 §4: never below the IPv6 minimum MTU.
			mtu = max(int(min(m.MTU(), 1<<16)), 1280)
		}
	}
	if h.deliverEcho(now, src, dst, proto, typ, b) {
		return
	}
	var cls icmpClass
	if mtu == 0 {
		var ok bool
		if cls, ok = classifyICMP(proto, typ, code); !ok {
			h.count(func(k *Counters) { k.Drops[DropBadICMP]++ })
			return
		}
	}
	qsrc, qdst, qproto, sport, dport, qseq, err := wire.Quoted(quoted)
	if err == nil && qproto == wire.ProtoUDP {
		h.udpICMPError(netip.AddrPortFrom(qsrc, sport), netip.AddrPortFrom(qdst, dport), cls.errno, cls.fatal, mtu)
		return
	}
	if err != nil || qproto != wire.ProtoTCP {
		h.count(func(k *Counters) { k.Drops[DropBadICMP]++ })
		return
	}
	// The quoted packet is one we sent: its source is our end.
	t := Tuple{Local: netip.AddrPortFrom(qsrc, sport), Remote: netip.AddrPortFrom(qdst, dport)}
	seq := tcp.Seq(qseq)
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.lookupConn(t)
	if c == nil {
		if !h.requestICMPError(t, seq, cls, mtu) {
			h.count(func(k *Counters) { k.Drops[DropBadICMP]++ })
		}
		return
	}
	c.mu.Lock()
	var accepted bool
	tcb := c.full()
	switch {
	case tcb == nil:
		// TIME_WAIT: nothing of ours will be sent again, so the message
		// is only checked.
		accepted = c.timeWait().ICMPError(seq)
	case mtu > 0:
		// Path MTU discovery (RFC 1191, RFC 8201).
		accepted = tcb.PathMTU(now, seq, min(mtu, h.cfg.MTU), ipHeader)
	default:
		accepted = tcb.ICMPError(now, seq, tcp.ICMPReport{Err: cls.errno, DropRequest: cls.dropRequest, RevertBackoff: cls.revertBackoff})
	}
	c.mu.Unlock()
	if !accepted {
		h.count(func(k *Counters) { k.Drops[DropBadICMP]++ })
		return
	}
	h.markDirty(c)
}

// requestICMPError hands an ICMP error about t to its half-open request,
// if there is one: as Linux's tcp_req_err, a message that quotes the
// request's SYN-ACK (seq is its ISS) and is one that ends a request drops
// it silently, counted in ListenDrops, since accept has no way to report
// a network error; any other is only checked. A path MTU message changes
// nothing: the request sends no data. It reports whether the message was
// about the request. Called with h.mu held.
func (h *Host) requestICMPError(t Tuple, seq tcp.Seq, cls icmpClass, mtu int) bool {
	k, ok := h.keyOf(t)
	if !ok {
		return false
	}
	r := h.syn.get(k)
	if r == nil || r.ISS() != seq {
		return false
	}
	if mtu == 0 && cls.dropRequest {
		h.dropRequest(k, h.findListener(t.Local))
		h.count(func(k *Counters) { k.ListenDrops++ })
	}
	return true
}
