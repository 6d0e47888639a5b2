package netstack

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/synack-net/synack"
)

// PingAddr is the net.Addr of a ping socket, as in wireguard-go's
// netstack.
type PingAddr struct{ addr netip.Addr }

// PingAddrFromAddr returns the PingAddr of addr.
func PingAddrFromAddr(addr netip.Addr) *PingAddr { return &PingAddr{addr} }

// String returns the address.
func (a PingAddr) String() string { return a.addr.String() }

// Network returns "ping4" or "ping6" by the address's family, and "ping"
// for the zero PingAddr.
func (a PingAddr) Network() string {
	switch {
	case a.addr.Is4():
		return "ping4"
	case a.addr.Is6():
		return "ping6"
	}
	return "ping"
}

// Addr returns the address.
func (a PingAddr) Addr() netip.Addr { return a.addr }

// PingConn is an ICMP echo socket, a net.PacketConn and a net.Conn: a
// write sends one echo request (the caller's ICMP message, whose
// identifier the socket replaces by its own and whose checksum it
// computes), and a read returns one echo reply, ICMP header included. It
// wraps *synack.PingConn with wireguard-go's PingAddr addresses; unlike
// wireguard-go's, write deadlines work.
type PingConn struct {
	c     *synack.PingConn
	laddr PingAddr
	raddr PingAddr
	// filter is set when the socket is both bound and connected, which
	// synack's DialPing does not take: replies from elsewhere are
	// skipped here.
	filter bool
}

// DialPingAddr opens a ping socket from laddr (the zero Addr: the
// stack's address of raddr's family) to raddr (the zero Addr: any peer,
// as ListenPingAddr); one of them must be valid.
func (n *Net) DialPingAddr(laddr, raddr netip.Addr) (*PingConn, error) {
	laddr, raddr = laddr.Unmap(), raddr.Unmap()
	if !laddr.IsValid() && !raddr.IsValid() {
		return nil, errors.New("ping dial: invalid address")
	}
	network := "ping4"
	if laddr.Is6() || raddr.Is6() {
		network = "ping6"
	}
	pc := &PingConn{laddr: PingAddr{laddr}, raddr: PingAddr{raddr}}
	var err error
	switch {
	case !laddr.IsValid():
		pc.c, err = n.st.DialPing(network, raddr.String())
		pc.laddr = PingAddr{unspecified(network)}
	case !raddr.IsValid():
		pc.c, err = n.st.ListenPing(network, laddr.String())
	default:
		pc.c, err = n.st.ListenPing(network, laddr.String())
		pc.filter = true
	}
	if err != nil {
		return nil, err
	}
	return pc, nil
}

func unspecified(network string) netip.Addr {
	if network == "ping6" {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// ListenPingAddr opens an unconnected ping socket on laddr.
func (n *Net) ListenPingAddr(laddr netip.Addr) (*PingConn, error) {
	return n.DialPingAddr(laddr, netip.Addr{})
}

// DialPing is DialPingAddr with *PingAddr values (nil: the zero Addr).
func (n *Net) DialPing(laddr, raddr *PingAddr) (*PingConn, error) {
	var la, ra netip.Addr
	if laddr != nil {
		la = laddr.addr
	}
	if raddr != nil {
		ra = raddr.addr
	}
	return n.DialPingAddr(la, ra)
}

// ListenPing is ListenPingAddr with a *PingAddr.
func (n *Net) ListenPing(laddr *PingAddr) (*PingConn, error) {
	var la netip.Addr
	if laddr != nil {
		la = laddr.addr
	}
	return n.ListenPingAddr(la)
}

// LocalAddr returns the bound address, a PingAddr (unspecified: any of
// the stack's).
func (pc *PingConn) LocalAddr() net.Addr { return pc.laddr }

// RemoteAddr returns the connected peer, a PingAddr (zero: none).
func (pc *PingConn) RemoteAddr() net.Addr { return pc.raddr }

// Close closes the socket; blocked reads and writes return.
func (pc *PingConn) Close() error { return pc.c.Close() }

// SetDeadline sets the read and write deadlines.
func (pc *PingConn) SetDeadline(t time.Time) error { return pc.c.SetDeadline(t) }

// SetReadDeadline sets the deadline for reads.
func (pc *PingConn) SetReadDeadline(t time.Time) error { return pc.c.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline for writes.
func (pc *PingConn) SetWriteDeadline(t time.Time) error { return pc.c.SetWriteDeadline(t) }

// WriteTo sends the echo request p to addr: a *PingAddr, PingAddr or
// *net.IPAddr of the socket's family.
func (pc *PingConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	var to netip.Addr
	switch a := addr.(type) {
	case *PingAddr:
		to = a.addr
	case PingAddr:
		to = a.addr
	case *net.IPAddr:
		to, _ = netip.AddrFromSlice(a.IP)
	default:
		return 0, fmt.Errorf("ping write: wrong net.Addr type")
	}
	return pc.c.WriteToAddr(p, to.Unmap())
}

// Write sends the echo request p to the connected peer.
func (pc *PingConn) Write(p []byte) (int, error) { return pc.WriteTo(p, pc.raddr) }

// ReadFrom reads one echo reply into p and returns its length and
// sender, a *PingAddr.
func (pc *PingConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, from, err := pc.c.ReadFromAddr(p)
		if err != nil {
			return 0, nil, err
		}
		if pc.filter && from != pc.raddr.addr {
			continue
		}
		return n, &PingAddr{from}, nil
	}
}

// Read reads one echo reply into p.
func (pc *PingConn) Read(p []byte) (int, error) {
	n, _, err := pc.ReadFrom(p)
	return n, err
}
