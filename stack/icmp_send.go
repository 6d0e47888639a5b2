package stack

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// pushICMP builds an ICMP message from src (one of ours) to dst into the
// output queue: type, code, the four type-specific bytes rest, and body.
// It reports false, counting the message suppressed, when the queue has
// no room before the next Flush. Called with h.mu held.
func (h *Host) pushICMP(src, dst netip.Addr, typ, code uint8, rest uint32, body []byte) bool {
	q := &h.out
	if q.full() {
		h.count(func(k *Counters) { k.ICMPOutSuppressed++ })
		return false
	}
	slot := q.next()
	var n int
	if src.Is4() {
		n = wire.IPv4MinHeaderLen + wire.PutICMPv4(slot[wire.IPv4MinHeaderLen:], typ, code, rest, body)
		q.ipID++
		wire.PutIPv4Header(slot, src, dst, wire.ProtoICMPv4, h.cfg.TTL, q.ipID, n-wire.IPv4MinHeaderLen)
	} else {
		n = wire.IPv6HeaderLen + wire.PutICMPv6(slot[wire.IPv6HeaderLen:], src, dst, typ, code, rest, body)
		wire.PutIPv6Header(slot, src, dst, wire.ProtoICMPv6, h.cfg.TTL, n-wire.IPv6HeaderLen)
	}
	q.pkts = append(q.pkts, slot[:n])
	return true
}

// ICMP error messages quote as much of the invoking packet as fits in
// 576 bytes for IPv4 (RFC 1812 §4.3.2.3) and in the IPv6 minimum MTU,
// 1280, for IPv6 (RFC 4443 §2.4(c)); never more than the link MTU.
const (
	icmpv4ErrorMax = 576
	icmpv6ErrorMax = 1280
)

// portUnreachable answers pkt, a packet from src to our dst for a UDP
// port with no socket, with a destination unreachable, port unreachable
// message (RFC 1122 §4.1.3.1, RFC 4443 §3.1 code 4), within the rate
// limits. Nothing is sent to a source that is not a unicast address
// (RFC 1122 §3.2.2, RFC 4443 §2.4(e)).
func (h *Host) portUnreachable(now clock.Instant, pkt []byte, src, dst netip.Addr) {
	if !isUnicast(src) {
		return
	}
	var typ, code uint8
	var quote []byte
	if src.Is4() {
		typ, code = wire.ICMPv4TypeDestUnreachable, wire.ICMPv4CodePortUnreachable
		limit := min(icmpv4ErrorMax, h.cfg.MTU) - wire.IPv4MinHeaderLen - wire.ICMPHeaderLen
		quote = pkt[:min(wire.IPv4(pkt).TotalLen(), limit)]
	} else {
		typ, code = wire.ICMPv6TypeDestUnreachable, wire.ICMPv6CodePortUnreachable
		limit := min(icmpv6ErrorMax, h.cfg.MTU) - wire.IPv6HeaderLen - wire.ICMPHeaderLen
		quote = pkt[:min(wire.IPv6HeaderLen+wire.IPv6(pkt).PayloadLen(), limit)]
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.allowICMP(now, src, true) {
		return
	}
	if h.pushICMP(dst, src, typ, code, 0, quote) {
		h.count(func(k *Counters) { k.ICMPOutDestUnreachs++ })
	}
}

// isUnicast reports whether a may be the source of a packet we answer:
// not unspecified, multicast or the IPv4 limited broadcast.
func isUnicast(a netip.Addr) bool {
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && a != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}
