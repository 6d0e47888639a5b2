package stack

import (
	"net/netip"
	"time"

	"github.com/synack-net/synack/clock"
)

// ICMP output limits, with Linux's defaults: a global token bucket over
// every ICMP message the host originates (net.ipv4.icmp_msgs_per_sec
// 1000, icmp_msgs_burst 50), and for error messages a bucket per
// destination (icmp_ratelimit 1000 ms, with a burst of
// XRLIM_BURST_FACTOR 6 messages). Linux applies the global limit only to
// the types in icmp_ratemask, errors; synack applies it to echo replies
// too, so that a ping flood costs at most 1000 replies a second.
const (
	icmpGlobalInterval = time.Second / 1000
	icmpGlobalBurst    = 50
	icmpPeerInterval   = time.Second
	icmpPeerBurst      = 6
	icmpPeerSlots      = 256
)

// rateBucket is a token bucket kept as time credit, like Linux's
// inet_peer_xrlim_allow: credit grows with elapsed time up to
// burst × interval, and each message spends one interval.
type rateBucket struct {
	credit time.Duration
	last   clock.Instant
	primed bool // false until first used: a new bucket starts full
}

func (b *rateBucket) allow(now clock.Instant, interval time.Duration, burst int) bool {
	ceiling := time.Duration(burst) * interval
	if !b.primed {
		b.credit, b.last, b.primed = ceiling, now, true
	}
	if now > b.last {
		b.credit = min(b.credit+now.Sub(b.last), ceiling)
		b.last = now
	}
	if b.credit < interval {
		return false
	}
	b.credit -= interval
	return true
}

// icmpLimiter holds the global bucket and a fixed table of per-peer
// buckets, indexed by a keyed hash of the address: bounded by
// construction, with a slot taken over (and started full) by a new peer
// that hashes there, as Linux's inetpeer cache forgets idle peers.
type icmpLimiter struct {
	global rateBucket
	peers  [icmpPeerSlots]struct {
		addr netip.Addr
		b    rateBucket
	}
}

// allowICMP reports whether the host may send an ICMP message to dst now,
// counting a refusal: errors pass the per-peer limit first and then the
// global one (the order Linux uses since 6.12, so that a peer already
// limited does not use up the global budget), echo replies the global
// one only. Called with h.mu held.
func (h *Host) allowICMP(now clock.Instant, dst netip.Addr, isError bool) bool {
	l := &h.dgram.limit
	if isError {
		i := uint32(h.isn.ISN(0, netip.AddrPortFrom(dst, 0), netip.AddrPort{})) % icmpPeerSlots
		p := &l.peers[i]
		if p.addr != dst {
			p.addr, p.b = dst, rateBucket{}
		}
		if !p.b.allow(now, icmpPeerInterval, icmpPeerBurst) {
			h.count(func(k *Counters) { k.ICMPOutRateLimitHost++ })
			return false
		}
	}
	if !l.global.allow(now, icmpGlobalInterval, icmpGlobalBurst) {
		h.count(func(k *Counters) { k.ICMPOutRateLimitGlobal++ })
		return false
	}
	return true
}
