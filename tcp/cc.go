package tcp

import (
	"time"

	"github.com/synack-net/synack/clock"
)

// Congestion control is split as Linux splits it between the TCP core and
// struct tcp_congestion_ops: the TCB detects losses and runs recovery
// (RFC 5681 §3.2, RFC 6582, RFC 6675, PRR of RFC 6937, RACK-TLP of
// RFC 8985), with the window arithmetic those fix whatever the algorithm;
// the connection's CongestionControl, chosen by name (cc_registry.go),
// grows the window outside recovery, chooses ssthresh after a loss and
// decides what an undo restores.

// CongestionWindow is what a congestion controller governs: the
// connection's congestion window and slow start threshold, in bytes
// (RFC 5681 §2), and the sender's MSS they are counted in. A controller
// embeds one, which gives it the Window method of CongestionControl; the
// TCB sets MSS and the initial window, and keeps Cwnd within [MSS, 2^30]
// and Ssthresh at most 2^30 whatever a controller sets.
type CongestionWindow struct {
	Cwnd     uint32 // the congestion window
	Ssthresh uint32 // the slow start threshold
	MSS      uint32 // the sender's MSS; the TCB's to set
}

// Window returns w itself, so that a type embedding a CongestionWindow
// has CongestionControl's Window method.
func (w *CongestionWindow) Window() *CongestionWindow { return w }

// InSlowStart reports whether Cwnd is below Ssthresh (RFC 5681 §3.1).
func (w *CongestionWindow) InSlowStart() bool { return w.Cwnd < w.Ssthresh }

// SlowStart grows Cwnd by acked bytes, at most 2*MSS per ACK (RFC 3465
// §2.2, L = 2*SMSS) and not beyond Ssthresh. It returns the acked bytes
// left over for congestion avoidance once Cwnd reaches Ssthresh
// (RFC 5681 §3.1 lets either algorithm run at cwnd == ssthresh; like
// Linux's tcp_slow_start we switch).
func (w *CongestionWindow) SlowStart(acked uint32) uint32 {
	inc := min(acked, 2*w.MSS)
	room := w.Ssthresh - min(w.Cwnd, w.Ssthresh)
	if inc >= room {
		w.Cwnd = max(w.Cwnd, w.Ssthresh)
		return acked - room
	}
	w.Cwnd += inc
	return 0
}

// CongestionAck describes an ACK of new data to a controller.
type CongestionAck struct {
	Now clock.Instant
	// Acked is the bytes of new data the ACK acknowledged, Flight the
	// bytes still outstanding after it.
	Acked, Flight uint32
	// RTT is the round-trip sample the ACK gave (RFC 6298 §3, RFC 7323
	// §4), zero if none; SRTT is the smoothed RTT after it.
	RTT, SRTT time.Duration
	// InRecovery is set while fast recovery runs, through the ACK that
	// ends it: the TCB sets Cwnd then (RFC 6582, RFC 6937), and a
	// controller only takes note.
	InRecovery bool
	// CwndLimited reports that the sender was using its window: the bytes
	// outstanding when the ACK was sent were at least half of Cwnd. An
	// application-limited sender does not grow the window (RFC 7661 §4.3).
	CwndLimited bool
}

// CongestionLoss describes a loss to a controller.
type CongestionLoss struct {
	Now clock.Instant
	// Flight is the bytes outstanding when the loss was found.
	Flight uint32
	// Timeout is set for a retransmission timeout (RFC 5681 §3.1); else
	// fast recovery starts (RFC 5681 §3.2, RFC 6675 §5), or a tail loss
	// probe repaired a loss (RFC 8985 §7.4.2).
	Timeout bool
}

// CongestionControl is a congestion control algorithm for one connection
// (Linux's struct tcp_congestion_ops). Register one with
// RegisterCongestionControl; Config.CongestionControl names the host's
// default and TCB.SetCongestionControl changes a connection's. Its
// methods are called from the TCB's, which the host serialises, and must
// not block; they are sans-IO like the TCB, time coming in as Now.
type CongestionControl interface {
	// Name returns the name the algorithm is registered under.
	Name() string
	// Window returns the state the algorithm governs; embedding a
	// CongestionWindow provides it.
	Window() *CongestionWindow
	// OnAck reports an ACK of new data (Linux's cong_avoid and
	// pkts_acked): outside recovery the controller grows Cwnd (slow
	// start, congestion avoidance).
	OnAck(a CongestionAck)
	// OnLoss reports a loss and returns the new ssthresh (Linux's
	// ssthresh). The TCB then sets Ssthresh to at least 2*MSS and Cwnd
	// from it: Ssthresh+3*MSS for NewReno (RFC 6582 §3.2 step 2),
	// Ssthresh with SACK (RFC 6675 §5, then PRR), one MSS after a timeout
	// (RFC 5681 §3.1).
	OnLoss(l CongestionLoss) uint32
	// OnRecoveryEnd reports the full ACK that ended fast recovery, after
	// the TCB has deflated Cwnd (RFC 6582 §3.2 step 6; with SACK to
	// Ssthresh, as Linux's tcp_end_cwnd_reduction).
	OnRecoveryEnd(now clock.Instant)
	// Undo reports that the last reduction was spurious (RFC 2883 D-SACK,
	// as Linux's tcp_try_undo_dsack); prior is the window before it. The
	// built-in algorithms restore the larger of prior and the current
	// window, as Linux's tcp_undo_cwnd_reduction.
	Undo(prior CongestionWindow)
}

// ccMaxWindow caps cwnd and ssthresh, so that window arithmetic in uint32
// cannot overflow. It is also the "arbitrarily high" initial ssthresh of
// RFC 5681 §3.1.
const ccMaxWindow = 1 << 30

// ccInitialWindow returns the initial window for an MSS (RFC 6928 §2):
// min(10*MSS, max(2*MSS, 14600)).
func ccInitialWindow(mss uint32) uint32 {
	return min(10*mss, max(2*mss, 14600))
}

// congestion is the TCB's congestion controller together with the window
// arithmetic that recovery fixes whatever the algorithm (RFC 5681,
// RFC 6582, RFC 6675), which it applies around the controller's calls.
type congestion struct{ ctl CongestionControl }

// win returns the controller's window.
func (c congestion) win() *CongestionWindow { return c.ctl.Window() }

// cwnd returns the congestion window in bytes.
func (c congestion) cwnd() uint32 { return c.win().Cwnd }

// ssthresh returns the slow start threshold in bytes.
func (c congestion) ssthresh() uint32 { return c.win().Ssthresh }

// name returns the algorithm's name.
func (c congestion) name() string { return c.ctl.Name() }

// clamp keeps what a controller set within the TCB's bounds.
func (c congestion) clamp() {
	w := c.win()
	w.Cwnd = min(max(w.Cwnd, w.MSS), ccMaxWindow)
	w.Ssthresh = min(w.Ssthresh, ccMaxWindow)
}

// setMSS sets the sender's MSS once it is known (before data flows) and
// resets cwnd to the initial window of RFC 6928.
func (c congestion) setMSS(mss uint32) {
	w := c.win()
	w.MSS = max(mss, 1)
	w.Cwnd = ccInitialWindow(w.MSS)
}

// changeMSS lowers the MSS of a running connection (path MTU discovery)
// and keeps cwnd and ssthresh.
func (c congestion) changeMSS(mss uint32) { c.win().MSS = max(mss, 1) }

// onAck reports acked bytes of new data with flight bytes still
// outstanding, rtt the ACK's sample (0 if none) and srtt the smoothed RTT.
func (c congestion) onAck(now clock.Instant, acked, flight uint32, rtt, srtt time.Duration, inRecovery bool) {
	cwnd := c.cwnd()
	c.ctl.OnAck(CongestionAck{
		Now: now, Acked: acked, Flight: flight, RTT: rtt, SRTT: srtt, InRecovery: inRecovery,
		CwndLimited: (uint64(flight)+uint64(acked))*2 >= uint64(cwnd),
	})
	c.clamp()
}

// onEnterRecovery reports a loss detected with flight bytes outstanding:
// ssthresh is the controller's, and cwnd = ssthresh + 3*MSS (RFC 6582
// §3.2 step 2; RFC 5681 §3.2 step 3), which SACK recovery deflates.
func (c congestion) onEnterRecovery(now clock.Instant, flight uint32) {
	ss := c.ctl.OnLoss(CongestionLoss{Now: now, Flight: flight})
	w := c.win()
	w.Ssthresh = min(max(ss, 2*w.MSS), ccMaxWindow)
	w.Cwnd = min(w.Ssthresh+3*w.MSS, ccMaxWindow)
}

// onRTO reports a retransmission timeout with flight bytes outstanding:
// ssthresh is the controller's, at least 2*MSS, and cwnd collapses to the
// loss window of one MSS (RFC 5681 §3.1, the paragraph after equation 4).
func (c congestion) onRTO(now clock.Instant, flight uint32) {
	ss := c.ctl.OnLoss(CongestionLoss{Now: now, Flight: flight, Timeout: true})
	w := c.win()
	w.Ssthresh = min(max(ss, 2*w.MSS), ccMaxWindow)
	w.Cwnd = w.MSS
}

// deflateToSsthresh sets cwnd to ssthresh, as SACK-based recovery does on
// entry (RFC 6675 §5 step 4.2), where pipe accounts for the segments that
// left the network instead of inflation.
func (c congestion) deflateToSsthresh() {
	w := c.win()
	w.Cwnd = max(w.Ssthresh, w.MSS)
}

// setWindow sets cwnd, as PRR does during SACK-based recovery (RFC 6937);
// at least one MSS.
func (c congestion) setWindow(cwnd uint32) {
	w := c.win()
	w.Cwnd = min(max(cwnd, w.MSS), ccMaxWindow)
}

// onDupAckInRecovery inflates cwnd by one MSS for a segment that left the
// network (RFC 6582 §3.2 step 3; RFC 5681 §3.2 step 4).
func (c congestion) onDupAckInRecovery() {
	w := c.win()
	w.Cwnd = min(w.Cwnd+w.MSS, ccMaxWindow)
}

// onPartialAck deflates cwnd by the newly acknowledged bytes and adds back
// one MSS if at least one MSS was acknowledged (RFC 6582 §3.2 step 5);
// cwnd stays at least one MSS.
func (c congestion) onPartialAck(acked uint32) {
	w := c.win()
	n := w.Cwnd - min(acked, w.Cwnd)
	if acked >= w.MSS {
		n += w.MSS
	}
	w.Cwnd = max(n, w.MSS)
}

// onExitRecovery reports the full ACK that ends recovery, with flight the
// bytes outstanding after it: cwnd = min(ssthresh, max(flight, MSS) +
// MSS) (RFC 6582 §3.2 step 6, option 1, which avoids a burst when little
// is outstanding), or ssthresh when sack (PRR has brought the flight
// there; Linux's tcp_end_cwnd_reduction). The controller hears of it
// after.
func (c congestion) onExitRecovery(now clock.Instant, flight uint32, sack bool) {
	w := c.win()
	w.Cwnd = min(w.Ssthresh, max(flight, w.MSS)+w.MSS)
	if sack {
		w.Cwnd = w.Ssthresh
	}
	w.Cwnd = max(w.Cwnd, w.MSS)
	c.ctl.OnRecoveryEnd(now)
	c.clamp()
}

// undo takes back a reduction found spurious (RFC 3708, D-SACK): the
// controller decides from the windows before it.
func (c congestion) undo(cwnd, ssthresh uint32) {
	w := c.win()
	c.ctl.Undo(CongestionWindow{Cwnd: cwnd, Ssthresh: ssthresh, MSS: w.MSS})
	c.clamp()
}

// restoreLarger sets each of Cwnd and Ssthresh to the larger of its value
// and prior's, as Linux's tcp_undo_cwnd_reduction does with the built-in
// algorithms' undo_cwnd.
func (w *CongestionWindow) restoreLarger(prior CongestionWindow) {
	w.Cwnd = max(w.Cwnd, min(prior.Cwnd, ccMaxWindow))
	w.Ssthresh = max(w.Ssthresh, min(prior.Ssthresh, ccMaxWindow))
}
