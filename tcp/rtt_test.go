package tcp

import (
	"testing"
	"time"
)

// TestRTTInitial checks the RTO before any sample: initial value, backoff and clamping.
func TestRTTInitial(t *testing.T) {
	r := testRTT(time.Second, 200*time.Millisecond, 60*time.Second)
	if r.sampled || r.srtt() != 0 || r.rttvar() != 0 {
		t.Fatal("estimator has a sample before any measurement")
	}
	// RFC 6298 §2.1 and §5.5: 1 s, doubling, capped at the maximum.
	for i, want := range []time.Duration{1, 2, 4, 8, 16, 32, 60, 60} {
		if got := r.rto(); got != want*time.Second {
			t.Fatalf("after %d backoffs rto = %v, want %v", i, got, want*time.Second)
		}
		if r.backoffCount() != i {
			t.Fatalf("backoffCount = %d, want %d", r.backoffCount(), i)
		}
		r.backoff()
	}
	r.resetBackoff()
	if r.rto() != time.Second || r.backoffCount() != 0 {
		t.Fatalf("after reset rto %v count %d", r.rto(), r.backoffCount())
	}
	// The initial RTO is not raised to the minimum.
	low := testRTT(100*time.Millisecond, 200*time.Millisecond, 60*time.Second)
	if low.rto() != 100*time.Millisecond {
		t.Fatalf("initial rto %v, want 100ms", low.rto())
	}
}

// TestRTTSamples checks RFC 6298 §2.2 and §2.3 against hand-computed values.
func TestRTTSamples(t *testing.T) {
	r := testRTT(time.Second, 200*time.Millisecond, 60*time.Second)
	steps := []struct {
		m, srtt, rttvar, rto time.Duration
	}{
		// §2.2: SRTT = 100, RTTVAR = 50, RTO = 100 + 4*50.
		{100 * time.Millisecond, 100 * time.Millisecond, 50 * time.Millisecond, 300 * time.Millisecond},
		// §2.3: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5;
		// RTO = 112.5 + 4*62.5 = 362.5.
		{200 * time.Millisecond, 112500 * time.Microsecond, 62500 * time.Microsecond, 362500 * time.Microsecond},
		// RTTVAR = 3/4*62.5 + 1/4*12.5 = 50; SRTT = 7/8*112.5 + 1/8*100 = 110.9375;
		// RTO = 110.9375 + 200.
		{100 * time.Millisecond, 110937500 * time.Nanosecond, 50 * time.Millisecond, 310937500 * time.Nanosecond},
	}
	for i, s := range steps {
		r.sample(s.m)
		if !r.sampled || r.srtt() != s.srtt || r.rttvar() != s.rttvar || r.rto() != s.rto {
			t.Fatalf("sample %d (%v): srtt %v rttvar %v rto %v, want %v %v %v",
				i, s.m, r.srtt(), r.rttvar(), r.rto(), s.srtt, s.rttvar, s.rto)
		}
	}
}

// TestRTTMinimumAndGranularity checks the minimum RTO, the clock granularity G and negative samples.
func TestRTTMinimumAndGranularity(t *testing.T) {
	r := testRTT(time.Second, 200*time.Millisecond, 60*time.Second)
	r.sample(10 * time.Millisecond) // RTO 10 + max(4*5, 200) ms
	if r.rto() != 210*time.Millisecond {
		t.Fatalf("rto %v, want SRTT + the 200ms minimum (Linux's rto_min)", r.rto())
	}
	// A constant RTT drives RTTVAR toward 0; G = 1 ms keeps the RTO above SRTT.
	g := testRTT(time.Second, 0, 60*time.Second)
	for range 100 {
		g.sample(50 * time.Millisecond)
	}
	if g.srtt() != 50*time.Millisecond || g.rto() != 51*time.Millisecond {
		t.Fatalf("srtt %v rto %v, want 50ms 51ms", g.srtt(), g.rto())
	}
	// A negative measurement counts as zero.
	z := testRTT(time.Second, 0, 60*time.Second)
	z.sample(-time.Second)
	if z.srtt() != 0 || z.rto() != time.Millisecond {
		t.Fatalf("srtt %v rto %v after a negative sample, want 0 1ms", z.srtt(), z.rto())
	}
}

// TestRTTBackoff checks RFC 6298 §5.5 doubling, its clearing by a sample, and saturation.
func TestRTTBackoff(t *testing.T) {
	r := testRTT(time.Second, 200*time.Millisecond, 60*time.Second)
	r.sample(100 * time.Millisecond) // RTO 300 ms
	r.backoff()
	r.backoff()
	if r.rto() != 1200*time.Millisecond || r.backoffCount() != 2 {
		t.Fatalf("rto %v count %d, want 1.2s 2", r.rto(), r.backoffCount())
	}
	// A new sample clears the backoff.
	r.sample(100 * time.Millisecond)
	// RTTVAR 37.5 ms: 4*RTTVAR is below the minimum, so RTO = 100 + 200 ms.
	if r.backoffCount() != 0 || r.rto() != 300*time.Millisecond {
		t.Fatalf("after sample rto %v count %d", r.rto(), r.backoffCount())
	}
	// Backoff saturates without overflow: the RTO stays at the maximum and
	// the count keeps counting for retry limits.
	for range 200 {
		r.backoff()
	}
	if r.rto() != 60*time.Second || r.backoffCount() != 200 {
		t.Fatalf("rto %v count %d, want 60s 200", r.rto(), r.backoffCount())
	}
	for range rttMaxBackoff {
		r.backoff()
	}
	if r.backoffCount() != rttMaxBackoff || r.rto() != 60*time.Second {
		t.Fatalf("count %d rto %v, want saturation at %d, 60s", r.backoffCount(), r.rto(), rttMaxBackoff)
	}
}

// testRTT returns an estimator with the given initial RTO and bounds.
func testRTT(initial, lo, hi time.Duration) rttEstimator {
	return newRTTEstimator(&Config{InitialRTO: initial, MinRTO: lo, MaxRTO: hi})
}
