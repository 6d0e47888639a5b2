package tcp

import "github.com/synack-net/synack/clock"

// renoCC is NewReno congestion control: slow start and congestion
// avoidance of RFC 5681 §3.1 with byte counting (RFC 3465), and the
// reductions of RFC 5681 §3.1 and §3.2 for the fast recovery of RFC 6582
// that the TCB runs.
type renoCC struct {
	CongestionWindow
	bytesAcked uint32 // RFC 3465 §2.1: bytes acknowledged in congestion avoidance since cwnd last grew
}

// Name returns "reno".
func (r *renoCC) Name() string { return "reno" }

// OnAck grows cwnd outside recovery for acked bytes of new data: by up to
// 2*MSS per ACK in slow start, and by one MSS per cwnd of acknowledged
// bytes in congestion avoidance (RFC 5681 §3.1 equation 3's byte-counting
// form, RFC 3465 §2.1).
func (r *renoCC) OnAck(a CongestionAck) {
	if a.InRecovery || !a.CwndLimited {
		return
	}
	acked := a.Acked
	if r.InSlowStart() {
		acked = r.SlowStart(acked)
	}
	if acked == 0 {
		return
	}
	r.bytesAcked += acked
	if r.bytesAcked >= r.Cwnd {
		r.bytesAcked -= r.Cwnd
		r.Cwnd = min(r.Cwnd+r.MSS, ccMaxWindow)
	}
}

// OnLoss halves the window: ssthresh = max(flight/2, 2*MSS) (RFC 5681
// §3.1 equation 4, §3.2 step 2), for fast recovery and timeout alike.
func (r *renoCC) OnLoss(l CongestionLoss) uint32 {
	r.bytesAcked = 0
	return l.Flight / 2
}

// OnRecoveryEnd restarts the byte count of congestion avoidance.
func (r *renoCC) OnRecoveryEnd(clock.Instant) { r.bytesAcked = 0 }

// Undo restores the larger windows, as Linux's tcp_reno_undo_cwnd.
func (r *renoCC) Undo(prior CongestionWindow) { r.restoreLarger(prior) }
