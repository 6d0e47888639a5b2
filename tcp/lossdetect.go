package tcp

import "github.com/synack-net/synack/clock"

// lossDetection is the state for loss detection beside the RFC 6675
// scoreboard: the tail loss probe (tlp.go), RACK and its retransmission
// queue (rack.go), PRR (prr.go), D-SACK undo and the D-SACK block to send
// (dsack.go). A TCB allocates it as it first sends data with SACK in use,
// or receives a duplicate to report, so a connection that does neither
// pays only the pointer.
type lossDetection struct {
	tlp tlpState
	// charged is the bytes of lossMemory charged to the host's memory.
	charged uint32
	rack    rackState
	prr     prrState
	undo    undoState
	// dsack is the D-SACK block our next ACK reports (dsack.go), the
	// receiver's side of the same machinery.
	dsack dsackToSend
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
	t.lossState().tlp.lastSeg = seg.Seq
	if !t.rackOn() {
		return
	}
	if t.ld.rack.minRTT.get() == 0 && t.rtt.sampled {
		// The handshake's RTT counts, as Linux's tcp_update_rtt_min
		// takes every sample.
		t.ld.rack.minRTT.reset(rttSample{at: now, rtt: max(t.rtt.srtt(), 1)})
	}
	start := seg.Seq
	if start.LessThan(t.snd.max) {
		t.ld.rack.resent(now, start, t.snd.max)
		start = t.snd.max
	}
	t.ld.rack.appendSent(now, start, seg.End())
	t.syncLossMemory()
}

// lossState returns the lossDetection, allocating it.
func (t *TCB) lossState() *lossDetection {
	if t.ld == nil {
		t.ld = &lossDetection{probeAt: clock.Never}
		t.ld.rack.reoAt = clock.Never
	}
	return t.ld
}

// lossDetectionDeadline is the earliest of loss detection's timers, or
// clock.Never.
func (t *TCB) lossDetectionDeadline() clock.Instant {
	return clock.Min(t.probeDeadline(), t.reorderDeadline())
}
