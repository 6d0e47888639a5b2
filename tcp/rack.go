package tcp

import (
	"time"

	"github.com/synack-net/synack/clock"
)

// RACK (RFC 8985 §6): a segment is lost when a segment sent after it has
// been delivered and more than a round trip plus a reordering window has
// passed since it was sent. Time, not a count of duplicate ACKs, decides,
// so a lost retransmission is found like any other loss, and reordering
// shallower than the window costs nothing. As in Linux (tcp_recovery.c)
// RACK replaces RFC 6675's DupThresh rule for a connection using SACK;
// RFC 6675's pipe and NextSeg still govern what recovery sends, with
// pipe counted per segment as Linux's tcp_packets_in_flight.

// Flags of a sentSeg.
const (
	segSACKed  = 1 << iota // selectively acknowledged
	segLost                // deemed lost (RFC 8985 §6.2 step 5)
	segRetrans             // a retransmission of it is in flight
	segEverRxt             // retransmitted at least once (RACK's ambiguity rule)
)

// rackRecoveryThresh is how many recoveries the reordering window stays
// widened after a D-SACK (RFC 8985 §6.2 step 4: RACK.reo_wnd_persist = 16).
const rackRecoveryThresh = 16

// rackMaxReoMult bounds RACK.reo_wnd_mult (Linux keeps it in a byte).
const rackMaxReoMult = 255

// rackKeptSegs is the capacity of retransmission queue a connection keeps
// once everything is acknowledged: enough for request and response
// traffic not to reallocate it.
const rackKeptSegs = 64

// sentSeg is one segment of the retransmission queue: its sequence range,
// when it was last sent, and its flags.
type sentSeg struct {
	start, end Seq
	xmit       clock.Instant
	flags      uint8
}

// rackState is RACK's per-connection state (RFC 8985 §6.1) and the
// retransmission queue it reads.
type rackState struct {
	// segs[head:] are the segments above SND.UNA, in sequence order.
	segs []sentSeg
	head int
	// xmit, endSeq and rtt describe the most recently sent segment that
	// has been delivered (RACK.xmit_ts, RACK.end_seq, RACK.rtt); valid
	// once delivered is set.
	xmit      clock.Instant
	endSeq    Seq
	rtt       time.Duration
	delivered bool
	// fack is the highest end of a delivered segment (RACK.fack).
	fack Seq
	// minRTT is the least RTT of the last minRTTWindow (Linux's
	// tcp_min_rtt), seeded with SRTT as data is first sent.
	minRTT windowedMinRTT
	// reordSeen is RACK.reordering_seen; reoMult and reoPersist are
	// RACK.reo_wnd_mult and RACK.reo_wnd_persist; dsackRound is the
	// SND.MAX at the last D-SACK that widened the window, so that one
	// round trip widens it once (RACK.dsack_round).
	reordSeen  bool
	reoMult    uint8
	reoPersist uint8
	dsackRound Seq
	dsackSeen  bool
	// reoAt is when the reordering timer expires (RFC 8985 §6.3), or
	// clock.Never.
	reoAt clock.Instant
}

// rackOn reports whether RACK detects losses on this connection.
func (t *TCB) rackOn() bool { return t.ld != nil && t.sackOK && !t.cfg.NoRACK }

// queue returns the segments above SND.UNA.
func (r *rackState) queue() []sentSeg { return r.segs[r.head:] }

// appendSent records new data [start, end) sent at now.
func (r *rackState) appendSent(now clock.Instant, start, end Seq) {
	if r.head > 0 && r.head == len(r.segs) {
		r.segs, r.head = r.segs[:0], 0
	}
	r.segs = append(r.segs, sentSeg{start: start, end: end, xmit: now})
}

// trim drops the segments that una acknowledges; a segment acknowledged
// in part keeps its unacknowledged rest.
func (r *rackState) trim(una Seq) {
	q := r.queue()
	k := 0
	for k < len(q) && q[k].end.LessThanEq(una) {
		k++
	}
	r.head += k
	if r.head < len(r.segs) && r.segs[r.head].start.LessThan(una) {
		r.segs[r.head].start = una
	}
	switch {
	case r.head == len(r.segs) && cap(r.segs) > rackKeptSegs:
		// Everything is acknowledged: a bulk transfer's queue is not
		// kept for an idle connection.
		r.segs, r.head = nil, 0
	case r.head == len(r.segs):
		r.segs, r.head = r.segs[:0], 0
	case r.head >= 64 && r.head*2 >= len(r.segs):
		n := copy(r.segs, r.segs[r.head:])
		r.segs, r.head = r.segs[:n], 0
	}
}

// split makes seq a segment boundary, if it falls inside a segment.
func (r *rackState) split(seq Seq) {
	q := r.queue()
	for i := range q {
		if q[i].end.LessThanEq(seq) {
			continue
		}
		if q[i].start.LessThan(seq) {
			s := q[i]
			r.segs = append(r.segs, sentSeg{})
			j := r.head + i
			copy(r.segs[j+1:], r.segs[j:])
			r.segs[j].end = seq
			r.segs[j+1] = s
			r.segs[j+1].start = seq
		}
		return
	}
}

// resent records that [start, end), data sent before, went again at now:
// a retransmission of its segments is in flight (a lost segment stays
// marked lost, as in Linux, so that pipe counts it once).
func (r *rackState) resent(now clock.Instant, start, end Seq) {
	r.split(start)
	r.split(end)
	q := r.queue()
	for i := range q {
		if !q[i].start.LessThan(end) {
			break
		}
		if q[i].end.LessThanEq(start) {
			continue
		}
		q[i].xmit = now
		q[i].flags |= segRetrans | segEverRxt
	}
}

// noteRetransmitted tells RACK of a retransmission of [start, end).
func (t *TCB) noteRetransmitted(now clock.Instant, start, end Seq) {
	if t.ld != nil {
		t.ld.rack.resent(now, start, end)
		t.syncLossMemory()
	}
}

// rackOnAck runs RACK for an ACK whose SACK blocks the scoreboard has
// taken (RFC 8985 §6.2): it updates RACK from the segments the ACK
// delivered, cumulatively or selectively, adapts the reordering window to
// a D-SACK, and marks losses, reporting whether it marked any.
func (t *TCB) rackOnAck(now clock.Instant, seg *Segment, dsack bool) bool {
	if !t.rackOn() {
		return false
	}
	r := &t.ld.rack
	if dsack {
		t.rackDSACK()
	}
	ack := MinSeq(seg.Ack, t.snd.max)
	q := r.queue()
	delivered := false
	cum := 0
	for cum < len(q) && q[cum].end.LessThanEq(ack) {
		cum++
	}
	// Linux takes the SACK blocks first, then the cumulative ACK, and
	// RACK.rtt is the last delivered segment's.
	if !t.sb.empty() {
		// Only SACK blocks deliver segments above the cumulative ACK
		// (and with the scoreboard empty none is marked SACKed).
		for i := cum; i < len(q); i++ {
			s := &q[i]
			switch covered := t.sb.covers(s.start, s.end); {
			case covered && s.flags&segSACKed == 0:
				s.flags = s.flags&^(segLost|segRetrans) | segSACKed
				delivered = true
				t.rackDelivered(now, seg, s)
			case !covered && s.flags&segSACKed != 0:
				s.flags &^= segSACKed // reneged, or forgotten (scoreboardMaxRanges)
			}
		}
	}
	for i := range cum {
		if q[i].flags&segSACKed == 0 {
			delivered = true
			t.rackDelivered(now, seg, &q[i])
		}
	}
	r.trim(ack)
	if delivered && (!t.sb.empty() || t.inRecovery || t.snd.una.LessThan(t.recover)) {
		// Outside recovery and with nothing SACKed every segment above
		// the ACK was sent once, after those below it: none can be lost.
		return t.rackDetectLoss(now)
	}
	return false
}

// rackDelivered updates RACK from one newly delivered segment (RFC 8985
// §6.2 steps 2 and 3).
func (t *TCB) rackDelivered(now clock.Instant, ack *Segment, s *sentSeg) {
	r := &t.ld.rack
	rtt := now.Sub(s.xmit)
	if s.flags&segEverRxt != 0 {
		// Step 2: an ACK of a retransmitted segment may be for the
		// original; count it only if it cannot be.
		if t.tsOK && ack.Options.HasTS && ack.Options.TSEcr != 0 {
			if int32(ack.Options.TSEcr-t.tsNow(s.xmit)) < 0 {
				return
			}
		} else if rtt < r.minRTT.get() {
			return
		}
	}
	r.minRTT.update(now, rtt)
	// Step 3: a segment delivered below one delivered earlier, never
	// retransmitted, shows reordering.
	if s.flags&segEverRxt == 0 && r.delivered && s.end.LessThan(r.fack) {
		r.reordSeen = true
	}
	if !r.delivered || r.fack.LessThan(s.end) {
		r.fack = s.end
	}
	// RACK.rtt is the last delivered segment's round trip, as Linux's
	// tcp_rack_advance sets it; RACK.xmit_ts the latest sent of them.
	r.rtt = rtt
	if !r.delivered || s.xmit > r.xmit || s.xmit == r.xmit && r.endSeq.LessThan(s.end) {
		r.xmit, r.endSeq, r.delivered = s.xmit, s.end, true
	}
}

// rackReoWnd is the reordering window (RFC 8985 §6.2 step 4, as Linux's
// tcp_rack_reo_wnd): none while no reordering has been seen and either
// recovery runs or DupThresh segments are SACKed (so that RACK is as
// quick as RFC 6675 then), else min_RTT/4 times the D-SACK multiplier, at
// most SRTT.
func (t *TCB) rackReoWnd() time.Duration {
	r := &t.ld.rack
	if !r.reordSeen {
		if t.inRecovery || t.snd.una.LessThan(t.recover) || t.sackedSegs() >= dupThresh {
			return 0
		}
	}
	minRTT := r.minRTT.get()
	if minRTT == 0 {
		minRTT = t.rtt.srtt()
	}
	return min(minRTT/4*time.Duration(max(r.reoMult, 1)), t.rtt.srtt())
}

// sackedSegs counts the SACKed segments above SND.UNA (Linux sacked_out).
func (t *TCB) sackedSegs() int {
	n := 0
	for _, s := range t.ld.rack.queue() {
		if s.flags&segSACKed != 0 {
			n++
		}
	}
	return n
}

// rackDetectLoss marks lost every segment sent before the most recently
// delivered one whose round trip plus the reordering window has passed,
// and arms the reordering timer for the earliest that may still be lost
// (RFC 8985 §6.2 step 5). It reports whether it marked any.
func (t *TCB) rackDetectLoss(now clock.Instant) bool {
	r := &t.ld.rack
	r.reoAt = clock.Never
	if !r.delivered {
		return false
	}
	reo := t.rackReoWnd()
	var wait time.Duration
	marked := false
	q := r.queue()
	for i := range q {
		s := &q[i]
		if s.flags&segSACKed != 0 || s.flags&(segLost|segRetrans) == segLost {
			continue // delivered, or lost and not yet resent
		}
		if !(s.xmit < r.xmit || s.xmit == r.xmit && s.end.LessThan(r.endSeq)) {
			continue // sent after the most recently delivered segment
		}
		if remaining := s.xmit.Add(r.rtt + reo).Sub(now); remaining <= 0 {
			s.flags = s.flags&^segRetrans | segLost
			marked = true
		} else {
			wait = max(wait, remaining)
		}
	}
	if wait > 0 {
		r.reoAt = now.Add(wait)
	}
	return marked
}

// onReorderTimeout is RACK's reordering timer (RFC 8985 §6.3): the
// segments it waited for are lost if still undelivered, and recovery
// starts if it has not.
func (t *TCB) onReorderTimeout(now clock.Instant) {
	t.ld.rack.reoAt = clock.Never
	if t.rackDetectLoss(now) && t.lossDetected() {
		t.enterRecovery(now)
		// Linux lets PRR count the timeout as one segment delivered, so
		// that the first retransmission may go.
		t.prrOnAck(t.mss, false, true)
	}
}

// rackLost reports whether a segment is marked lost and not yet resent.
func (t *TCB) rackLost() bool {
	for _, s := range t.ld.rack.queue() {
		if s.flags&(segLost|segRetrans|segSACKed) == segLost {
			return true
		}
	}
	return false
}

// rackPipe is the data in flight during recovery, per segment as Linux's
// tcp_packets_in_flight (and RFC 6675 SetPipe) count it: a segment
// neither SACKed nor lost counts once, and once more while a
// retransmission of it is in flight.
func (t *TCB) rackPipe() uint32 {
	var p uint32
	for _, s := range t.ld.rack.queue() {
		if s.flags&segSACKed != 0 {
			continue
		}
		n := uint32(s.end.Sub(s.start))
		if s.flags&segLost == 0 {
			p += n
		}
		if s.flags&segRetrans != 0 {
			p += n
		}
	}
	return p
}

// rackNextRetransmit returns the segment NextSeg resends (RFC 6675 §4
// with RACK's marks): with lostOnly the first lost segment not yet
// resent (rule 1), else the first neither SACKed, resent nor lost below
// the highest SACKed byte (rule 3).
func (t *TCB) rackNextRetransmit(lostOnly bool) (start, end Seq, ok bool) {
	if !lostOnly && t.sb.empty() {
		return 0, 0, false
	}
	high := t.sb.highestSACKed()
	for _, s := range t.ld.rack.queue() {
		if s.flags&(segSACKed|segRetrans) != 0 {
			continue
		}
		if lostOnly && s.flags&segLost != 0 {
			return s.start, s.end, true
		}
		if !lostOnly && s.flags&segLost == 0 && s.start.LessThan(high) {
			return s.start, s.end, true
		}
	}
	return 0, 0, false
}

// rackOnTimeout forgets the marks of the retransmission queue after an
// RTO: everything is resent from SND.UNA (timers.go), and a second
// timeout forgets what was SACKed too.
func (t *TCB) rackOnTimeout(forgetSACK bool) {
	if t.ld == nil {
		return
	}
	q := t.ld.rack.queue()
	for i := range q {
		q[i].flags &^= segLost | segRetrans
		if forgetSACK {
			q[i].flags &^= segSACKed
		}
	}
	t.ld.rack.reoAt = clock.Never
}

// rackDSACK widens the reordering window for a D-SACK, at most once a
// round trip (RFC 8985 §6.2 step 4).
func (t *TCB) rackDSACK() {
	r := &t.ld.rack
	if r.dsackSeen && t.snd.una.LessThan(r.dsackRound) {
		return
	}
	r.dsackSeen, r.dsackRound = true, t.snd.max
	r.reoMult = min(max(r.reoMult, 1)+1, rackMaxReoMult)
	r.reoPersist = rackRecoveryThresh
}

// rackOnRecoveryEnd counts a recovery toward narrowing the reordering
// window again (RFC 8985 §6.2 step 4).
func (t *TCB) rackOnRecoveryEnd() {
	if t.ld == nil {
		return
	}
	r := &t.ld.rack
	if r.reoPersist > 0 {
		r.reoPersist--
	}
	if r.reoPersist == 0 {
		r.reoMult = 1
	}
}

// reorderDeadline is when the reordering timer expires, or clock.Never.
func (t *TCB) reorderDeadline() clock.Instant {
	if t.ld == nil || t.tm.retransmit == clock.Never {
		return clock.Never
	}
	return t.ld.rack.reoAt
}
