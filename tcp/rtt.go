package tcp

import "time"

// rttGranularity is G, the clock granularity of RFC 6298 §2: the variance
// term of the RTO is never less than this. Instants are nanoseconds, but 1 ms
// keeps a near-constant RTT from driving the RTO down to SRTT itself.
const rttGranularity = time.Millisecond

// rttK is K of RFC 6298 §2: the RTO is SRTT + K*RTTVAR.
const rttK = 4

// rttMaxBackoff bounds the backoff count so that it saturates rather than
// overflows; the RTO itself saturates at the maximum long before.
const rttMaxBackoff = 1 << 16

// rttEstimator computes the retransmission timeout of RFC 6298 from round-trip
// time measurements, with exponential backoff (RFC 6298 §5.5).
// The RTO's initial value and bounds are read from the Config, which
// every connection of a host shares, rather than copied into each TCB.
type rttEstimator struct {
	cfg            *Config       // InitialRTO, MinRTO and MaxRTO
	srttV, rttvarV time.Duration // SRTT and RTTVAR; zero before a sample
	backoffs       int32         // times the RTO was doubled since the last sample or reset
	sampled        bool          // a measurement has been taken
}

// newRTTEstimator returns an estimator whose RTO is cfg.InitialRTO until
// the first sample (RFC 6298 §2.1 says 1 s) and is always kept within
// [cfg.MinRTO, cfg.MaxRTO] (RFC 6298 §2.4 and §2.5).
func newRTTEstimator(cfg *Config) rttEstimator {
	return rttEstimator{cfg: cfg}
}

// sample takes a round-trip time measurement m and updates SRTT and RTTVAR.
// It clears the backoff: a fresh measurement replaces the backed-off RTO
// (RFC 6298 §5.7 lets the RTO recover once an acknowledgment is timed).
// Negative measurements are taken as zero.
func (r *rttEstimator) sample(m time.Duration) {
	m = max(m, 0)
	if !r.sampled {
		// RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
		r.srttV = m
		r.rttvarV = m / 2
		r.sampled = true
	} else {
		// RFC 6298 §2.3, with alpha = 1/8 and beta = 1/4, RTTVAR first
		// (it uses the SRTT before this update):
		// RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|
		// SRTT <- (1 - alpha) * SRTT + alpha * R'
		d := r.srttV - m
		if d < 0 {
			d = -d
		}
		r.rttvarV = (3*r.rttvarV + d) / 4
		r.srttV = (7*r.srttV + m) / 8
	}
	r.backoffs = 0
}

// rto returns the current retransmission timeout: the base RTO shifted left
// by the backoff count, at most max. The base is SRTT + max(G, K*RTTVAR)
// (RFC 6298 §2.2, §2.3) with the minimum applied, as Linux applies its
// rto_min, to the variance term rather than to the sum: SRTT + max(G,
// K*RTTVAR, min). RFC 6298 §2.4's 1 s floor on the sum would hold a
// short path's timer far above its RTT; Linux's rule keeps it at least min
// above the RTT. Before a sample the base is the initial RTO.
func (r *rttEstimator) rto() time.Duration {
	base := r.cfg.InitialRTO
	if r.sampled {
		base = r.srttV + max(rttGranularity, rttK*r.rttvarV, r.cfg.MinRTO)
	}
	// RFC 6298 §5.5: double per backoff, saturating at max.
	if hi := r.cfg.MaxRTO; r.backoffs >= 63 || base > hi>>r.backoffs {
		return hi
	}
	return base << r.backoffs
}

// backoff doubles the RTO after a retransmission timeout (RFC 6298 §5.5).
// The count saturates; the RTO saturates at max.
func (r *rttEstimator) backoff() {
	if r.backoffs < rttMaxBackoff {
		r.backoffs++
	}
}

// undoBackoff takes one doubling back (RFC 6069 §4).
func (r *rttEstimator) undoBackoff() {
	if r.backoffs > 0 {
		r.backoffs--
	}
}

// resetBackoff undoes the backoff, as when new data is acknowledged.
func (r *rttEstimator) resetBackoff() { r.backoffs = 0 }

// backoffCount returns the number of backoffs since the last sample or reset:
// consecutive retransmission timeouts, for retry limits.
func (r *rttEstimator) backoffCount() int { return int(r.backoffs) }

// srtt returns the smoothed round-trip time, or 0 before a sample.
func (r *rttEstimator) srtt() time.Duration { return r.srttV }

// rttvar returns the round-trip time variation, or 0 before a sample.
func (r *rttEstimator) rttvar() time.Duration { return r.rttvarV }
