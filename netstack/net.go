package netstack

import (
	"context"
	"net"
	"net/netip"
	"strconv"

	"github.com/synack-net/synack"
)

// DialContextTCPAddrPort connects to addr over TCP. wireguard-go returns
// a *gonet.TCPConn; this returns the *synack.Conn, a net.Conn with
// CloseRead, CloseWrite and the *net.TCPConn socket options.
func (n *Net) DialContextTCPAddrPort(ctx context.Context, addr netip.AddrPort) (*synack.Conn, error) {
	return n.st.DialTCP(ctx, "tcp", netip.AddrPort{}, unmap(addr))
}

// DialContextTCP is DialContextTCPAddrPort with a *net.TCPAddr.
func (n *Net) DialContextTCP(ctx context.Context, addr *net.TCPAddr) (*synack.Conn, error) {
	return n.DialContextTCPAddrPort(ctx, tcpAddrPort(addr))
}

// DialTCPAddrPort is DialContextTCPAddrPort without a context.
func (n *Net) DialTCPAddrPort(addr netip.AddrPort) (*synack.Conn, error) {
	return n.DialContextTCPAddrPort(context.Background(), addr)
}

// DialTCP is DialTCPAddrPort with a *net.TCPAddr.
func (n *Net) DialTCP(addr *net.TCPAddr) (*synack.Conn, error) {
	return n.DialTCPAddrPort(tcpAddrPort(addr))
}

// ListenTCPAddrPort listens for TCP connections on addr, as gVisor binds
// it: the zero AddrPort or [::] takes both families, 0.0.0.0 IPv4 only,
// and port 0 picks a free port. wireguard-go returns a
// *gonet.TCPListener; this returns the *synack.Listener, a net.Listener.
func (n *Net) ListenTCPAddrPort(addr netip.AddrPort) (*synack.Listener, error) {
	network, address := bindAddress("tcp", unmap(addr))
	return n.st.Listen(network, address)
}

// ListenTCP is ListenTCPAddrPort with a *net.TCPAddr (nil: all
// addresses, any port).
func (n *Net) ListenTCP(addr *net.TCPAddr) (*synack.Listener, error) {
	return n.ListenTCPAddrPort(tcpAddrPort(addr))
}

// DialUDPAddrPort opens a UDP socket bound to laddr and, if raddr is not
// the zero AddrPort, connected to it. wireguard-go returns a
// *gonet.UDPConn; this returns the *synack.UDPConn, a net.PacketConn and
// net.Conn with the *net.UDPConn methods.
func (n *Net) DialUDPAddrPort(laddr, raddr netip.AddrPort) (*synack.UDPConn, error) {
	laddr, raddr = unmap(laddr), unmap(raddr)
	if !raddr.IsValid() {
		network, _ := bindAddress("udp", laddr)
		return n.st.ListenUDPAddrPort(network, laddr)
	}
	return n.st.DialUDPAddrPort("udp", laddr, raddr)
}

// ListenUDPAddrPort opens an unconnected UDP socket bound to laddr, with
// the families of ListenTCPAddrPort.
func (n *Net) ListenUDPAddrPort(laddr netip.AddrPort) (*synack.UDPConn, error) {
	return n.DialUDPAddrPort(laddr, netip.AddrPort{})
}

// DialUDP is DialUDPAddrPort with *net.UDPAddr values (nil: the zero
// AddrPort).
func (n *Net) DialUDP(laddr, raddr *net.UDPAddr) (*synack.UDPConn, error) {
	return n.DialUDPAddrPort(udpAddrPort(laddr), udpAddrPort(raddr))
}

// ListenUDP is ListenUDPAddrPort with a *net.UDPAddr.
func (n *Net) ListenUDP(laddr *net.UDPAddr) (*synack.UDPConn, error) {
	return n.DialUDP(laddr, nil)
}

// bindAddress turns a local address into synack's network and address
// strings with gVisor's families: an IPv4 address (0.0.0.0 included) is
// IPv4 only, and the zero Addr or [::] takes both families.
func bindAddress(proto string, a netip.AddrPort) (network, address string) {
	host, network := "", proto
	switch ip := a.Addr(); {
	case ip.Is4():
		host, network = ip.String(), proto+"4"
	case ip.Is6() && !ip.IsUnspecified():
		host, network = ip.String(), proto+"6"
	}
	return network, net.JoinHostPort(host, strconv.Itoa(int(a.Port())))
}

func unmap(a netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}

func tcpAddrPort(a *net.TCPAddr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	return unmap(a.AddrPort())
}

func udpAddrPort(a *net.UDPAddr) netip.AddrPort {
	if a == nil {
		return netip.AddrPort{}
	}
	return unmap(a.AddrPort())
}
