package synack

import (
	"net"
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/stack"
)

// UDPConn is a UDP socket of a Stack. It implements net.PacketConn and
// net.Conn, and the methods of *net.UDPConn that apply to a userspace
// stack. Errors are *net.OpError values wrapping the errno a kernel
// socket would give (syscall.ECONNREFUSED on a connected socket after an
// ICMP port unreachable, EMSGSIZE for a datagram over the link MTU),
// net.ErrClosed after Close and os.ErrDeadlineExceeded after a deadline.
type UDPConn struct {
	packetCore
	sock    *stack.UDPSocket
	network string
}

func newUDPConn(s *Stack, sock *stack.UDPSocket, network string) *UDPConn {
	c := &UDPConn{packetCore: newPacketCore(s), sock: sock, network: network}
	sock.SetWaker(c.notify)
	return c
}

// LocalAddr returns the bound address, a *net.UDPAddr.
func (c *UDPConn) LocalAddr() net.Addr { return net.UDPAddrFromAddrPort(c.sock.LocalAddr()) }

// RemoteAddr returns the connected peer, a *net.UDPAddr, or nil for a
// socket made by ListenUDP.
func (c *UDPConn) RemoteAddr() net.Addr { return udpAddr(c.sock.RemoteAddr()) }

func (c *UDPConn) opErr(op, syscallName string, addr net.Addr, err error) error {
	if addr == nil {
		addr = c.RemoteAddr()
	}
	return packetOpError(op, c.network, syscallName, c.LocalAddr(), addr, err)
}

// ReadFromUDPAddrPort reads one datagram into p and returns its length
// (what fit: the rest of a longer datagram is discarded, as recvfrom(2)
// does) and its sender, with IPv4 addresses unmapped.
func (c *UDPConn) ReadFromUDPAddrPort(p []byte) (int, netip.AddrPort, error) {
	return c.readFrom(p, "recvfrom")
}

func (c *UDPConn) readFrom(p []byte, syscallName string) (n int, from netip.AddrPort, err error) {
	err = c.read(func() (err error) {
		n, from, err = c.sock.RecvFrom(p)
		return err
	})
	if err != nil {
		return 0, netip.AddrPort{}, c.opErr("read", syscallName, nil, err)
	}
	return n, from, nil
}

// ReadFromUDP is ReadFromUDPAddrPort returning a *net.UDPAddr.
func (c *UDPConn) ReadFromUDP(p []byte) (int, *net.UDPAddr, error) {
	n, from, err := c.ReadFromUDPAddrPort(p)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// ReadFrom implements net.PacketConn: ReadFromUDP with a net.Addr.
func (c *UDPConn) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := c.ReadFromUDPAddrPort(p)
	if err != nil {
		return 0, nil, err
	}
	return n, net.UDPAddrFromAddrPort(from), nil
}

// Read implements net.Conn: it reads one datagram, from the peer on a
// connected socket, from anyone on another.
func (c *UDPConn) Read(p []byte) (int, error) {
	n, _, err := c.readFrom(p, "read")
	return n, err
}

// WriteToUDPAddrPort sends p as one datagram to addr. On a connected
// socket it returns net.ErrWriteToConnected, as Go's does.
func (c *UDPConn) WriteToUDPAddrPort(p []byte, addr netip.AddrPort) (int, error) {
	if c.sock.RemoteAddr().IsValid() {
		return 0, c.opErr("write", "sendto", udpAddr(addr), net.ErrWriteToConnected)
	}
	if !addr.IsValid() {
		return 0, c.opErr("write", "sendto", nil, errMissingAddress)
	}
	return c.send(p, addr, "sendto")
}

func (c *UDPConn) send(p []byte, addr netip.AddrPort, syscallName string) (int, error) {
	err := c.write(func() error { return c.sock.SendTo(p, addr) })
	if err != nil {
		return 0, c.opErr("write", syscallName, udpAddr(addr), err)
	}
	return len(p), nil
}

// WriteToUDP is WriteToUDPAddrPort with a *net.UDPAddr.
func (c *UDPConn) WriteToUDP(p []byte, addr *net.UDPAddr) (int, error) {
	if addr == nil {
		return 0, c.opErr("write", "sendto", nil, errMissingAddress)
	}
	return c.WriteToUDPAddrPort(p, udpAddrPort(addr))
}

// WriteTo implements net.PacketConn: addr must be a *net.UDPAddr.
func (c *UDPConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	a, ok := addr.(*net.UDPAddr)
	if !ok {
		return 0, c.opErr("write", "sendto", addr, syscall.EINVAL)
	}
	return c.WriteToUDP(p, a)
}

// Write implements net.Conn: it sends p to the connected peer (an
// unconnected socket returns EDESTADDRREQ, as write(2) does).
func (c *UDPConn) Write(p []byte) (int, error) {
	return c.send(p, netip.AddrPort{}, "write")
}

// Close closes the socket: blocked and later calls return net.ErrClosed,
// and what it had received is dropped.
func (c *UDPConn) Close() error {
	if err := c.close(c.sock.Close); err != nil {
		return c.opErr("close", "close", nil, err)
	}
	return nil
}

// SetReadBuffer sets the receive queue's limit (SO_RCVBUF), clamped to
// [stack.MinDgramBuffer, stack.MaxDgramBuffer]; datagrams are charged by
// the storage they hold.
func (c *UDPConn) SetReadBuffer(bytes int) error {
	if bytes <= 0 {
		return c.opErr("set", "setsockopt", nil, syscall.EINVAL)
	}
	c.sock.SetRecvBuffer(bytes)
	return nil
}

// SetWriteBuffer sets how much output may wait for the link (SO_SNDBUF)
// before writes block, clamped like SetReadBuffer.
func (c *UDPConn) SetWriteBuffer(bytes int) error {
	if bytes <= 0 {
		return c.opErr("set", "setsockopt", nil, syscall.EINVAL)
	}
	c.sock.SetSendBuffer(bytes)
	return nil
}

// Drops returns how many datagrams were dropped because the receive
// queue was full (Linux's SO_RXQ_OVFL count).
func (c *UDPConn) Drops() uint64 { return c.sock.Drops() }

// SetZeroChecksum6 lets a tunnel endpoint send IPv6 datagrams without a
// checksum and accept those that carry none (RFC 6935, RFC 6936; Linux's
// UDP_NO_CHECK6_TX and UDP_NO_CHECK6_RX). Both are off by default.
func (c *UDPConn) SetZeroChecksum6(send, receive bool) { c.sock.SetZeroChecksum6(send, receive) }
