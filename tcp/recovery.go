package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// Loss recovery. Without SACK the TCB runs NewReno (RFC 6582): fast
// retransmit on the third duplicate ACK, one hole resent per partial ACK.
// With SACK it runs the conservative SACK-based recovery of RFC 6675:
// "pipe" replaces the bytes in flight, and every ACK may release several
// retransmissions and new data. Which holes are lost RACK decides by time
// (rack.go; RFC 6675's DupThresh rule with Config.NoRACK), PRR paces what
// each ACK releases (prr.go), tail loss probes draw the ACKs that start
// it (tlp.go), and D-SACKs undo it when it was needless (dsack.go).

// sackRecovery reports whether RFC 6675 recovery is in progress.
func (t *TCB) sackRecovery() bool { return t.inRecovery && t.sackOK }

// onSACKInfo records an ACK's SACK blocks and reports whether they told us
// of data not SACKed before (RFC 6675 §2, "duplicate acknowledgment" (e)).
func (t *TCB) onSACKInfo(seg *Segment) bool {
	if !t.sackOK || seg.Options.NumSACK == 0 {
		return false
	}
	una := MaxSeq(t.snd.una, MinSeq(seg.Ack, t.snd.max))
	return t.sb.update(una, t.snd.max, seg.Options.SACK[:seg.Options.NumSACK])
}

// lossDetected reports whether recovery should start (RFC 6675 §5: DupThresh
// duplicate ACKs, or IsLost(HighACK+1); RFC 5681 §3.2 without SACK), once
// per window (RFC 6582 §3.2 step 2: not before "recover" is acknowledged).
func (t *TCB) lossDetected() bool {
	if t.inRecovery || t.snd.una.LessThan(t.recover) {
		return false
	}
	if t.rackOn() {
		return t.rackLost() // RFC 8985 §6.2: RACK marks the losses
	}
	if t.dupAcks >= dupThresh {
		return true
	}
	return t.sackOK && t.sb.lostBoundary(t.snd.una, t.mss).GreaterThan(t.snd.una)
}

// enterRecovery starts fast recovery: ssthresh falls, the first hole is
// resent at once (RFC 5681 §3.2 step 4), and with SACK cwnd becomes
// ssthresh, the flight being measured by pipe (RFC 6675 §5 step 4), until
// PRR sets it from the ACKs (RFC 6937).
func (t *TCB) enterRecovery(now clock.Instant) {
	t.inRecovery = true
	t.recover = t.snd.max
	// Recovery takes over from a tail loss probe (Linux clears
	// tlp_high_seq as the window reduction starts).
	t.cancelLossProbe()
	t.undoStart()
	t.prrStart(t.cc.cwnd())
	t.cc.onEnterRecovery(now, uint32(t.snd.max.Sub(t.snd.una)))
	if t.sackOK {
		t.cc.deflateToSsthresh()
		t.sb.highRxt = t.snd.una
	}
	t.resendOne = true
	t.coldStats().FastRetrans++
	t.rttTiming = false
}

// flight is the data in the network for the congestion window: pipe
// during SACK recovery, else what was sent and is neither acknowledged nor
// SACKed (after a timeout, SND.NXT has gone back and data SACKed below it
// is not in the network).
func (t *TCB) flight() uint32 {
	if t.sackRecovery() {
		if t.rackOn() {
			return t.rackPipe()
		}
		return t.sb.pipe(t.snd.una, t.snd.max, t.mss)
	}
	return uint32(t.snd.nxt.Sub(t.snd.una)) - t.sb.sackedBelow(t.snd.nxt)
}

// sackRetransmit implements NextSeg's retransmission rules (RFC 6675 §4):
// with lostOnly, rule 1 (the first lost hole above HighRxt); otherwise
// rule 3 (the first unSACKed hole above HighRxt, lost or not), which
// applies only when there is no new data to send. Either needs cwnd - pipe
// of at least one MSS. With RACK the retransmission queue's marks take
// the place of holes and HighRxt (rackNextRetransmit).
func (t *TCB) sackRetransmit(now clock.Instant, buf []byte, lostOnly bool) (Segment, bool) {
	// RACK may find losses with nothing SACKed: a tail sent before a
	// retransmission that has been acknowledged.
	if !t.sackRecovery() || t.sb.empty() && !t.rackOn() {
		return Segment{}, false
	}
	cwnd := t.cc.cwnd()
	if pipe := t.flight(); cwnd < pipe || cwnd-pipe < t.mss {
		return Segment{}, false
	}
	if t.rackOn() {
		start, end, ok := t.rackNextRetransmit(lostOnly)
		if !ok {
			return Segment{}, false
		}
		return t.retransmitRange(now, buf, start, end)
	}
	// NextSeg (1.a) and (1.b): above HighRxt, below the highest SACKed byte.
	start, end, ok := t.sb.nextHole(MaxSeq(t.sb.highRxt, t.snd.una), t.sb.highestSACKed())
	if !ok || lostOnly && !start.LessThan(t.sb.lostBoundary(t.snd.una, t.mss)) {
		return Segment{}, false
	}
	return t.retransmitRange(now, buf, start, end)
}

// retransmitRange resends at most one MSS from seq, without going past end,
// and without moving SND.NXT.
func (t *TCB) retransmitRange(now clock.Instant, buf []byte, seq, end Seq) (Segment, bool) {
	off := int(seq.Sub(t.snd.bufSeq))
	if off < 0 || !seq.LessThan(end) {
		return Segment{}, false
	}
	n := min(t.sendBuf.len()-off, t.sendMSS(), len(buf), int(end.Sub(seq)))
	n = max(n, 0)
	seg := Segment{Seq: seq, Flags: wire.FlagACK}
	if n > 0 {
		t.fillPayload(&seg, off, buf[:n])
	}
	if t.fin.sent && seg.Seq.Add(uint32(n)) == t.fin.seq && t.fin.seq.LessThan(end) {
		seg.Flags |= wire.FlagFIN
	}
	if seg.Len() == 0 {
		return Segment{}, false
	}
	t.fillAck(now, &seg)
	if t.sackOK {
		t.sb.highRxt = MaxSeq(t.sb.highRxt, seg.End())
	}
	t.coldStats().RetransSegs++
	t.hot.SegsOut++
	t.noteRetransmitted(now, seg.Seq, seg.End())
	t.undoNoteRetransmit()
	t.prrSent(seg.Len())
	t.tm.retransmit = now.Add(t.rtt.rto())
	return seg, true
}

// skipSACKed moves SND.NXT, while it resends after a timeout, past data the
// receiver has SACKed, and returns the end of the hole it is in (or
// SND.MAX), which a resent segment must not cross.
func (t *TCB) skipSACKed() Seq {
	if !t.snd.nxt.LessThan(t.snd.max) || t.sb.empty() {
		return t.snd.max
	}
	start, end, ok := t.sb.nextHole(t.snd.nxt, t.snd.max)
	if !ok {
		start, end = t.snd.max, t.snd.max
	}
	t.snd.nxt = start
	return end
}
