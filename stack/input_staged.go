package stack

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// stageMin is the smallest payload deliverStaged takes: below it the
// second pass over the payload costs less than the lookup it adds.
const stageMin = 1024

// deliverStaged is deliverTCP's path for a data segment of an established
// connection: the connection's TCB copies the payload into its receive
// buffer and sums it in one pass (tcp.TCB.StagePayload), and the checksum
// is verified with that sum, where the plain path reads the payload once
// to verify it and again to store it. It reports whether it took the
// segment (delivered, or dropped for a bad checksum); if not, nothing has
// happened and deliverTCP goes on as usual. tcpb's header is valid and
// seg holds its options.
//
// It leaves to the plain path the segments whose effects go beyond their
// connection's TCB (SYN, RST; a connection still in its listener's
// accept queue) and every segment while the host records a trace, whose
// events need locks this path holds.
func (h *Host) deliverStaged(now clock.Instant, src, dst netip.Addr, tcpb wire.TCP, seg *tcp.Segment) bool {
	payload := tcpb.Payload()
	if len(payload) < stageMin || tcpb.Flags()&(wire.FlagSYN|wire.FlagRST) != 0 || h.tracing() {
		return false
	}
	t := Tuple{Local: netip.AddrPortFrom(dst, tcpb.DstPort()), Remote: netip.AddrPortFrom(src, tcpb.SrcPort())}
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.conns.get(t)
	if c == nil || c.listener != nil {
		return false
	}
	c.mu.Lock()
	tcb := c.full()
	if tcb == nil {
		c.mu.Unlock()
		return false
	}
	staged, sum, ok := tcb.StagePayload(tcp.Seq(tcpb.Seq()), payload)
	if !ok {
		c.mu.Unlock()
		return false
	}
	hdr := len(tcpb) - len(payload)
	total := wire.Checksum(tcpb[:hdr], wire.PseudoHeaderSum(src, dst, wire.ProtoTCP, len(tcpb)))
	if wire.FoldChecksum(wire.CombineChecksum(total, sum, hdr)) != 0 {
		c.mu.Unlock()
		h.dropBadChecksum()
		return true
	}
	seg.Seq, seg.Ack = tcp.Seq(tcpb.Seq()), tcp.Seq(tcpb.Ack())
	seg.Flags, seg.Window, seg.Payload = tcpb.Flags(), tcpb.Window(), staged
	c.f.deliver(now, *seg, c)
	c.mu.Unlock()
	h.markDirty(c)
	return true
}

// dropBadChecksum counts a TCP segment dropped for its checksum.
func (h *Host) dropBadChecksum() {
	h.count(func(k *Counters) { k.InErrs++; k.Drops[DropBadChecksum]++ })
}
