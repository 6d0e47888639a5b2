package gvnet

import (
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
)

// ListenUDP opens a UDP socket on the host's address and port (0 picks an
// ephemeral port), through gVisor's gonet adapter.
func (h *Host) ListenUDP(port uint16) (*gonet.UDPConn, error) {
	proto, fa := fullAddr(netip.AddrPortFrom(h.addr.Addr(), port))
	c, err := gonet.DialUDP(h.stack, &fa, nil, proto)
	if err != nil {
		return nil, fmt.Errorf("gvnet: UDP on port %d: %w", port, err)
	}
	return c, nil
}

// DialUDP opens a UDP socket connected to remote, from an ephemeral port
// of the host.
func (h *Host) DialUDP(remote netip.AddrPort) (*gonet.UDPConn, error) {
	proto, fa := fullAddr(remote)
	c, err := gonet.DialUDP(h.stack, nil, &fa, proto)
	if err != nil {
		return nil, fmt.Errorf("gvnet: UDP to %v: %w", remote, err)
	}
	return c, nil
}
