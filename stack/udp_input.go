package stack

import (
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// deliverUDP validates a datagram (b, the payload of pkt from src to our
// dst) and queues it on its socket, or answers with ICMP port
// unreachable when no socket has its port. As in Linux's
// __udp4_lib_rcv, the checksum is checked before either.
func (h *Host) deliverUDP(now clock.Instant, pkt []byte, src, dst netip.Addr, b []byte) {
	d := wire.UDP(b)
	if d.Validate() != nil {
		h.count(func(k *Counters) { k.UDPInErrors++; k.Drops[DropBadUDPHeader]++ })
		return
	}
	from, to := netip.AddrPortFrom(src, d.SrcPort()), netip.AddrPortFrom(dst, d.DstPort())
	s := h.lookupUDP(to, from)
	if err := d.VerifyChecksum(src, dst); err != nil && !(err == wire.ErrZeroChecksum && s != nil && s.noCheck6Rx.Load()) {
		h.count(func(k *Counters) { k.UDPInErrors++; k.UDPInCsumErrors++; k.Drops[DropBadChecksum]++ })
		return
	}
	if s == nil && h.forwardUDP(now, from, to, d.Payload()) { // udp_forward.go
		return
	}
	if s == nil {
		h.count(func(k *Counters) { k.UDPNoPorts++; k.Drops[DropNoSocket]++ })
		h.portUnreachable(now, pkt, src, dst)
		return
	}
	ok, full := s.enqueue(from, d.Payload(), func(k *Counters) { k.UDPInDatagrams++ })
	switch {
	case ok:
		s.wake()
	case full:
		// Linux counts a full receive queue in both.
		h.count(func(k *Counters) { k.UDPInErrors++; k.UDPRcvbufErrors++; k.Drops[DropRecvQueueFull]++ })
	default: // closed since the lookup
		h.count(func(k *Counters) { k.UDPNoPorts++; k.Drops[DropNoSocket]++ })
	}
}

// udpICMPError hands an ICMP error about a datagram we sent from local
// to remote to its socket, as Linux's __udp4_lib_err and __udp6_lib_err
// do for a socket without IP_RECVERR: a hard error (port or protocol
// unreachable, and EMSGSIZE for a path MTU message, since synack does not
// fragment) is left for the next call of a connected socket; anything
// else, and any error for an unconnected socket, is ignored.
func (h *Host) udpICMPError(local, remote netip.AddrPort, errno syscall.Errno, hard bool, mtu int) {
	if mtu > 0 {
		errno, hard = syscall.EMSGSIZE, true
	}
	s := h.lookupUDP(local, remote)
	if s == nil && h.flowICMPError(local, remote, errno, hard) { // udp_forward.go
		return
	}
	if s == nil {
		h.count(func(k *Counters) { k.Drops[DropBadICMP]++ })
		return
	}
	if hard && s.remote == remote {
		s.setError(errno)
	}
}
