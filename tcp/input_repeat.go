package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// rcvRepeatedControl handles the segments that repeat a SYN or FIN this
// TCB already consumed. Their control bit lies just before RCV.NXT, so the
// sequence test of RFC 9293 §3.10.7.4 rejects them and would answer with a
// bare ACK; two of them deserve more, as Linux gives them. (The third,
// the peer's FIN repeated in TIME_WAIT, is TimeWaitEntry.Deliver's.) It
// reports whether the segment was handled.
func (t *TCB) rcvRepeatedControl(now clock.Instant, seg *Segment) bool {
	ctl := seg.Flags & (wire.FlagSYN | wire.FlagACK | wire.FlagRST | wire.FlagFIN)
	switch {
	case t.state == SynReceived && t.passive && ctl == wire.FlagSYN && seg.Seq == t.rcv.irs:
		// The peer retransmitted its SYN: our SYN-ACK was lost. Send it
		// again now rather than at our own retransmission timeout; a
		// bare ACK would be ignored by a peer in SYN_SENT.
		t.snd.nxt = t.snd.iss
	case t.state == SynReceived && t.isSimultaneousSynAck(seg):
		t.completeSimultaneousOpen(now, seg)
	default:
		return false
	}
	return true
}
