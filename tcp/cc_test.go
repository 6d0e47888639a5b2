package tcp

import (
	"math"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// testCC drives a connection's congestion state as the TCB does, with
// shorter calls: an ACK outside recovery without an RTT sample, and the
// end of a recovery without SACK.
type testCC struct{ congestion }

func (c testCC) onAck(now clock.Instant, acked, flight uint32, srtt time.Duration) {
	c.congestion.onAck(now, acked, flight, 0, srtt, false)
}

func (c testCC) onExitRecovery(now clock.Instant, flight uint32) {
	c.congestion.onExitRecovery(now, flight, false)
}

// cubic returns the CUBIC controller's state.
func (c testCC) cubic() *cubicCC { return c.ctl.(*cubicCC) }

func newReno(mss uint32) testCC  { return testCC{newCongestion("reno", mss)} }
func newCubic(mss uint32) testCC { return testCC{newCongestion("cubic", mss)} }

// ccAlgorithms returns one fresh instance of each algorithm for an MSS.
func ccAlgorithms(mss uint32) []testCC {
	return []testCC{newReno(mss), newCubic(mss)}
}

// ccRound acknowledges one window of data as a cwnd-limited sender sees it:
// cwnd/per ACKs of per bytes each, spread evenly over rtt from start. It
// returns the time after the round.
func ccRound(cc testCC, start clock.Instant, rtt time.Duration, per uint32) clock.Instant {
	n := max(cc.cwnd()/per, 1)
	for i := range n {
		now := start.Add(rtt * time.Duration(i) / time.Duration(n))
		cc.onAck(now, per, cc.cwnd()-per, rtt)
	}
	return start.Add(rtt)
}

// TestCCInitialWindow checks the RFC 6928 initial window and the unbounded initial ssthresh.
func TestCCInitialWindow(t *testing.T) {
	for _, c := range []struct{ mss, want uint32 }{
		{536, 5360},   // 10*MSS
		{1460, 14600}, // 10*MSS = 14600
		{1500, 14600}, // the 14600 cap
		{9000, 18000}, // 2*MSS floor
	} {
		for _, cc := range ccAlgorithms(c.mss) {
			if cc.cwnd() != c.want {
				t.Errorf("%s mss %d: IW %d, want %d", cc.name(), c.mss, cc.cwnd(), c.want)
			}
			if cc.ssthresh() < ccMaxWindow {
				t.Errorf("%s: initial ssthresh %d is not unbounded", cc.name(), cc.ssthresh())
			}
		}
	}
	cc := newReno(536)
	cc.setMSS(1460)
	if cc.cwnd() != 14600 {
		t.Fatalf("setMSS: IW %d, want 14600", cc.cwnd())
	}
	if newReno(1).name() != "reno" || newCubic(1).name() != "cubic" {
		t.Fatal("names")
	}
}

// TestCCSlowStartDoubles checks that slow start doubles cwnd per RTT, with RFC 3465 L = 2*MSS.
func TestCCSlowStartDoubles(t *testing.T) {
	for _, cc := range ccAlgorithms(1000) {
		var now clock.Instant
		for _, want := range []uint32{20000, 40000, 80000} {
			now = ccRound(cc, now, 100*time.Millisecond, 1000)
			if cc.cwnd() != want {
				t.Fatalf("%s: cwnd %d after a round, want %d", cc.name(), cc.cwnd(), want)
			}
		}
		// Delayed ACKs (2 MSS each) still double it: L = 2*MSS.
		now = ccRound(cc, now, 100*time.Millisecond, 2000)
		if cc.cwnd() != 160000 {
			t.Fatalf("%s: cwnd %d after a round of 2-MSS ACKs, want 160000", cc.name(), cc.cwnd())
		}
		// RFC 3465 §2.2: an ACK for 5 MSS grows cwnd by at most 2 MSS.
		cc.onAck(now, 5000, cc.cwnd(), 100*time.Millisecond)
		if cc.cwnd() != 162000 {
			t.Fatalf("%s: cwnd %d after a stretch ACK, want 162000", cc.name(), cc.cwnd())
		}
	}
}

// TestCCApplicationLimited checks that cwnd does not grow when the sender leaves it unused.
func TestCCApplicationLimited(t *testing.T) {
	for _, cc := range ccAlgorithms(1000) {
		// 2 KB outstanding of a 10 KB window: not using the window (RFC 7661).
		cc.onAck(0, 1000, 1000, time.Millisecond)
		if cc.cwnd() != 10000 {
			t.Fatalf("%s: cwnd grew to %d while application-limited", cc.name(), cc.cwnd())
		}
		cc.onAck(0, 1000, 4000, time.Millisecond) // 5 KB: half the window
		if cc.cwnd() != 11000 {
			t.Fatalf("%s: cwnd %d, want 11000", cc.name(), cc.cwnd())
		}
	}
}

// TestRenoCongestionAvoidance checks growth of one MSS per RTT above ssthresh.
func TestRenoCongestionAvoidance(t *testing.T) {
	cc := newReno(1000)
	cc.onRTO(0, 20000) // ssthresh 10000, cwnd 1000
	var now clock.Instant
	// Slow start up to ssthresh: 1 -> 2 -> 4 -> 8 -> 10 MSS.
	for range 4 {
		now = ccRound(cc, now, 100*time.Millisecond, 1000)
	}
	if cc.cwnd() != 10000 {
		t.Fatalf("cwnd %d, want 10000 = ssthresh", cc.cwnd())
	}
	// RFC 5681 §3.1: one MSS per RTT in congestion avoidance.
	for _, want := range []uint32{11000, 12000, 13000} {
		now = ccRound(cc, now, 100*time.Millisecond, 1000)
		if cc.cwnd() != want {
			t.Fatalf("cwnd %d after a round, want %d", cc.cwnd(), want)
		}
	}
	// Slow start spills over into congestion avoidance at ssthresh.
	s := newReno(1000)
	s.onRTO(0, 4000) // ssthresh 2000, cwnd 1000
	s.onAck(0, 1000, 0, time.Millisecond)
	if s.cwnd() != 2000 {
		t.Fatalf("cwnd %d, want 2000 (ssthresh)", s.cwnd())
	}
}

// TestRenoRecovery checks the NewReno fast recovery arithmetic of RFC 6582 §3.2.
func TestRenoRecovery(t *testing.T) {
	cc := newReno(1000)
	cc.onEnterRecovery(0, 20000)
	// RFC 5681 §3.2 / RFC 6582 §3.2 step 2.
	if cc.ssthresh() != 10000 || cc.cwnd() != 13000 {
		t.Fatalf("enter: ssthresh %d cwnd %d, want 10000 13000", cc.ssthresh(), cc.cwnd())
	}
	cc.onDupAckInRecovery() // step 3
	if cc.cwnd() != 14000 {
		t.Fatalf("dup ACK: cwnd %d, want 14000", cc.cwnd())
	}
	cc.onPartialAck(3000) // step 5: -3000 + 1000
	if cc.cwnd() != 12000 {
		t.Fatalf("partial ACK of 3000: cwnd %d, want 12000", cc.cwnd())
	}
	cc.onPartialAck(500) // less than one MSS: no add-back
	if cc.cwnd() != 11500 {
		t.Fatalf("partial ACK of 500: cwnd %d, want 11500", cc.cwnd())
	}
	cc.onPartialAck(50000) // never below one MSS
	if cc.cwnd() != 1000 {
		t.Fatalf("huge partial ACK: cwnd %d, want 1000", cc.cwnd())
	}
	// Step 6: min(ssthresh, max(flight, MSS) + MSS).
	for _, c := range []struct{ flight, want uint32 }{{20000, 10000}, {5000, 6000}, {0, 2000}} {
		cc.onExitRecovery(0, c.flight)
		if cc.cwnd() != c.want {
			t.Fatalf("exit with flight %d: cwnd %d, want %d", c.flight, cc.cwnd(), c.want)
		}
	}
	// ssthresh is at least 2 MSS.
	small := newReno(1000)
	small.onEnterRecovery(0, 3000)
	if small.ssthresh() != 2000 || small.cwnd() != 5000 {
		t.Fatalf("small flight: ssthresh %d cwnd %d, want 2000 5000", small.ssthresh(), small.cwnd())
	}
}

// TestRenoRTO checks the timeout reduction of RFC 5681 §3.1.
func TestRenoRTO(t *testing.T) {
	cc := newReno(1000)
	cc.onRTO(0, 30000) // RFC 5681 §3.1 eq. 4
	if cc.ssthresh() != 15000 || cc.cwnd() != 1000 {
		t.Fatalf("ssthresh %d cwnd %d, want 15000 1000", cc.ssthresh(), cc.cwnd())
	}
	cc.onRTO(0, 1000)
	if cc.ssthresh() != 2000 {
		t.Fatalf("ssthresh %d, want the 2 MSS floor", cc.ssthresh())
	}
}

// cubicAfterLoss returns CUBIC with mss 1000 after a loss at cwnd = w MSS
// and the end of that recovery.
func cubicAfterLoss(t *testing.T, w uint32) testCC {
	cc := newCubic(1000)
	for cc.cwnd() < w*1000 {
		cc.onAck(0, 1000, cc.cwnd(), time.Millisecond)
	}
	if cc.cwnd() != w*1000 {
		t.Fatalf("setup: cwnd %d, want %d", cc.cwnd(), w*1000)
	}
	cc.onEnterRecovery(0, w*1000)
	cc.onExitRecovery(0, w*1000)
	return cc
}

// TestCubicReduction checks beta_cubic and fast convergence (RFC 9438 §4.6, §4.7).
func TestCubicReduction(t *testing.T) {
	cc := newCubic(1000)
	for cc.cwnd() < 100000 {
		cc.onAck(0, 1000, cc.cwnd(), time.Millisecond)
	}
	cc.onEnterRecovery(0, 100000)
	// RFC 9438 §4.6: ssthresh = 0.7 * cwnd; NewReno inflation by 3 MSS.
	if cc.ssthresh() != 70000 || cc.cwnd() != 73000 {
		t.Fatalf("ssthresh %d cwnd %d, want 70000 73000", cc.ssthresh(), cc.cwnd())
	}
	cc.onExitRecovery(0, 100000)
	if cc.cwnd() != 70000 {
		t.Fatalf("exit: cwnd %d, want 70000", cc.cwnd())
	}
	// §4.7 fast convergence: a loss below the previous W_max lowers W_max
	// to cwnd*(1+beta)/2 = 70*0.85 = 59.5 MSS.
	cc.onEnterRecovery(0, 70000)
	if cc.ssthresh() != 49000 || math.Abs(cc.cubic().wMax-59500) > 1e-6 {
		t.Fatalf("second loss: ssthresh %d wMax %.1f, want 49000 59500", cc.ssthresh(), cc.cubic().wMax)
	}
}

// TestCubicFollowsCurve checks that after a loss at 100 MSS the window
// follows W_cubic(t) = C*(t-K)^3 + W_max (RFC 9438 §4.2, equation 1) with
// K = cbrt((100-70)/0.4) s.
func TestCubicFollowsCurve(t *testing.T) {
	cc := cubicAfterLoss(t, 100)
	rtt := 100 * time.Millisecond
	k := math.Cbrt(30 / 0.4)
	var now clock.Instant
	checks := []float64{1, 2, 3, 4, 4.5, 5, 6}
	checked := 0
	for now.Sub(0).Seconds() < checks[len(checks)-1]+0.01 {
		ts := now.Sub(0).Seconds()
		for _, c := range checks {
			if math.Abs(ts-c) < 1e-9 {
				checked++
				want := 0.4*math.Pow(c-k, 3) + 100
				got := float64(cc.cwnd()) / 1000
				t.Logf("t=%.1fs: cwnd %.2f MSS, W_cubic %.2f MSS", c, got, want)
				if math.Abs(got-want) > 1 {
					t.Errorf("t=%.1fs: cwnd %.2f MSS, want W_cubic = %.2f MSS", c, got, want)
				}
			}
		}
		now = ccRound(cc, now, rtt, 1000)
	}
	if checked != len(checks) {
		t.Fatalf("checked %d of %d times", checked, len(checks))
	}
	// The window passes through the plateau near W_max at t=K.
	if w := float64(cc.cwnd()) / 1000; w < 100 {
		t.Fatalf("cwnd %.1f MSS after K, want above W_max", w)
	}
}

// TestCubicRenoFriendly checks the Reno-friendly region (RFC 9438 §4.3): on
// a short RTT the cubic curve grows slower than Reno would, so the window
// follows W_est, which grows by alpha_cubic MSS per RTT until W_max and by 1
// MSS per RTT after.
func TestCubicRenoFriendly(t *testing.T) {
	cc := cubicAfterLoss(t, 20) // W_max 20 MSS, cwnd 14 MSS
	rtt := 10 * time.Millisecond
	var now clock.Instant
	for range 100 {
		now = ccRound(cc, now, rtt, 1000)
	}
	// 6/alpha RTTs to reach W_max, then 1 MSS per RTT.
	toWMax := 6 / cubicAlpha
	want := 20 + (100 - toWMax)
	got := float64(cc.cwnd()) / 1000
	if math.Abs(got-want) > 2 {
		t.Fatalf("after 100 RTTs cwnd %.2f MSS, want W_est = %.2f MSS", got, want)
	}
	k := math.Cbrt(6 / 0.4)
	if cubic := 0.4*math.Pow(1-k, 3) + 20; got < cubic+50 {
		t.Fatalf("cwnd %.2f MSS is not in the Reno-friendly region (W_cubic %.2f)", got, cubic)
	}
}

// TestCubicTargetCap checks that one round grows the window to at most 1.5
// times itself (RFC 9438 §4.2) even far on the convex side of the curve.
func TestCubicTargetCap(t *testing.T) {
	cc := cubicAfterLoss(t, 100)
	cc.onAck(0, 1000, cc.cwnd(), 100*time.Millisecond) // starts the stage at 0
	before := cc.cwnd()
	ccRound(cc, clock.Instant(60*time.Second), 100*time.Millisecond, 1000) // W_cubic is huge
	if after := cc.cwnd(); float64(after) > 1.5*float64(before)+1000 || after <= before {
		t.Fatalf("cwnd %d -> %d in one round, want growth of at most 1.5x", before, after)
	}
}

// TestCubicRTO checks the timeout handling of RFC 9438 §4.8.
func TestCubicRTO(t *testing.T) {
	cc := newCubic(1000)
	for cc.cwnd() < 100000 {
		cc.onAck(0, 1000, cc.cwnd(), time.Millisecond)
	}
	cc.onRTO(0, 100000)
	// RFC 9438 §4.8: Reno's loss window, beta_cubic for ssthresh.
	if cc.ssthresh() != 70000 || cc.cwnd() != 1000 {
		t.Fatalf("ssthresh %d cwnd %d, want 70000 1000", cc.ssthresh(), cc.cwnd())
	}
	cc.onRTO(0, 100000) // a repeated timeout keeps ssthresh
	if cc.ssthresh() != 70000 || cc.cwnd() != 1000 {
		t.Fatalf("second RTO: ssthresh %d cwnd %d, want 70000 1000", cc.ssthresh(), cc.cwnd())
	}
	// Slow start back to ssthresh, then the first stage after a timeout has
	// K = 0 and W_max = cwnd at its start: W(t) = 0.4*t^3 + 70 MSS.
	var now clock.Instant
	for cc.cwnd() < cc.ssthresh() {
		now = ccRound(cc, now, 100*time.Millisecond, 1000)
	}
	start := now
	for _, c := range []struct {
		at   time.Duration
		want float64
	}{
		// Early on, W_est (alpha_cubic = 1 at once, as W_est starts at
		// W_max) is ahead of the cubic curve: 70 + 1 MSS per RTT.
		{3 * time.Second, 70 + 30},
		// Later the curve 0.4*t^3 + 70 overtakes it.
		{7 * time.Second, 0.4*343 + 70},
	} {
		for now.Sub(start) < c.at {
			now = ccRound(cc, now, 100*time.Millisecond, 1000)
		}
		if got := float64(cc.cwnd()) / 1000; math.Abs(got-c.want) > 0.03*c.want {
			t.Fatalf("%v into the stage cwnd %.2f MSS, want %.2f", c.at, got, c.want)
		}
	}
}
