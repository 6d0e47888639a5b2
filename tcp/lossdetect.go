package tcp

import "github.com/synack-net/synack/clock"

// lossDetection is the sender's state for loss detection beside the
// RFC 6675 scoreboard: the tail loss probe (tlp.go). A TCB allocates it as
// it first sends data with SACK in use, so a connection that never does
// pays only the pointer.
type lossDetection struct {
	tlp  tlpState
	rack rackState
	prr  prrState
	undo undoState
	// probeAt is when the probe timeout expires (RFC 8985 §7.2), or
	// clock.Never. It is armed only while the retransmission timer is.
	probeAt clock.Instant
}

// noteSegmentSent records a segment that carries new data as it goes out
// at now: the part of it below SND.MAX is a retransmission.
func (t *TCB) noteSegmentSent(now clock.Instant, seg *Segment) {
	if !t.sackOK {
		return
	}
	if t.ld == nil {
		t.ld = &lossDetection{probeAt: clock.Never}
		t.ld.rack.reoAt = clock.Never
		t.ld.rack.minRTT = t.rtt.srtt()
	}
	t.ld.tlp.lastSeg = seg.Seq
	if !t.rackOn() {
		return
	}
	start := seg.Seq
	if start.LessThan(t.snd.max) {
		t.ld.rack.resent(now, start, t.snd.max)
		start = t.snd.max
	}
	t.ld.rack.appendSent(now, start, seg.End())
}

// lossDetectionDeadline is the earliest of loss detection's timers, or
// clock.Never.
func (t *TCB) lossDetectionDeadline() clock.Instant {
	return clock.Min(t.probeDeadline(), t.reorderDeadline())
}
