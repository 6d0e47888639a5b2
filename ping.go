package synack

import (
	"net"
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/stack"
)

// PingConn is an ICMP echo socket of a Stack, shaped as a net.PacketConn
// (and a net.Conn once connected), like the ping sockets of Linux and of
// wireguard-go's netstack. A write sends one echo request: the ICMP
// message the caller built (type 8, or 128 for ICMPv6, code 0, with any
// identifier and checksum), whose identifier the socket replaces by its
// own (ID) and whose checksum it computes; the sequence number and data
// are the caller's. A read returns one echo reply with the socket's
// identifier, ICMP header included. Addresses are *net.IPAddr values.
type PingConn struct {
	packetCore
	sock    *stack.PingSocket
	network string
}

// ListenPing opens a ping socket: network "ping4" or "ping6", laddr ""
// (any of the stack's addresses) or an address of the stack, from which
// requests are sent and to which replies must come.
func (s *Stack) ListenPing(network, laddr string) (*PingConn, error) {
	return s.openPing("listen", network, laddr, "")
}

// DialPing opens a ping socket connected to raddr (network "ping4" or
// "ping6"): Write sends to raddr, and only raddr's replies are read.
func (s *Stack) DialPing(network, raddr string) (*PingConn, error) {
	return s.openPing("dial", network, "", raddr)
}

func (s *Stack) openPing(op, network, laddr, raddr string) (*PingConn, error) {
	var local, remote netip.Addr
	err := parsePingAddrs(laddr, raddr, &local, &remote)
	if err == nil && network != "ping4" && network != "ping6" {
		err = net.UnknownNetworkError(network)
	}
	var sock *stack.PingSocket
	if err == nil {
		sock, err = s.host.OpenPing(network == "ping6", local, remote)
	}
	if err != nil {
		return nil, packetOpError(op, network, "bind", ipAddr(local), ipAddr(remote), err)
	}
	c := &PingConn{packetCore: newPacketCore(s), sock: sock, network: network}
	sock.SetWaker(c.notify)
	return c, nil
}

// parsePingAddrs parses the optional local and remote IP literals.
func parsePingAddrs(laddr, raddr string, local, remote *netip.Addr) error {
	for _, p := range []struct {
		s string
		a *netip.Addr
	}{{laddr, local}, {raddr, remote}} {
		if p.s == "" {
			continue
		}
		a, err := netip.ParseAddr(p.s)
		if err != nil {
			return &net.AddrError{Err: "not an IP address", Addr: p.s}
		}
		*p.a = a.Unmap()
	}
	return nil
}

// ipAddr converts an Addr to a net.Addr, nil for the zero value.
func ipAddr(a netip.Addr) net.Addr {
	if !a.IsValid() {
		return nil
	}
	return &net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()}
}

// ID returns the identifier the socket writes into its echo requests.
func (c *PingConn) ID() uint16 { return c.sock.ID() }

// LocalAddr returns the bound address, a *net.IPAddr (unspecified: any).
func (c *PingConn) LocalAddr() net.Addr { return ipAddr(c.sock.LocalAddr()) }

// RemoteAddr returns the connected peer, a *net.IPAddr, or nil.
func (c *PingConn) RemoteAddr() net.Addr { return ipAddr(c.sock.RemoteAddr()) }

func (c *PingConn) opErr(op, syscallName string, addr net.Addr, err error) error {
	if addr == nil {
		addr = c.RemoteAddr()
	}
	return packetOpError(op, c.network, syscallName, c.LocalAddr(), addr, err)
}

// ReadFromAddr reads one echo reply into p (truncated to len(p)) and
// returns its length and sender.
func (c *PingConn) ReadFromAddr(p []byte) (n int, from netip.Addr, err error) {
	err = c.read(func() (err error) {
		n, from, err = c.sock.RecvFrom(p)
		return err
	})
	if err != nil {
		return 0, netip.Addr{}, c.opErr("read", "recvfrom", nil, err)
	}
	return n, from, nil
}

// ReadFrom implements net.PacketConn: ReadFromAddr with a *net.IPAddr.
func (c *PingConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromAddr(p)
	if err != nil {
		return 0, nil, err
	}
	return n, ipAddr(from), nil
}

// Read implements net.Conn: ReadFromAddr without the sender.
func (c *PingConn) Read(p []byte) (int, error) {
	n, _, err := c.ReadFromAddr(p)
	return n, err
}

// WriteToAddr sends the echo request p to addr (the connected peer, for
// the zero Addr). A message that is not an echo request is EINVAL.
func (c *PingConn) WriteToAddr(p []byte, addr netip.Addr) (int, error) {
	err := c.write(func() error { return c.sock.SendTo(p, addr) })
	if err != nil {
		return 0, c.opErr("write", "sendto", ipAddr(addr), err)
	}
	return len(p), nil
}

// WriteTo implements net.PacketConn: addr is a *net.IPAddr (or a
// *net.UDPAddr, whose port is ignored, as wireguard-go's ping accepts).
func (c *PingConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	var ip net.IP
	switch a := addr.(type) {
	case *net.IPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	}
	dst, ok := netip.AddrFromSlice(ip)
	if !ok {
		return 0, c.opErr("write", "sendto", addr, syscall.EINVAL)
	}
	return c.WriteToAddr(p, dst.Unmap())
}

// Write implements net.Conn: it sends the echo request p to the
// connected peer (EDESTADDRREQ on an unconnected socket).
func (c *PingConn) Write(p []byte) (int, error) { return c.WriteToAddr(p, netip.Addr{}) }

// Close closes the socket and frees its identifier.
func (c *PingConn) Close() error {
	if err := c.close(c.sock.Close); err != nil {
		return c.opErr("close", "close", nil, err)
	}
	return nil
}

// SetReadBuffer sets the receive queue's limit (SO_RCVBUF), as
// UDPConn's.
func (c *PingConn) SetReadBuffer(bytes int) error {
	if bytes <= 0 {
		return c.opErr("set", "setsockopt", nil, syscall.EINVAL)
	}
	c.sock.SetRecvBuffer(bytes)
	return nil
}

// Drops returns how many replies were dropped because the receive queue
// was full.
func (c *PingConn) Drops() uint64 { return c.sock.Drops() }
