package gvnet

import (
	"context"
	"fmt"
	"net/netip"

	"gvisor.dev/gvisor/pkg/tcpip/link/channel"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// NewChannelPair builds two gVisor hosts, each on its own channel endpoint
// (channel.New(1024, mtu, "")), joined endpoint to endpoint: one pump
// goroutine per direction moves each packet a stack sends from its
// endpoint's ReadContext into the other endpoint's InjectInbound, sharing
// the packet's buffer rather than copying it. This is gVisor on the link
// its users give it (wireguard-go and tailscale read the same endpoint),
// less the copy to a TUN device. Close each Host; a closed Host's peer
// drops what it sends to it.
func NewChannelPair(mtu int, a, b netip.Prefix) (*Host, *Host, error) {
	ha, err := newHost(channel.New(channelQueueLen, uint32(mtu), ""), a)
	if err != nil {
		return nil, nil, err
	}
	hb, err := newHost(channel.New(channelQueueLen, uint32(mtu), ""), b)
	if err != nil {
		ha.Close()
		return nil, nil, fmt.Errorf("gvnet: second host: %w", err)
	}
	// Each Host owns the pump reading its own endpoint.
	ctxA, ctxB := ha.start(1), hb.start(1)
	go ha.pumpTo(ctxA, hb.ep)
	go hb.pumpTo(ctxB, ha.ep)
	return ha, hb, nil
}

// pumpTo moves the packets h's stack sends into peer as inbound packets
// until ctx is cancelled. The inbound packet holds a reference to the
// outbound packet's storage: no byte is copied.
func (h *Host) pumpTo(ctx context.Context, peer *channel.Endpoint) {
	defer h.pumps.Done()
	for {
		pkt := h.ep.ReadContext(ctx)
		if pkt == nil {
			return
		}
		in := stack.NewPacketBuffer(stack.PacketBufferOptions{Payload: pkt.ToBuffer()})
		proto := pkt.NetworkProtocolNumber
		pkt.DecRef()
		peer.InjectInbound(proto, in)
		in.DecRef()
	}
}
