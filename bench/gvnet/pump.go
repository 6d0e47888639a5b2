package gvnet

import (
	"context"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

// pumpIn moves packets from the link into the stack until the link is closed.
// Each packet is copied once, into a gVisor-owned buffer.
func (h *Host) pumpIn() {
	defer h.pumps.Done()
	buf := make([]byte, h.link.MTU())
	for {
		n, err := h.link.ReadPacket(buf)
		if err != nil {
			return
		}
		var proto tcpip.NetworkProtocolNumber
		switch header.IPVersion(buf[:n]) {
		case header.IPv4Version:
			proto = header.IPv4ProtocolNumber
		case header.IPv6Version:
			proto = header.IPv6ProtocolNumber
		default:
			continue
		}
		pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
			Payload: buffer.MakeWithData(buf[:n]),
		})
		h.ep.InjectInbound(proto, pkt)
		pkt.DecRef()
	}
}

// pumpOut moves packets the stack sends into the link until ctx is cancelled
// or the link is closed. Each packet is gathered into one reused buffer,
// which the link copies before WritePacket returns.
func (h *Host) pumpOut(ctx context.Context) {
	defer h.pumps.Done()
	buf := make([]byte, 0, h.link.MTU())
	for {
		pkt := h.ep.ReadContext(ctx)
		if pkt == nil {
			return
		}
		buf = buf[:0]
		for _, s := range pkt.AsSlices() {
			buf = append(buf, s...)
		}
		pkt.DecRef()
		if err := h.link.WritePacket(buf); err != nil {
			return
		}
	}
}
