// Package gvnet runs a gVisor netstack host on a synack link.Link, so that
// gVisor can be benchmarked beside synack and used as an independent peer in
// interop tests.
package gvnet

import (
	"context"
	"fmt"
	"net/netip"
	"sync"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv6"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/synack-net/synack/link"
)

// nicID is the only NIC of every Host.
const nicID tcpip.NICID = 1

// channelQueueLen bounds the packets gVisor may queue for the outbound pump.
const channelQueueLen = 1024

// Host is a gVisor netstack (IPv4, IPv6, TCP with SACK, UDP) with one address
// on a channel endpoint, attached either to a link.Link by two pump goroutines
// (New) or directly to another Host's channel endpoint (NewChannelPair).
type Host struct {
	stack *stack.Stack
	ep    *channel.Endpoint
	link  link.Link // nil for a Host of a channel pair
	addr  netip.Prefix

	cancel    context.CancelFunc
	pumps     sync.WaitGroup
	closeOnce sync.Once
}

// New builds a gVisor stack owning l: it assigns addr to its NIC, routes every
// destination of addr's family through l, and starts the pumps. Close the
// Host to stop them; Close also closes l. On error, l is left open.
func New(l link.Link, addr netip.Prefix) (*Host, error) {
	h, err := newHost(channel.New(channelQueueLen, uint32(l.MTU()), ""), addr)
	if err != nil {
		return nil, err
	}
	h.link = l
	ctx := h.start(2)
	go h.pumpIn()
	go h.pumpOut(ctx)
	return h, nil
}

// newHost builds a gVisor stack on ep with addr assigned to its NIC and every
// destination of addr's family routed through it. It starts no goroutine.
func newHost(ep *channel.Endpoint, addr netip.Prefix) (*Host, error) {
	if !addr.IsValid() {
		return nil, fmt.Errorf("gvnet: invalid address %v", addr)
	}
	addr = netip.PrefixFrom(addr.Addr().Unmap(), addr.Bits())
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, ipv6.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol},
	})
	sack := tcpip.TCPSACKEnabled(true)
	if err := s.SetTransportProtocolOption(tcp.ProtocolNumber, &sack); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("gvnet: enable SACK: %v", err)
	}
	if err := s.CreateNIC(nicID, ep); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("gvnet: create NIC: %v", err)
	}
	proto, _ := fullAddr(netip.AddrPortFrom(addr.Addr(), 0))
	pa := tcpip.ProtocolAddress{
		Protocol: proto,
		AddressWithPrefix: tcpip.AddressWithPrefix{
			Address:   tcpip.AddrFromSlice(addr.Addr().AsSlice()),
			PrefixLen: addr.Bits(),
		},
	}
	if err := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		s.Destroy()
		return nil, fmt.Errorf("gvnet: add address %v: %v", addr, err)
	}
	everything := header.IPv4EmptySubnet
	if addr.Addr().Is6() {
		everything = header.IPv6EmptySubnet
	}
	s.AddRoute(tcpip.Route{Destination: everything, NIC: nicID})

	return &Host{stack: s, ep: ep, addr: addr, cancel: func() {}}, nil
}

// start makes the context the Host's pumps run under, cancelled by Close,
// and counts the pumps goroutines that Close waits for.
func (h *Host) start(pumps int) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.pumps.Add(pumps)
	return ctx
}

// Addr returns the host's address and prefix length.
func (h *Host) Addr() netip.Prefix { return h.addr }

// Stack returns the underlying gVisor stack, for tests that need its
// options or statistics.
func (h *Host) Stack() *stack.Stack { return h.stack }

// Close stops the Host's pumps, closes its link (if it has one) and destroys
// the stack, aborting its connections. It returns once no goroutine of the
// Host is left running.
func (h *Host) Close() {
	h.closeOnce.Do(func() {
		h.cancel()
		if h.link != nil {
			h.link.Close()
		}
		h.pumps.Wait()
		h.stack.Destroy()
	})
}

// AddAddress assigns one more address to the host's NIC, for clients that
// need more than one address's ports.
func (h *Host) AddAddress(addr netip.Prefix) error {
	proto, _ := fullAddr(netip.AddrPortFrom(addr.Addr(), 0))
	pa := tcpip.ProtocolAddress{
		Protocol: proto,
		AddressWithPrefix: tcpip.AddressWithPrefix{
			Address:   tcpip.AddrFromSlice(addr.Addr().Unmap().AsSlice()),
			PrefixLen: addr.Bits(),
		},
	}
	if err := h.stack.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); err != nil {
		return fmt.Errorf("gvnet: add address %v: %v", addr, err)
	}
	return nil
}
