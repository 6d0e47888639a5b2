package tcp

import (
	"math"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// rcvAck is the fifth step of RFC 9293 §3.10.7.4: the ACK field. It
// reports whether processing goes on to the segment's text.
func (t *TCB) rcvAck(now clock.Instant, seg *Segment) bool {
	if t.state == SynReceived {
		// The handshake's third segment must acknowledge our SYN.
		if seg.Ack.LessThanEq(t.snd.una) || seg.Ack.GreaterThan(t.snd.max) {
			t.queueReset(seg.Ack, 0, wire.FlagRST)
			return false
		}
		t.establish(now, seg)
		t.updateWindow(seg)
		// Our FIN may have gone out with the SYN-ACK's data; fall through.
	}
	if seg.Ack.GreaterThan(t.snd.max) {
		// RFC 9293 §3.10.7.4: an ACK for something not yet sent is
		// answered with an ACK and dropped (RFC 5961 §5.2).
		t.ackNow = true
		return false
	}
	if seg.Ack.LessThan(t.snd.una.Add(-t.snd.maxWnd)) {
		// RFC 5961 §5.2: too old to be a plausible duplicate.
		t.challengeAck(now)
		return false
	}
	if !seg.Ack.LessThan(t.snd.una) {
		// Linux's tcp_ack: an ACK that is not older than SND.UNA shows
		// the path works again, so an ICMP soft error (RFC 1122
		// §4.2.3.9) seen before it no longer explains a timeout.
		t.clearSoftErr()
	}
	una, sackedBefore := t.snd.una, t.sb.sackedBelow(t.snd.max)
	newlySACKed := t.onSACKInfo(seg)
	advanced := seg.Ack.GreaterThan(t.snd.una)
	windowMoved := uint32(seg.Window)<<t.snd.wscale != t.snd.wnd
	dsack := t.sackOK && hasDSACK(seg)
	lost := t.rackOnAck(now, seg, dsack)
	switch {
	case advanced:
		t.ackNewData(now, seg)
	case seg.Ack == t.snd.una:
		t.maybeDupAck(seg, newlySACKed)
	}
	t.syncLossMemory() // the scoreboard and the retransmission queue changed
	if t.lossDetected() {
		t.enterRecovery(now)
	}
	if dsack {
		t.undoOnDSACK(seg)
	}
	if t.sackRecovery() {
		// RFC 6937 DeliveredData: the change in SND.UNA plus the change
		// in SACKed bytes.
		delivered := int64(t.snd.una.Sub(una)) + int64(t.sb.sackedBelow(t.snd.max)) - int64(sackedBefore)
		t.prrOnAck(uint32(max(delivered, 0)), advanced, lost)
	}
	t.onProbeAck(now, seg, advanced || newlySACKed || windowMoved, dsack)
	if advanced || newlySACKed {
		// Linux restarts the probe (or retransmission) timer only for an
		// ACK that shows progress, so that others cannot put it off.
		t.scheduleLossProbe(now)
	}
	t.updateWindow(seg)
	t.ackFin(now, seg)
	return t.state != Closed
}

// ackNewData handles an ACK that moves SND.UNA forward (RFC 9293
// §3.10.7.4: "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK").
func (t *TCB) ackNewData(now clock.Instant, seg *Segment) {
	acked := uint32(seg.Ack.Sub(t.snd.una))
	rtt := t.sampleRTT(now, seg, seg.Ack)
	// Drop the acknowledged bytes (the FIN occupies no buffer space).
	if n := int(seg.Ack.Sub(t.snd.bufSeq)); n > 0 {
		n = min(n, t.sendBuf.len())
		t.sendBuf.discard(n)
		t.snd.bufSeq = t.snd.bufSeq.Add(uint32(n))
	}
	t.snd.una = seg.Ack
	t.sb.trim(t.snd.una)
	if t.ld != nil {
		t.ld.rack.trim(t.snd.una)
	}
	if t.snd.nxt.LessThan(t.snd.una) {
		t.snd.nxt = t.snd.una // an ACK for a segment sent before an RTO rewind
	}
	t.retransmit = 0
	t.rtt.resetBackoff()
	t.hot.BytesSent += uint64(acked)
	flight := uint32(t.snd.max.Sub(t.snd.una))
	recovering := t.inRecovery
	switch {
	case t.inRecovery && seg.Ack.GreaterThanEq(t.recover):
		// RFC 6582 §3.2 step 6: a full acknowledgment ends recovery;
		// with SACK, as Linux's tcp_end_cwnd_reduction, PRR has brought
		// the flight to ssthresh, and cwnd is set to it.
		sack := t.sackRecovery() && t.ld != nil
		t.inRecovery = false
		t.cc.onExitRecovery(now, flight, sack)
		t.rackOnRecoveryEnd()
	case t.sackRecovery():
		// RFC 6675 §5: pipe, recomputed on output, already accounts for
		// what this partial acknowledgment removed from the network.
	case t.inRecovery:
		// RFC 6582 §3.2 step 5: a partial acknowledgment; resend the
		// next hole.
		t.cc.onPartialAck(acked)
		t.resendOne = true
	}
	t.cc.onAck(now, acked, flight, rtt, t.rtt.srtt(), recovering)
	if !recovering {
		t.tuneSendBuffer()
	}
	t.dupAcks = 0
	// RFC 6298 §5.2/§5.3: stop the timer when all is acknowledged, else
	// restart it.
	if t.snd.una == t.snd.max {
		t.tm.retransmit = clock.Never
		t.tm.firstUnacked = clock.Never
		if t.sendBuf.len() == 0 {
			t.sendBuf.release()
		}
	} else {
		t.tm.retransmit = now.Add(t.rtt.rto())
		t.tm.firstUnacked = now
	}
}

// maybeDupAck counts duplicate acknowledgments as RFC 5681 §2 defines them
// (loss detection, which starts recovery on the third, follows in rcvAck).
// With SACK, an ACK counts when it SACKs new data, even if the window
// moved (RFC 6675 §2, "duplicate acknowledgment").
func (t *TCB) maybeDupAck(seg *Segment, newlySACKed bool) {
	if t.snd.una == t.snd.max || len(seg.Payload) > 0 || seg.Flags&(wire.FlagSYN|wire.FlagFIN) != 0 ||
		!newlySACKed && uint32(seg.Window)<<t.snd.wscale != t.snd.wnd {
		t.dupAcks = 0
		return
	}
	if t.sackOK && seg.Options.NumSACK > 0 && !newlySACKed {
		return // RFC 6675 §2 (e): nothing new SACKed
	}
	t.coldStats().DupAcksIn++
	t.dupAcks = min(t.dupAcks+1, math.MaxInt32-1) // saturates: only dupAcks >= dupThresh matters
	if t.inRecovery && !t.sackOK {
		t.cc.onDupAckInRecovery() // RFC 6582 §3.2 step 3
	}
}

// updateWindow applies RFC 9293 §3.10.7.4's window update rule: take the
// segment's window if it is newer than the one in force (by SND.WL1 and
// SND.WL2).
func (t *TCB) updateWindow(seg *Segment) {
	if t.snd.wl1.LessThan(seg.Seq) || t.snd.wl1 == seg.Seq && t.snd.wl2.LessThanEq(seg.Ack) {
		t.snd.wnd = uint32(seg.Window) << t.snd.wscale
		t.snd.wl1, t.snd.wl2 = seg.Seq, seg.Ack
		t.snd.maxWnd = max(t.snd.maxWnd, t.snd.wnd)
		if t.snd.wnd > 0 {
			t.tm.persist = clock.Never
			t.clearProbesStart()
		}
	}
}

// ackFin advances the closing states when our FIN is acknowledged
// (RFC 9293 §3.10.7.4 fifth, per state).
func (t *TCB) ackFin(now clock.Instant, seg *Segment) {
	if !t.fin.sent || t.snd.una != t.fin.seq.Add(1) {
		return
	}
	why := segCause(seg)
	switch t.state {
	case FinWait1:
		t.setState(now, FinWait2, why)
		if t.orphaned && t.cfg.FinWait2Timeout > 0 {
			t.tm.finWait2 = now.Add(t.cfg.FinWait2Timeout)
		}
	case Closing:
		t.enterTimeWait(now, why)
	case LastAck:
		t.tm.stopAll()
		t.setState(now, Closed, why)
	}
}

// sampleRTT takes an RTT measurement from an ACK (RFC 6298 §3): from the
// echoed timestamp when timestamps are on (RFC 7323 §4.1), else from the
// one timed segment if it was not retransmitted (Karn's rule). It returns
// the sample, or 0 if the ACK gave none.
func (t *TCB) sampleRTT(now clock.Instant, seg *Segment, ack Seq) time.Duration {
	var m time.Duration
	switch {
	case t.tsOK && seg.Options.HasTS && seg.Options.TSEcr != 0:
		if d := int32(t.tsNow(now) - seg.Options.TSEcr); d >= 0 {
			m = timeMillis(d)
			t.rtt.sample(m)
		}
	case t.rttTiming && ack.GreaterThan(t.rttSeq):
		m = now.Sub(t.rttStart)
		t.rtt.sample(m)
	}
	if t.rttTiming && ack.GreaterThan(t.rttSeq) {
		t.rttTiming = false
	}
	return m
}
