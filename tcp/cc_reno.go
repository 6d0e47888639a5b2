package tcp

import (
	"time"

	"github.com/synack-net/synack/clock"
)

// renoCC is NewReno congestion control: slow start and congestion avoidance
// of RFC 5681 §3.1 with byte counting (RFC 3465), and the fast recovery of
// RFC 6582 driven by the TCB.
type renoCC struct {
	ccBase
	bytesAcked uint32 // RFC 3465 §2.1: bytes acknowledged in congestion avoidance since cwnd last grew
}

// newReno returns NewReno congestion control for an MSS, with the initial
// window of RFC 6928.
func newReno(mss uint32) *renoCC {
	return &renoCC{ccBase: ccNewBase(mss)}
}

// name returns "reno".
func (r *renoCC) name() string { return "reno" }

// onAck grows cwnd for acked bytes of new data: by up to 2*MSS per ACK in
// slow start, and by one MSS per cwnd of acknowledged bytes in congestion
// avoidance (RFC 5681 §3.1 equation 3's byte-counting form, RFC 3465 §2.1).
func (r *renoCC) onAck(now clock.Instant, acked uint32, flight uint32, srtt time.Duration) {
	if !r.cwndLimited(acked, flight) {
		return
	}
	if r.inSlowStart() {
		acked = r.slowStart(acked)
	}
	if acked == 0 {
		return
	}
	r.bytesAcked += acked
	if r.bytesAcked >= r.cwndV {
		r.bytesAcked -= r.cwndV
		r.cwndV = min(r.cwndV+r.mss, ccMaxWindow)
	}
}

// onEnterRecovery halves the window: ssthresh = max(flight/2, 2*MSS)
// (RFC 5681 §3.2 step 2, equation 4) and cwnd = ssthresh + 3*MSS.
func (r *renoCC) onEnterRecovery(now clock.Instant, flight uint32) {
	r.enterRecovery(flight / 2)
	r.bytesAcked = 0
}

// onExitRecovery deflates cwnd to min(ssthresh, max(flight, MSS) + MSS)
// (RFC 6582 §3.2 step 6).
func (r *renoCC) onExitRecovery(now clock.Instant, flight uint32) {
	r.exitRecovery(flight)
	r.bytesAcked = 0
}

// onRTO sets ssthresh = max(flight/2, 2*MSS) and cwnd to one MSS
// (RFC 5681 §3.1 equation 4).
func (r *renoCC) onRTO(now clock.Instant, flight uint32) {
	r.timeout(flight / 2)
	r.bytesAcked = 0
}
