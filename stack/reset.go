package stack

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// resetStray answers a segment that matches no connection (RFC 9293
// §3.10.7.1, state CLOSED): an RST is dropped silently; otherwise, if the
// segment has an ACK, the reset is <SEQ=SEG.ACK><CTL=RST>, else it is
// <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. Called with h.mu held.
func (h *Host) resetStray(now clock.Instant, t Tuple, seg *tcp.Segment) {
	h.drop(now, t, seg, DropNoSocket)
	if seg.Flags&wire.FlagRST != 0 {
		return // never answer a reset with a reset
	}
	if h.out.full() {
		// A burst of strays between two flushes: the rest go unanswered,
		// as under Linux's reset rate limit.
		h.count(func(k *Counters) { k.OutRstsSuppressed++ })
		return
	}
	rst := tcp.ResetFor(seg)
	h.out.push(now, h, t, &rst)
}
