package synack

import (
	"net"
	"net/netip"
)

// ListenUDP opens a UDP socket on laddr, as net.ListenUDP does: network
// "udp", "udp4" or "udp6"; a nil laddr, or one with no IP or an
// unspecified one, receives on all of the stack's addresses (for "udp",
// of both families, as Go's dual-stack sockets do; "udp6" is IPv6 only);
// port 0 picks an ephemeral port.
func (s *Stack) ListenUDP(network string, laddr *net.UDPAddr) (*UDPConn, error) {
	return s.ListenUDPAddrPort(network, udpAddrPort(laddr))
}

// ListenUDPAddrPort is ListenUDP with a netip.AddrPort; the zero value
// means all addresses and an ephemeral port.
func (s *Stack) ListenUDPAddrPort(network string, laddr netip.AddrPort) (*UDPConn, error) {
	a := laddr.Addr().Unmap()
	fail := func(err error) (*UDPConn, error) {
		return nil, packetOpError("listen", network, "bind", udpAddr(laddr), nil, err)
	}
	if err := checkUDPNetwork(network, a); err != nil {
		return fail(err)
	}
	dual := network == "udp" && (!a.IsValid() || a.IsUnspecified())
	if !a.IsValid() && network == "udp6" {
		a = netip.IPv6Unspecified()
	}
	sock, err := s.host.BindUDP(netip.AddrPortFrom(a, laddr.Port()), dual)
	if err != nil {
		return fail(err)
	}
	return newUDPConn(s, sock, network), nil
}

// DialUDP opens a UDP socket connected to raddr, as net.DialUDP does: it
// sends to raddr by default and receives from raddr only. laddr may be
// nil (the source address for raddr and an ephemeral port). Nothing is
// sent until the first Write.
func (s *Stack) DialUDP(network string, laddr, raddr *net.UDPAddr) (*UDPConn, error) {
	if raddr == nil {
		return nil, packetOpError("dial", network, "connect", udpAddr(udpAddrPort(laddr)), nil, errMissingAddress)
	}
	return s.DialUDPAddrPort(network, udpAddrPort(laddr), raddr.AddrPort())
}

// DialUDPAddrPort is DialUDP with netip.AddrPort values; a zero laddr
// means any.
func (s *Stack) DialUDPAddrPort(network string, laddr, raddr netip.AddrPort) (*UDPConn, error) {
	fail := func(err error) (*UDPConn, error) {
		return nil, packetOpError("dial", network, "connect", udpAddr(laddr), udpAddr(raddr), err)
	}
	if err := checkUDPNetwork(network, raddr.Addr().Unmap()); err != nil {
		return fail(err)
	}
	sock, err := s.host.ConnectUDP(laddr, raddr)
	if err != nil {
		return fail(err)
	}
	return newUDPConn(s, sock, network), nil
}

// errMissingAddress is the error of a call that needs an address and got
// none, as the net package's.
var errMissingAddress = &net.AddrError{Err: "missing address"}

// checkUDPNetwork accepts "udp", and "udp4"/"udp6" for an address of
// that family (or none).
func checkUDPNetwork(network string, a netip.Addr) error {
	switch network {
	case "udp":
		return nil
	case "udp4":
		if !a.IsValid() || a.Is4() {
			return nil
		}
	case "udp6":
		if !a.IsValid() || a.Is6() {
			return nil
		}
	default:
		return net.UnknownNetworkError(network)
	}
	return &net.AddrError{Err: "address family mismatch", Addr: a.String()}
}

// udpAddrPort converts a *net.UDPAddr (nil: the zero AddrPort).
func udpAddrPort(a *net.UDPAddr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// udpAddr converts an AddrPort to a net.Addr, nil for the zero value (so
// that an OpError prints no address).
func udpAddr(a netip.AddrPort) net.Addr {
	if !a.IsValid() {
		return nil
	}
	return net.UDPAddrFromAddrPort(a)
}
