package tcp

import "github.com/synack-net/synack/clock"

// lossDetection is the sender's state for loss detection beside the
// RFC 6675 scoreboard: the tail loss probe (tlp.go). A TCB allocates it as
// it first sends data with SACK in use, so a connection that never does
// pays only the pointer.
type lossDetection struct {
	tlp tlpState
	// probeAt is when the probe timeout expires (RFC 8985 §7.2), or
	// clock.Never. It is armed only while the retransmission timer is.
	probeAt clock.Instant
}

// noteSegmentSent records a segment of new data as it goes out.
func (t *TCB) noteSegmentSent(seg *Segment) {
	if !t.sackOK {
		return
	}
	if t.ld == nil {
		t.ld = &lossDetection{probeAt: clock.Never}
	}
	t.ld.tlp.lastSeg = seg.Seq
}

// lossDetectionDeadline is the earliest of loss detection's timers, or
// clock.Never.
func (t *TCB) lossDetectionDeadline() clock.Instant { return t.probeDeadline() }
