package synack

import (
	"net/netip"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/wire"
)

// Placement: which shard owns a flow. A TCP 4-tuple belongs to the shard
// its keyed hash names, so that every packet of a connection, and every
// ICMP error about one, reaches the one event loop that holds its TCB.
// The key derives from the host secret and is never sent, so that an
// off-path sender cannot choose tuples that all land on one shard (the
// hash-flooding concern of RFC 6528 §3 and Linux's RSS keys). Everything
// else (UDP, ping, ICMP that quotes no TCP header, fragments, which the
// host drops) goes to shard 0, which holds the UDP and ping sockets and
// the UDP forwarder. Every shard has a copy of each listener and of the
// TCP forwarder, so the tuples of forwarded connections, whose local end
// is any address, are placed by their hash as the others are.

// shardOf returns the shard that owns t by its hash.
func (s *Stack) shardOf(t stack.Tuple) int {
	if len(s.shards) == 1 {
		return 0
	}
	h := s.placer.hash(t)
	// Lemire's multiply-shift: h scaled into [0, n) without a division.
	return int(uint64(h) * uint64(len(s.shards)) >> 32)
}

// place returns the shard an inbound packet goes to. It reads the IP
// header and the ports only (wire.Quoted parses just that much, IPv4
// options and IPv6 extension headers stepped over); a packet it cannot
// read goes to shard 0, whose Deliver counts why it is dropped.
func (s *Stack) place(pkt []byte) int {
	src, dst, proto, sport, dport, _, err := wire.Quoted(pkt)
	if err != nil {
		return 0
	}
	switch proto {
	case wire.ProtoTCP:
		return s.shardOf(stack.Tuple{Local: netip.AddrPortFrom(dst, dport), Remote: netip.AddrPortFrom(src, sport)})
	case wire.ProtoICMPv4, wire.ProtoICMPv6:
		return s.placeICMP(pkt)
	}
	return 0
}

// placeICMP places an ICMP error that quotes a TCP header by the tuple
// of the segment it quotes, which we sent: its source is our end (RFC
// 792, RFC 4443 §2.4(c), RFC 5927 §4.1). Echo messages and the rest go to
// shard 0.
func (s *Stack) placeICMP(pkt []byte) int {
	var msg []byte
	var isErr func(typ uint8) bool
	switch pkt[0] >> 4 {
	case 4:
		ip := wire.IPv4(pkt)
		if ip.Validate() != nil {
			return 0
		}
		msg, isErr = ip.Payload(), icmpv4Error
	case 6:
		ip := wire.IPv6(pkt)
		if ip.Validate() != nil {
			return 0
		}
		var proto uint8
		if proto, msg = ip.UpperLayer(); proto != wire.ProtoICMPv6 {
			return 0
		}
		isErr = icmpv6Error
	}
	if len(msg) < wire.ICMPHeaderLen || !isErr(msg[0]) {
		return 0
	}
	src, dst, proto, sport, dport, _, err := wire.Quoted(msg[wire.ICMPHeaderLen:])
	if err != nil || proto != wire.ProtoTCP {
		return 0
	}
	return s.shardOf(stack.Tuple{Local: netip.AddrPortFrom(src, sport), Remote: netip.AddrPortFrom(dst, dport)})
}

// icmpv4Error reports whether an ICMPv4 type quotes the datagram it is
// about (RFC 792): destination unreachable (3), source quench (4),
// redirect (5), time exceeded (11) and parameter problem (12).
func icmpv4Error(typ uint8) bool {
	switch typ {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// icmpv6Error reports whether an ICMPv6 type is an error message, which
// quotes the packet it is about: types 0 to 127 (RFC 4443 §2.1).
func icmpv6Error(typ uint8) bool { return typ < 128 }
