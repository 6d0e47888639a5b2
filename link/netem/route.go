package netem

import "net/netip"

// IP header layout needed for routing (RFC 791 §3.1, RFC 8200 §3).
const (
	ipv4HeaderLen = 20
	ipv4DstOffset = 16
	ipv6HeaderLen = 40
	ipv6DstOffset = 24
)

// destination reads the destination address of an IPv4 or IPv6 packet from
// its fixed header. It reports false for a packet too short to hold the
// header or of another version.
func destination(pkt []byte) (netip.Addr, bool) {
	if len(pkt) == 0 {
		return netip.Addr{}, false
	}
	switch pkt[0] >> 4 {
	case 4:
		if len(pkt) < ipv4HeaderLen {
			return netip.Addr{}, false
		}
		return netip.AddrFrom4([4]byte(pkt[ipv4DstOffset : ipv4DstOffset+4])), true
	case 6:
		if len(pkt) < ipv6HeaderLen {
			return netip.Addr{}, false
		}
		return netip.AddrFrom16([16]byte(pkt[ipv6DstOffset : ipv6DstOffset+16])).Unmap(), true
	}
	return netip.Addr{}, false
}
