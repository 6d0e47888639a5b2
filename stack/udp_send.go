package stack

import (
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/wire"
)

// SendTo sends p as one datagram to to, or to the connected peer when to
// is the zero AddrPort. The packet is built at once, on the caller's
// goroutine, and goes out at the host's next Flush. Errors are those of
// sendto(2): EDESTADDRREQ (no address on an unconnected socket), EINVAL
// (port 0 or an unspecified address), EAFNOSUPPORT (the other family),
// ENETUNREACH (no address of the family to send from), EMSGSIZE (a
// packet over the link MTU: synack does not fragment, as with Linux's
// IP_PMTUDISC_DO), the pending error of an ICMP message, EBADF after
// Close, and EAGAIN while the socket's queued output has reached its send
// buffer (wait for the waker and try again).
func (s *UDPSocket) SendTo(p []byte, to netip.AddrPort) error {
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	if !to.Addr().IsValid() {
		if !s.remote.IsValid() {
			return syscall.EDESTADDRREQ
		}
		to = s.remote
	}
	if to.Port() == 0 || to.Addr().IsUnspecified() {
		return syscall.EINVAL
	}
	v6 := to.Addr().Is6()
	if !s.dual && s.local.Addr().Is6() != v6 {
		return syscall.EAFNOSUPPORT
	}
	src, hl, buf, err := s.prepare(s.local.Addr(), to.Addr(), wire.UDPHeaderLen+len(p))
	if err != nil {
		return err
	}
	n := hl + wire.UDPHeaderLen + len(p)
	s.buildUDP((*buf)[:n], hl, netip.AddrPortFrom(src, s.local.Port()), to, p, s.noCheck6Tx.Load())
	s.h.queueDatagram(outDatagram{owner: &s.dgramSock, buf: buf, n: n})
	return nil
}

// buildUDP writes the IP packet of a datagram from src to dst carrying
// p into pkt, whose IP header is hl bytes; an IPv6 one without a
// checksum when zeroCsum6 (RFC 6935).
func (s *dgramSock) buildUDP(pkt []byte, hl int, src, dst netip.AddrPort, p []byte, zeroCsum6 bool) {
	copy(pkt[hl+wire.UDPHeaderLen:], p)
	u := pkt[hl:]
	n := wire.PutUDPHeader(u, src, dst, len(p))
	ttl := s.h.cfg.TTL
	if hl == wire.IPv6HeaderLen {
		if zeroCsum6 {
			wire.UDP(u).SetChecksum(0)
		}
		wire.PutIPv6Header(pkt, src.Addr(), dst.Addr(), wire.ProtoUDP, ttl, n)
		return
	}
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoUDP, ttl, uint16(s.ipID.Add(1)), n)
}
