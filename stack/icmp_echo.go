package stack

import (
	"encoding/binary"
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// ICMP echo message types (RFC 792; RFC 4443 §4.1, §4.2). An echo
// message's four type-specific bytes are its identifier and sequence
// number.
const (
	icmpv4EchoReply   = 0
	icmpv4EchoRequest = 8
	icmpv6EchoRequest = 128
	icmpv6EchoReply   = 129

	icmpEchoID  = 4
	icmpEchoSeq = 6
)

// echoTypes returns the echo request and reply types of a family.
func echoTypes(v6 bool) (request, reply uint8) {
	if v6 {
		return icmpv6EchoRequest, icmpv6EchoReply
	}
	return icmpv4EchoRequest, icmpv4EchoReply
}

// deliverEcho handles an ICMP echo message m (validated, checksum
// included) from src to our dst: it answers a request and hands a reply
// to the ping socket of its identifier. It reports whether m was either.
func (h *Host) deliverEcho(now clock.Instant, src, dst netip.Addr, proto, typ uint8, m []byte) bool {
	request, reply := echoTypes(proto == wire.ProtoICMPv6)
	switch typ {
	case request:
		if !h.isLocal(dst) {
			// Forwarding takes ICMP to any address for its errors; an
			// echo is answered only for the host's own.
			h.count(func(k *Counters) { k.Drops[DropNotForUs]++ })
			return true
		}
		h.count(func(k *Counters) { k.ICMPInEchos++ })
		h.echoReply(now, src, dst, reply, m)
	case reply:
		h.count(func(k *Counters) { k.ICMPInEchoReps++ })
		h.deliverEchoReply(src, dst, m)
	default:
		return false
	}
	return true
}

// echoReply answers an echo request with the same identifier, sequence
// number and data (RFC 792; RFC 4443 §4.2), from the address it was sent
// to, within the global ICMP rate limit.
func (h *Host) echoReply(now clock.Instant, src, dst netip.Addr, reply uint8, m []byte) {
	hl := wire.IPv4MinHeaderLen
	if dst.Is6() {
		hl = wire.IPv6HeaderLen
	}
	if !isUnicast(src) || hl+len(m) > h.cfg.MTU {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.allowICMP(now, src, false) {
		return
	}
	if h.pushICMP(dst, src, reply, 0, binary.BigEndian.Uint32(m[icmpEchoID:]), m[wire.ICMPHeaderLen:]) {
		h.count(func(k *Counters) { k.ICMPOutEchoReps++ })
	}
}

// deliverEchoReply queues an echo reply, header and data, on the ping
// socket whose identifier it carries, if that socket takes it.
func (h *Host) deliverEchoReply(src, dst netip.Addr, m []byte) {
	key := pingKey{v6: dst.Is6(), id: binary.BigEndian.Uint16(m[icmpEchoID:])}
	d := &h.dgram
	d.mu.Lock()
	p := d.pings[key]
	d.mu.Unlock()
	if p == nil || !p.accepts(src, dst) {
		h.count(func(k *Counters) { k.Drops[DropNoSocket]++ })
		return
	}
	ok, full := p.enqueue(netip.AddrPortFrom(src, 0), m, nil)
	switch {
	case ok:
		p.wake()
	case full:
		h.count(func(k *Counters) { k.Drops[DropRecvQueueFull]++ })
	default:
		h.count(func(k *Counters) { k.Drops[DropNoSocket]++ })
	}
}
