package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// A SOCKS5 client (RFC 1928) for synack forward: CONNECT for a TCP
// connection and UDP ASSOCIATE for a UDP flow, without authentication
// (method X'00'), addresses always as IP literals (the forwarder knows
// only the destination address the client's packet carried).

// SOCKS5 protocol constants (RFC 1928 §3, §4, §5, §6).
const (
	socksVersion      = 5
	socksNoAuth       = 0
	socksNoAcceptable = 0xff
	socksCmdConnect   = 1
	socksCmdAssociate = 3
	socksATYPv4       = 1
	socksATYPDomain   = 3
	socksATYPv6       = 4
)

// socks5 is a proxy's address.
type socks5 struct{ proxy string }

// socksReplyError is a reply other than succeeded (RFC 1928 §6).
type socksReplyError byte

func (e socksReplyError) Error() string {
	msgs := [...]string{1: "general SOCKS server failure", 2: "connection not allowed by ruleset",
		3: "network unreachable", 4: "host unreachable", 5: "connection refused", 6: "TTL expired",
		7: "command not supported", 8: "address type not supported"}
	if int(e) < len(msgs) && msgs[e] != "" {
		return "socks5: " + msgs[e]
	}
	return fmt.Sprintf("socks5: reply %d", byte(e))
}

// Unwrap gives the errno a kernel's connect would have returned, so that
// a refusal is told from a failure as for a direct connection.
func (e socksReplyError) Unwrap() error {
	switch e {
	case 3:
		return syscall.ENETUNREACH
	case 4:
		return syscall.EHOSTUNREACH
	case 5:
		return syscall.ECONNREFUSED
	case 6:
		return syscall.ETIMEDOUT
	}
	return nil
}

// dial opens a control connection to the proxy and sends cmd for dst,
// returning the connection and the reply's bound address. ctx bounds the
// whole exchange.
func (s socks5) dial(ctx context.Context, cmd byte, dst netip.AddrPort) (*net.TCPConn, netip.AddrPort, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", s.proxy)
	if err != nil {
		return nil, netip.AddrPort{}, err
	}
	c := nc.(*net.TCPConn)
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	bound, err := socksHandshake(c, cmd, dst)
	if !stop() {
		err = errors.Join(ctx.Err(), err)
	}
	if err != nil {
		c.Close()
		return nil, netip.AddrPort{}, err
	}
	c.SetDeadline(time.Time{})
	return c, bound, nil
}

// socksHandshake is the method negotiation (§3) and one request (§4) on
// rw, returning the reply's BND.ADDR and BND.PORT (§6).
func socksHandshake(rw io.ReadWriter, cmd byte, dst netip.AddrPort) (netip.AddrPort, error) {
	if _, err := rw.Write([]byte{socksVersion, 1, socksNoAuth}); err != nil {
		return netip.AddrPort{}, err
	}
	var m [2]byte
	if _, err := io.ReadFull(rw, m[:]); err != nil {
		return netip.AddrPort{}, err
	}
	switch {
	case m[0] != socksVersion:
		return netip.AddrPort{}, fmt.Errorf("socks5: the proxy speaks version %d", m[0])
	case m[1] == socksNoAcceptable:
		return netip.AddrPort{}, errors.New("socks5: the proxy wants authentication")
	case m[1] != socksNoAuth:
		return netip.AddrPort{}, fmt.Errorf("socks5: the proxy chose method %d", m[1])
	}
	req := appendSocksAddr([]byte{socksVersion, cmd, 0}, dst)
	if _, err := rw.Write(req); err != nil {
		return netip.AddrPort{}, err
	}
	var h [3]byte
	if _, err := io.ReadFull(rw, h[:]); err != nil {
		return netip.AddrPort{}, err
	}
	if h[0] != socksVersion {
		return netip.AddrPort{}, fmt.Errorf("socks5: a reply of version %d", h[0])
	}
	if h[1] != 0 {
		return netip.AddrPort{}, socksReplyError(h[1])
	}
	return readSocksAddr(rw)
}

// appendSocksAddr appends ATYP, DST.ADDR and DST.PORT for a (§4).
func appendSocksAddr(b []byte, a netip.AddrPort) []byte {
	ip := a.Addr().Unmap()
	if ip.Is4() {
		b = append(b, socksATYPv4)
	} else {
		b = append(b, socksATYPv6)
	}
	b = append(b, ip.AsSlice()...)
	return binary.BigEndian.AppendUint16(b, a.Port())
}

// readSocksAddr reads ATYP, an address and a port. A domain name, which
// a proxy may bind to, has no address: the zero Addr with its port.
func readSocksAddr(r io.Reader) (netip.AddrPort, error) {
	var t [1]byte
	if _, err := io.ReadFull(r, t[:]); err != nil {
		return netip.AddrPort{}, err
	}
	var n int
	switch t[0] {
	case socksATYPv4:
		n = 4
	case socksATYPv6:
		n = 16
	case socksATYPDomain:
		var l [1]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return netip.AddrPort{}, err
		}
		n = int(l[0])
	default:
		return netip.AddrPort{}, fmt.Errorf("socks5: address type %d", t[0])
	}
	b := make([]byte, n+2)
	if _, err := io.ReadFull(r, b); err != nil {
		return netip.AddrPort{}, err
	}
	port := binary.BigEndian.Uint16(b[n:])
	if t[0] == socksATYPDomain {
		return netip.AddrPortFrom(netip.Addr{}, port), nil
	}
	ip, _ := netip.AddrFromSlice(b[:n])
	return netip.AddrPortFrom(ip.Unmap(), port), nil
}

// connect opens a TCP connection to dst through the proxy (CONNECT).
func (s socks5) connect(ctx context.Context, dst netip.AddrPort) (*net.TCPConn, error) {
	c, _, err := s.dial(ctx, socksCmdConnect, dst)
	return c, err
}

// associate sets up a UDP relay (UDP ASSOCIATE, §7): the control
// connection, which the association lasts as long as, and a UDP socket
// connected to the relay. The client's address is sent as zeros, since
// it is not known before the socket sends (§4 allows it).
func (s socks5) associate(ctx context.Context) (*net.TCPConn, *net.UDPConn, error) {
	ctrl, relay, err := s.dial(ctx, socksCmdAssociate, netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
	if err != nil {
		return nil, nil, err
	}
	if !relay.Addr().IsValid() || relay.Addr().IsUnspecified() {
		// The relay is at the proxy's own address.
		proxy, _ := netip.ParseAddrPort(ctrl.RemoteAddr().String())
		relay = netip.AddrPortFrom(proxy.Addr().Unmap(), relay.Port())
	}
	u, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(relay))
	if err != nil {
		ctrl.Close()
		return nil, nil, err
	}
	return ctrl, u, nil
}

// appendSocksUDP appends the UDP request header for dst (§7) and data.
func appendSocksUDP(b []byte, dst netip.AddrPort, data []byte) []byte {
	b = appendSocksAddr(append(b, 0, 0, 0), dst)
	return append(b, data...)
}

// parseSocksUDP splits a datagram from the relay into its source (DST
// in the header) and data. Fragments (FRAG other than 0) are refused, as
// §7 lets an implementation that does not reassemble do.
func parseSocksUDP(pkt []byte) (netip.AddrPort, []byte, error) {
	if len(pkt) < 4 {
		return netip.AddrPort{}, nil, errors.New("socks5: short UDP header")
	}
	if pkt[2] != 0 {
		return netip.AddrPort{}, nil, errors.New("socks5: a UDP fragment")
	}
	var n int
	switch pkt[3] {
	case socksATYPv4:
		n = 4
	case socksATYPv6:
		n = 16
	default:
		return netip.AddrPort{}, nil, fmt.Errorf("socks5: UDP address type %d", pkt[3])
	}
	if len(pkt) < 4+n+2 {
		return netip.AddrPort{}, nil, errors.New("socks5: short UDP header")
	}
	ip, _ := netip.AddrFromSlice(pkt[4 : 4+n])
	port := binary.BigEndian.Uint16(pkt[4+n:])
	return netip.AddrPortFrom(ip.Unmap(), port), pkt[4+n+2:], nil
}
