package sim

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/wire"
)

// answerTooBig is the world's router: when a path drops a packet larger
// than its MTU, the sender hears ICMP "fragmentation needed" (RFC 1191 §4)
// or "packet too big" (RFC 8201 §4) from the packet's destination,
// quoting as much of the packet as RFC 1812 §4.3.2.3 and RFC 4443 §2.4
// allow. A World whose Net.TooBig is set to nil models a path MTU black
// hole instead.
func (w *World) answerTooBig(now clock.Instant, _ netem.HostID, pkt []byte, mtu int) {
	var msg []byte
	var dst netip.Addr
	switch pkt[0] >> 4 {
	case 4:
		ip := wire.IPv4(pkt)
		if ip.Validate() != nil || ip.Protocol() == wire.ProtoICMPv4 {
			return // RFC 1812 §4.3.2.7: no ICMP error about an ICMP error
		}
		quote := pkt[:min(len(pkt), 576-wire.IPv4MinHeaderLen-8)]
		msg = make([]byte, wire.IPv4MinHeaderLen+8+len(quote))
		n := wire.PutICMPv4(msg[wire.IPv4MinHeaderLen:], wire.ICMPv4TypeDestUnreachable, wire.ICMPv4CodeFragmentationNeeded, uint32(mtu), quote)
		wire.PutIPv4Header(msg, ip.Dst(), ip.Src(), wire.ProtoICMPv4, 64, 0, n)
		dst = ip.Dst()
	case 6:
		ip := wire.IPv6(pkt)
		if ip.Validate() != nil {
			return
		}
		if proto, _ := ip.UpperLayer(); proto == wire.ProtoICMPv6 {
			return // RFC 4443 §2.4 (e): nor in IPv6
		}
		quote := pkt[:min(len(pkt), 1280-wire.IPv6HeaderLen-8)]
		msg = make([]byte, wire.IPv6HeaderLen+8+len(quote))
		n := wire.PutICMPv6(msg[wire.IPv6HeaderLen:], ip.Dst(), ip.Src(), wire.ICMPv6TypePacketTooBig, 0, uint32(mtu), quote)
		wire.PutIPv6Header(msg, ip.Dst(), ip.Src(), wire.ProtoICMPv6, 64, n)
		dst = ip.Dst()
	default:
		return
	}
	// The message comes back along the path from the destination's side.
	if router, ok := w.Net.Owner(dst); ok {
		w.Net.Send(now, router, msg)
	}
}
