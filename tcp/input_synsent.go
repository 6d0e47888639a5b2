package tcp

import (
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// rcvSynSent handles a segment arriving in SYN_SENT (RFC 9293 §3.10.7.3).
func (t *TCB) rcvSynSent(now clock.Instant, seg *Segment) {
	hasAck := seg.Flags&wire.FlagACK != 0
	// First: the ACK bit. It must acknowledge our SYN and nothing more.
	if hasAck && (seg.Ack.LessThanEq(t.snd.iss) || seg.Ack.GreaterThan(t.snd.max)) {
		if seg.Flags&wire.FlagRST == 0 {
			t.queueReset(seg.Ack, 0, wire.FlagRST)
		}
		return
	}
	// Second: the RST bit. Without an acceptable ACK it is dropped
	// (RFC 5961 §3.2 closes the blind-reset hole this way).
	if seg.Flags&wire.FlagRST != 0 {
		if hasAck {
			t.fail(now, syscall.ECONNREFUSED, segCause(seg))
		}
		return
	}
	// Fourth: the SYN bit.
	if seg.Flags&wire.FlagSYN == 0 {
		return
	}
	t.lastRecv = now
	t.rcv.irs = seg.Seq
	t.rcv.nxt = seg.Seq.Add(1)
	t.rcv.lastAck = t.rcv.nxt
	t.rcv.adv = t.rcv.nxt
	t.negotiate(&seg.Options)
	if hasAck {
		t.establish(now, seg)
		// RFC 7323 §2.2: the window of a SYN-ACK is never scaled.
		t.snd.wnd = uint32(seg.Window)
		t.snd.maxWnd = t.snd.wnd
		t.ackNow = true
		// Data that came with the SYN-ACK is taken as in ESTABLISHED.
		if len(seg.Payload) > 0 || seg.Flags&wire.FlagFIN != 0 {
			body := *seg
			body.Seq = seg.Seq.Add(1)
			body.Flags &^= wire.FlagSYN
			t.rcvText(now, &body)
		}
		return
	}
	// Simultaneous open (RFC 9293 Figure 7): SYN_SENT -> SYN_RCVD, and
	// the SYN is sent again as a SYN-ACK.
	t.snd.wnd = uint32(seg.Window)
	t.snd.maxWnd = t.snd.wnd
	t.snd.wl1 = seg.Seq
	t.setState(now, SynReceived, segCause(seg))
	t.snd.nxt = t.snd.iss
	t.tm.retransmit = clock.Never
	t.retransmit = 0
	t.armRetransmit(now)
}

// queueReset queues a reset whose numbers come from the offending segment
// rather than from our sequence space (RFC 9293 §3.10.7.3 first,
// §3.10.7.4 fifth for SYN_RCVD).
func (t *TCB) queueReset(seq, ack Seq, flags wire.TCPFlags) {
	t.rstPending = true
	t.rst = resetToSend{seq: seq, ack: ack, flags: flags}
}
