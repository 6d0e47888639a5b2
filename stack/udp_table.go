package stack

import (
	"net/netip"
	"syscall"
)

// The UDP socket table maps a local address and port to its socket. An
// arriving datagram finds its socket by lookupUDP: first the socket bound
// to its destination address, then the one bound to the unspecified
// address of its family. A connected socket takes only its peer's
// datagrams. There is room for more steps after these (a table of flows
// by 4-tuple before them, a forwarder for any destination after them)
// without changing the ones here.

// bindUDP enters s under its keys: its local address and port (both
// families' unspecified addresses for a dual socket), with an ephemeral
// port chosen first if it asked for port 0.
func (h *Host) bindUDP(s *UDPSocket) error {
	d := &h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	if s.local.Port() == 0 {
		src, remote := s.local.Addr(), s.remote
		if !remote.IsValid() {
			remote = netip.AddrPortFrom(unspecified(src.Is6()), 0)
		}
		port, ok := h.pickPort(src, remote, h.cfg.EphemeralPortLow, h.cfg.EphemeralPortHigh, &d.udpNext,
			func(port uint16) bool { return d.udpFree(udpKeys(netip.AddrPortFrom(src, port), s.dual)) })
		if !ok {
			h.count(func(k *Counters) { k.EphemeralExhausted++ })
			return syscall.EADDRINUSE
		}
		s.local = netip.AddrPortFrom(src, port)
	}
	s.keys = udpKeys(s.local, s.dual)
	if !d.udpFree(s.keys) {
		return syscall.EADDRINUSE
	}
	if d.udp == nil {
		d.udp, d.udpPorts = make(map[netip.AddrPort]*UDPSocket), make(map[familyPort]int)
	}
	for _, k := range s.keys {
		d.udp[k] = s
		d.udpPorts[familyPortOf(k)]++
	}
	return nil
}

// udpKeys are the table keys of a socket bound to local.
func udpKeys(local netip.AddrPort, dual bool) []netip.AddrPort {
	if dual {
		return []netip.AddrPort{netip.AddrPortFrom(netip.IPv4Unspecified(), local.Port()), local}
	}
	return []netip.AddrPort{local}
}

// udpFree reports whether a socket may bind keys, by Linux's rules
// without SO_REUSEADDR: a port bound to an address conflicts with the
// same address and with the family's unspecified address, and a port
// bound to the unspecified address with every address of the family.
// Called with d.mu held.
func (d *datagrams) udpFree(keys []netip.AddrPort) bool {
	for _, k := range keys {
		if k.Addr().IsUnspecified() {
			if d.udpPorts[familyPortOf(k)] > 0 {
				return false
			}
			continue
		}
		if d.udp[k] != nil || d.udp[netip.AddrPortFrom(unspecified(k.Addr().Is6()), k.Port())] != nil {
			return false
		}
	}
	return true
}

// lookupUDP returns the socket for a datagram from remote to local, or
// nil. A connected socket that matches local but not remote is no match,
// as in Linux's scoring (the datagram then finds no socket).
func (h *Host) lookupUDP(local, remote netip.AddrPort) *UDPSocket {
	d := &h.dgram
	d.mu.Lock()
	defer d.mu.Unlock()
	s := d.udp[local]
	if s == nil {
		s = d.udp[netip.AddrPortFrom(unspecified(local.Addr().Is6()), local.Port())]
	}
	if s != nil && s.remote.IsValid() && s.remote != remote {
		return nil
	}
	return s
}
