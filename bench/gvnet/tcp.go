package gvnet

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/header"
)

// Listen returns a TCP listener on the host's address and port; port 0 picks
// an ephemeral port, which the listener's Addr reports.
func (h *Host) Listen(port uint16) (net.Listener, error) {
	proto, fa := fullAddr(netip.AddrPortFrom(h.addr.Addr(), port))
	l, err := gonet.ListenTCP(h.stack, fa, proto)
	if err != nil {
		return nil, fmt.Errorf("gvnet: listen on port %d: %w", port, err)
	}
	return l, nil
}

// Dial opens a TCP connection to remote from an ephemeral port of the host.
// It gives up when ctx is done.
func (h *Host) Dial(ctx context.Context, remote netip.AddrPort) (net.Conn, error) {
	proto, fa := fullAddr(remote)
	c, err := gonet.DialContextTCP(ctx, h.stack, fa, proto)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// fullAddr converts ap to gVisor's address form and network protocol number.
func fullAddr(ap netip.AddrPort) (tcpip.NetworkProtocolNumber, tcpip.FullAddress) {
	a := ap.Addr().Unmap()
	proto := header.IPv4ProtocolNumber
	if a.Is6() {
		proto = header.IPv6ProtocolNumber
	}
	return proto, tcpip.FullAddress{
		NIC:  nicID,
		Addr: tcpip.AddrFromSlice(a.AsSlice()),
		Port: ap.Port(),
	}
}

// DialFrom is Dial from an ephemeral port of local, one of the host's
// addresses.
func (h *Host) DialFrom(ctx context.Context, local netip.Addr, remote netip.AddrPort) (net.Conn, error) {
	proto, fr := fullAddr(remote)
	_, fl := fullAddr(netip.AddrPortFrom(local, 0))
	c, err := gonet.DialTCPWithBind(ctx, h.stack, fl, fr, proto)
	if err != nil {
		return nil, err
	}
	return c, nil
}
