package tcp

import (
	"math"

	"github.com/synack-net/synack/clock"
)

// The constants of RFC 9438 §4.
const (
	cubicC    = 0.4 // §4.2: C, in segments per second cubed
	cubicBeta = 0.7 // §4.6: beta_cubic, the multiplicative decrease factor
	// cubicAlpha is alpha_cubic of §4.3, 3*(1-beta)/(1+beta): the additive
	// increase that gives Reno's average window under beta_cubic.
	cubicAlpha = 3 * (1 - cubicBeta) / (1 + cubicBeta)
)

// cubicCC is CUBIC congestion control (RFC 9438): in congestion avoidance
// the window follows W_cubic(t) = C*(t-K)^3 + W_max from the start of the
// avoidance stage, never slower than the Reno-friendly estimate W_est.
// Windows are kept in bytes; C applies to MSS-sized segments.
//
// The two flags sit in the padding after the 12-byte CongestionWindow, so
// that the state takes 64 bytes, one size class below 80 (TestCubicSize).
type cubicCC struct {
	CongestionWindow
	inEpoch    bool          // an avoidance stage has started since the last reduction
	afterRTO   bool          // §4.8: the next stage is the first after a timeout
	wMax       float64       // §4.7: window before the last reduction, after fast convergence
	origin     float64       // W_max as used by the cubic function of this stage
	k          float64       // §4.2: K, seconds until the window reaches origin again
	epochStart clock.Instant // start of the current avoidance stage; valid when inEpoch
	wEst       float64       // §4.3: W_est, the Reno-friendly window estimate
	carry      float64       // growth below one byte, kept for the next ACK
}

// Name returns "cubic".
func (c *cubicCC) Name() string { return "cubic" }

// OnAck grows cwnd outside recovery: standard slow start below ssthresh
// (RFC 9438 §4.10), then the cubic or Reno-friendly increase (§4.2 to
// §4.5).
func (c *cubicCC) OnAck(a CongestionAck) {
	if a.InRecovery || !a.CwndLimited {
		return
	}
	now, acked, srtt := a.Now, a.Acked, a.SRTT
	if c.InSlowStart() {
		acked = c.SlowStart(acked)
	}
	if acked == 0 {
		return
	}
	if !c.inEpoch {
		c.startEpoch(now)
	}
	mss := float64(c.MSS)
	cwnd := float64(c.Cwnd)
	t := now.Sub(c.epochStart).Seconds()
	// §4.3: W_est grows by alpha_cubic segments per window of ACKed
	// segments; alpha_cubic becomes 1 once W_est reaches W_max.
	alpha := cubicAlpha
	if c.wEst >= c.origin {
		alpha = 1
	}
	c.wEst += alpha * float64(acked) * mss / cwnd
	if c.wCubic(t) < c.wEst {
		// §4.3: the Reno-friendly region.
		c.setCwnd(max(c.wEst, cwnd))
		return
	}
	// §4.4, §4.5: grow toward the target W_cubic(t+RTT), bounded by
	// [cwnd, 1.5*cwnd], by (target-cwnd)/cwnd per segment ACKed.
	target := min(max(c.wCubic(t+srtt.Seconds()), cwnd), 1.5*cwnd)
	grow := (target-cwnd)*float64(acked)/cwnd + c.carry
	whole := math.Floor(grow)
	c.carry = grow - whole
	c.setCwnd(cwnd + whole)
}

// wCubic returns W_cubic(t) of RFC 9438 §4.2 (equation 1) in bytes, t in
// seconds since the stage began.
func (c *cubicCC) wCubic(t float64) float64 {
	d := t - c.k
	return cubicC*d*d*d*float64(c.MSS) + c.origin
}

// startEpoch begins a congestion avoidance stage at now (RFC 9438 §4.2):
// K = cbrt((W_max - cwnd_epoch)/C), and W_est starts at cwnd_epoch (§4.3).
// After a timeout, K is 0 and W_max is cwnd_epoch (§4.8); likewise when the
// window already exceeds W_max, where equation 1 would give a negative K.
func (c *cubicCC) startEpoch(now clock.Instant) {
	cwnd := float64(c.Cwnd)
	c.inEpoch = true
	c.epochStart = now
	c.wEst = cwnd
	c.carry = 0
	if c.afterRTO || c.wMax <= cwnd {
		c.afterRTO = false
		c.origin = cwnd
		c.k = 0
		return
	}
	c.origin = c.wMax
	c.k = math.Cbrt((c.wMax - cwnd) / float64(c.MSS) / cubicC)
}

// setCwnd stores a window in bytes, capped.
func (c *cubicCC) setCwnd(w float64) {
	c.Cwnd = uint32(min(w, ccMaxWindow))
}

// reduce applies fast convergence (RFC 9438 §4.7) and returns the new
// ssthresh, beta_cubic * cwnd (§4.6), and ends the avoidance stage.
func (c *cubicCC) reduce() uint32 {
	cwnd := float64(c.Cwnd)
	if cwnd < c.wMax {
		// §4.7: a flow losing ground releases bandwidth to new flows.
		c.wMax = cwnd * (1 + cubicBeta) / 2
	} else {
		c.wMax = cwnd
	}
	c.inEpoch = false
	return uint32(math.Round(cwnd * cubicBeta))
}

// OnLoss reduces the window by beta_cubic (RFC 9438 §4.6); the TCB
// inflates it by three segments for NewReno fast recovery (RFC 6582
// §3.2). A timeout follows Reno's reduction to one segment but sets
// ssthresh with beta_cubic (RFC 9438 §4.8). A further timeout before a new
// avoidance stage began keeps ssthresh and W_max: the window it would
// reduce is the loss window regrowing, not a measure of the path (Linux
// does the same).
func (c *cubicCC) OnLoss(l CongestionLoss) uint32 {
	if !l.Timeout {
		return c.reduce()
	}
	ssthresh := c.Ssthresh
	if !c.afterRTO {
		ssthresh = c.reduce()
	}
	c.afterRTO = true
	return ssthresh
}

// OnRecoveryEnd needs nothing: the next ACK starts a new avoidance stage.
func (c *cubicCC) OnRecoveryEnd(clock.Instant) {}

// Undo restores the larger windows, as Linux's cubictcp_undo_cwnd
// (tcp_reno_undo_cwnd) does.
func (c *cubicCC) Undo(prior CongestionWindow) { c.restoreLarger(prior) }
