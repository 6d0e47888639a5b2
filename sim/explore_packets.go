package sim

import (
	"fmt"
	"net/netip"

	"github.com/synack-net/synack/wire"
)

// checkPacket is the explorer's check of every packet a host sends: no
// larger than the host's link MTU, a valid IP header from one of the
// host's addresses, and, for TCP, a valid header, options and checksum.
func (r *exploreRun) checkPacket(h *Host, pkt []byte) {
	if r.failure != nil {
		return
	}
	r.checks++
	if err := validPacket(h, pkt); err != nil {
		r.fail("packet", fmt.Errorf("%s at %v sent a bad packet (%d bytes): %w", h.Name(), h.Now(), len(pkt), err))
	}
}

func validPacket(h *Host, pkt []byte) error {
	if len(pkt) > h.MTU() {
		return fmt.Errorf("larger than the MTU of %d", h.MTU())
	}
	var src, dst netip.Addr
	var proto uint8
	var payload []byte
	switch {
	case len(pkt) > 0 && pkt[0]>>4 == 4:
		ip := wire.IPv4(pkt)
		if err := ip.Validate(); err != nil {
			return err
		}
		src, dst, proto, payload = ip.Src(), ip.Dst(), ip.Protocol(), ip.Payload()
	case len(pkt) > 0 && pkt[0]>>4 == 6:
		ip := wire.IPv6(pkt)
		if err := ip.Validate(); err != nil {
			return err
		}
		src, dst = ip.Src(), ip.Dst()
		proto, payload = ip.UpperLayer()
	default:
		return fmt.Errorf("not an IP packet")
	}
	if !hostOwns(h, src) {
		return fmt.Errorf("source %v is not the host's", src)
	}
	if proto != wire.ProtoTCP {
		return nil
	}
	seg := wire.TCP(payload)
	var opts wire.TCPOptions
	if err := seg.Validate(); err != nil {
		return err
	}
	if err := seg.ParseOptions(&opts); err != nil {
		return err
	}
	if !wire.TransportChecksumValid(src, dst, wire.ProtoTCP, payload) {
		return fmt.Errorf("bad TCP checksum")
	}
	return nil
}

func hostOwns(h *Host, a netip.Addr) bool {
	for _, p := range h.Addrs() {
		if p.Addr() == a {
			return true
		}
	}
	return false
}
