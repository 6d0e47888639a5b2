package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
	"math"
)

// NextSegment returns the next segment the TCB wants sent, with its payload
// copied into buf (which must hold at least MSS bytes), or ok=false when it
// has nothing to send now. The host calls it until ok is false after every
// input, and builds the IP and TCP headers around the result.
func (t *TCB) NextSegment(now clock.Instant, buf []byte) (seg Segment, ok bool) {
	if t.rstPending {
		t.rstPending = false
		seg = Segment{Seq: t.rst.seq, Ack: t.rst.ack, Flags: t.rst.flags}
		if t.rst.withTS {
			seg.Options.TSVal, seg.Options.TSEcr, seg.Options.HasTS = t.tsNow(now), t.tsRecent, true
		}
		t.hot.SegsOut++
		return seg, true
	}
	switch t.state {
	case TimeWait:
		return t.tw.NextSegment(now)
	case Closed, Listen:
		return Segment{}, false
	case SynSent, SynReceived:
		if t.snd.nxt == t.snd.iss {
			return t.synSegment(now), true
		}
		if t.ackNow && t.state == SynReceived {
			return t.pureAck(now), true
		}
		return Segment{}, false
	}
	if t.snd.nxt == t.snd.iss {
		// Closed in SYN_RCVD before our SYN was acknowledged, and the
		// retransmission timer has gone back to it: the SYN-ACK goes
		// again first, as it heads Linux's retransmission queue.
		return t.synSegment(now), true
	}
	if t.resendOne {
		t.resendOne = false
		if seg, ok = t.retransmitHead(now, buf); ok {
			return seg, true
		}
	}
	if t.probePending() {
		if seg, ok = t.lossProbe(now, buf); ok {
			return seg, true
		}
	}
	if t.dupAcksOwed > 0 {
		// Duplicate ACKs carry no data (RFC 5681 §2), so they go first.
		t.dupAcksOwed--
		return t.pureAck(now), true
	}
	// RFC 6675 §4 NextSeg: lost holes first, then new data, then holes not
	// yet deemed lost.
	if seg, ok = t.sackRetransmit(now, buf, true); ok {
		return seg, true
	}
	if seg, ok = t.dataSegment(now, buf, false); ok {
		return seg, true
	}
	if seg, ok = t.sackRetransmit(now, buf, false); ok {
		return seg, true
	}
	if t.windowProbePending {
		t.windowProbePending = false
		if seg, ok = t.windowProbe(now, buf); ok {
			return seg, true
		}
	}
	// An ACK we owe goes before a probe: a probe's sequence number lies
	// below the peer's window, so the peer drops it unread, ACK field and
	// all, and answers it.
	if t.ackNow {
		return t.pureAck(now), true
	}
	if t.bareProbePending {
		t.bareProbePending = false
		return t.bareProbe(now), true
	}
	t.burst = 0
	return Segment{}, false
}

// synSegment builds our SYN (SYN_SENT) or SYN-ACK (SYN_RCVD).
func (t *TCB) synSegment(now clock.Instant) Segment {
	seg := Segment{Seq: t.snd.iss, Flags: wire.FlagSYN}
	if t.state != SynSent { // SYN_RCVD, or closed from it (FIN_WAIT_1)
		seg.Flags |= wire.FlagACK
		seg.Ack = t.rcv.nxt
		t.rcv.lastAck = t.rcv.nxt
	}
	t.synOptions(now, &seg.Options)
	// RFC 7323 §2.2: the window in a SYN is never scaled.
	seg.Window = uint16(min(t.rcvSpace(), 0xffff))
	t.rcv.adv = t.rcv.nxt.Add(uint32(seg.Window))
	if t.snd.max == t.snd.iss && !t.rttTiming {
		t.rttTiming, t.rttSeq, t.rttStart = true, t.snd.iss, now
	}
	t.snd.nxt = t.snd.iss.Add(1)
	if t.snd.max.LessThan(t.snd.nxt) {
		t.snd.max = t.snd.nxt
	} else {
		t.coldStats().RetransSegs++
	}
	t.armRetransmit(now)
	t.ackNow, t.ackDelayed = false, 0
	t.hot.SegsOut++
	return seg
}

// unsent is the number of buffered bytes not yet sent.
func (t *TCB) unsent() int {
	return t.sendBuf.len() - int(t.snd.nxt.Sub(t.snd.bufSeq))
}

// dataSegment sends new (or, after an RTO rewind, old) data and the FIN,
// within the send and congestion windows (RFC 9293 §3.8.6, RFC 5681 §3.1).
// With override, as when the persist timer fires, it sends what the window
// allows even if silly window avoidance or Nagle would wait.
func (t *TCB) dataSegment(now clock.Instant, buf []byte, override bool) (Segment, bool) {
	holeEnd := t.skipSACKed()
	off := int(t.snd.nxt.Sub(t.snd.bufSeq))
	if off < 0 {
		return Segment{}, false // the SYN is unacknowledged
	}
	full := t.sendMSS()
	avail := t.sendBuf.len() - off
	finNow := t.fin.queued && avail <= full && (!t.fin.sent || t.snd.nxt.LessThanEq(t.fin.seq))
	if avail <= 0 && !finNow {
		return Segment{}, false
	}
	inFlight := t.flight()
	// The peer's window bounds what may be sent beyond SND.UNA
	// (RFC 9293 §3.8.6); cwnd bounds what may be in flight (RFC 5681).
	cwndRoom := int(t.cc.cwnd()) - int(inFlight)
	if t.sendingProbe() {
		cwndRoom = max(cwndRoom, full) // RFC 8985 §7.3: the probe goes regardless
	}
	room := min(int(t.snd.wnd)-int(t.snd.nxt.Sub(t.snd.una)), cwndRoom)
	room = max(room, 0)
	n := min(avail, full, room, len(buf))
	if t.snd.nxt.LessThan(holeEnd) && holeEnd != t.snd.max {
		// Resending after a timeout: stop at the next SACKed range.
		n = min(n, int(holeEnd.Sub(t.snd.nxt)))
	}
	if !override && t.holdBack(now, n, avail, full, finNow) {
		// Silly window avoidance and Nagle govern new data (RFC 9293
		// §3.8.6.2.1, §3.7.4). Data sent before goes again as far as the
		// window allows, as Linux's tcp_retransmit_skb fits a
		// retransmission to the window: held back, a resend after a
		// timeout would wait for a window that only its ACK can open.
		resend := int(t.snd.max.Sub(t.snd.nxt))
		if resend <= 0 || n <= 0 {
			return Segment{}, false
		}
		n = min(n, resend)
	}
	seg := Segment{Seq: t.snd.nxt, Flags: wire.FlagACK}
	if n > 0 {
		t.fillPayload(&seg, off, buf[:n])
		if n == avail || t.burst > 0 && !t.canSendAfter(avail-n, room-n, full) {
			seg.Flags |= wire.FlagPSH
		}
		t.burst = min(t.burst+1, math.MaxInt32-1) // saturates: only burst > 0 matters
		if n < full {
			t.snd.small = t.snd.nxt.Add(uint32(n))
		}
	}
	if finNow && n == avail {
		seg.Flags |= wire.FlagFIN
		if !t.fin.sent {
			t.fin.sent, t.fin.seq = true, t.snd.nxt.Add(uint32(n))
		}
	} else if n <= 0 {
		return Segment{}, false
	}
	t.fillAck(now, &seg)
	t.advanceSent(now, &seg)
	return seg, true
}

// fillPayload copies the send buffer's bytes from offset off into buf and
// makes them seg's payload, with their checksum.
func (t *TCB) fillPayload(seg *Segment, off int, buf []byte) {
	n, sum := t.sendBuf.peekSummed(off, buf)
	seg.Payload, seg.PayloadSum = buf[:n], sum
}

// holdBack reports whether a segment of n of the avail unsent bytes should
// wait, full being a full-sized segment: sender-side silly window
// avoidance (RFC 9293 §3.8.6.2.1) waits for a full segment unless the
// peer's window is small altogether, and Nagle's algorithm holds a final
// small segment. When the window is what holds data back and nothing is in
// flight to bring a window update, the persist timer starts.
func (t *TCB) holdBack(now clock.Instant, n, avail, full int, finNow bool) bool {
	if avail > 0 && n < avail && n < full && (n <= 0 || n < int(t.snd.maxWnd/2)) {
		t.armPersistIfStalled(now)
		return true
	}
	return avail > 0 && n == avail && t.nagleHolds(n, full) && !finNow
}

// nagleHolds reports whether Nagle's algorithm holds back a final segment
// of n bytes, less than the full segment of full bytes (RFC 9293 §3.7.4).
// Like Linux we use Minshall's variant: a small segment waits only while an
// earlier small segment is unacknowledged, so a write that ends in a
// partial segment is not delayed behind the full segments before it.
func (t *TCB) nagleHolds(n, full int) bool {
	return t.nagle && n < full && t.snd.small.GreaterThan(t.snd.una) && t.snd.small.LessThanEq(t.snd.nxt)
}

// canSendAfter reports whether another data segment would follow at once
// with avail unsent bytes and room left in the window, full being a
// full-sized segment: whether the segment being built is the last of its
// burst.
func (t *TCB) canSendAfter(avail, room, full int) bool {
	if avail <= 0 || room < min(avail, full) {
		return false
	}
	return avail >= full || !t.nagle
}

// retransmitHead resends one segment from SND.UNA without moving SND.NXT
// (fast retransmit, RFC 5681 §3.2 step 4).
func (t *TCB) retransmitHead(now clock.Instant, buf []byte) (Segment, bool) {
	if t.rackOn() {
		// RACK marked the losses; the first of them goes.
		if start, end, ok := t.rackNextRetransmit(true); ok {
			return t.retransmitRange(now, buf, start, end)
		}
	}
	end := t.snd.nxt
	if t.sackOK {
		_, end, _ = t.sb.nextHole(t.snd.una, t.snd.max)
	}
	return t.retransmitRange(now, buf, t.snd.una, end)
}

// advanceSent moves SND.NXT past a segment we send and starts the timers
// that guard it.
func (t *TCB) advanceSent(now clock.Instant, seg *Segment) {
	end := seg.End()
	if end.LessThanEq(t.snd.max) {
		t.coldStats().RetransSegs++
		t.noteRetransmitted(now, seg.Seq, end)
	} else {
		if len(seg.Payload) > 0 {
			t.noteDataSent(now)
		}
		if !t.rttTiming && !t.tsOK && t.retransmit == 0 {
			t.rttTiming, t.rttSeq, t.rttStart = true, seg.Seq, now
		}
		t.noteSegmentSent(now, seg)
		t.prrSent(uint32(end.Sub(MaxSeq(seg.Seq, t.snd.max))))
		t.snd.max = end
	}
	if t.tm.firstUnacked == clock.Never {
		t.tm.firstUnacked = now
	}
	t.snd.nxt = end
	t.armRetransmit(now)
	if !t.sendingProbe() {
		t.scheduleLossProbe(now)
	}
	t.hot.SegsOut++
}

// pureAck builds an ACK carrying no data. Its sequence number is SND.MAX,
// not SND.NXT: after a retransmission timeout SND.NXT goes back to
// SND.UNA, and a peer that already holds the data there would find an ACK
// numbered SND.NXT below its window and drop it, ACK field included (BSD
// numbers pure ACKs with snd_max for this reason; Linux never rewinds
// snd_nxt).
func (t *TCB) pureAck(now clock.Instant) Segment {
	seg := Segment{Seq: t.snd.max, Flags: wire.FlagACK}
	t.fillAck(now, &seg)
	t.hot.SegsOut++
	return seg
}

// fillAck sets the acknowledgment, window and per-segment options of an
// outgoing synchronized segment, and clears pending ACK work.
func (t *TCB) fillAck(now clock.Instant, seg *Segment) {
	t.fillAckFields(now, seg)
	t.noteAckSent()
	t.rcv.lastAck = t.rcv.nxt
	t.ackNow, t.ackDelayed = false, 0
	t.tm.delayedAck = clock.Never
}

// fillAckFields sets the acknowledgment, window and per-segment options
// (timestamps, SACK blocks) of an outgoing synchronized segment.
func (t *TCB) fillAckFields(now clock.Instant, seg *Segment) {
	seg.Ack = t.rcv.nxt
	seg.Flags |= wire.FlagACK
	seg.Window = t.windowToAdvertise()
	if t.tsOK {
		seg.Options.TSVal, seg.Options.TSEcr, seg.Options.HasTS = t.tsNow(now), t.tsRecent, true
	}
	if n := t.sackBlocksToSend(); n > 0 {
		k := t.takeDSACK(&seg.Options.SACK[0])
		seg.Options.NumSACK = k + t.recvBuf.sackBlocks(t.rcv.nxt, seg.Options.SACK[k:n])
	}
}

// sackBlocksToSend is how many SACK blocks our next segment carries: one
// per out-of-order range, as many as fit (RFC 2018 §3: three beside the
// timestamps option, four without).
func (t *TCB) sackBlocksToSend() int {
	dsack := t.dsackPending()
	if !t.sackOK || !t.recvBuf.hasOutOfOrder() && !dsack {
		return 0
	}
	limit := wire.MaxSACKBlocks
	if t.tsOK {
		limit = 3
	}
	n := t.recvBuf.nranges
	if dsack {
		n++ // RFC 2883 §4: the D-SACK block goes first
	}
	return min(n, limit)
}

// sendMSS is the most data our next segment may carry: the MSS less the
// bytes of the SACK option it will carry. RFC 9293 §3.7.1: the MSS counts
// data only, so the options of a segment reduce the data it may hold, as
// Linux's tcp_current_mss does. t.mss already excludes the timestamps,
// which every segment of the connection carries.
func (t *TCB) sendMSS() int {
	n := t.sackBlocksToSend()
	if n == 0 {
		return int(t.mss)
	}
	return max(int(t.mss)-sackOptionLen(n), 1)
}

// sackOptionLen is the size of a SACK option of n blocks with the two
// NOPs that align it (RFC 2018 §3).
func sackOptionLen(n int) int { return 4 + 8*n }

// windowToAdvertise computes the window field (RFC 9293 §3.8.6.2.2,
// receiver-side silly window avoidance): the right edge moves forward only
// by at least min(buffer/2, MSS), and never moves back.
func (t *TCB) windowToAdvertise() uint16 {
	free := uint32(max(t.rcvSpace(), 0))
	right := t.rcv.nxt.Add(free)
	step := min(uint32(t.recvBuf.limit/2), t.mss)
	if right.Sub(t.rcv.adv) < int32(step) && free < uint32(t.recvBuf.limit) {
		right = t.rcv.adv
	}
	if right.LessThan(t.rcv.nxt) {
		right = t.rcv.nxt
	}
	wnd := uint32(right.Sub(t.rcv.nxt)) >> t.rcv.wscale
	wnd = min(wnd, 0xffff)
	t.rcv.adv = MaxSeq(t.rcv.adv, t.rcv.nxt.Add(wnd<<t.rcv.wscale))
	return uint16(wnd)
}
