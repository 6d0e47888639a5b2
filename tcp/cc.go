package tcp

import (
	"time"

	"github.com/synack-net/synack/clock"
)

// congestionControl is a sender's congestion window algorithm. The TCB runs
// loss detection and recovery (RFC 5681 §3.2, RFC 6582, RFC 6675) and tells
// the algorithm what happened; the algorithm owns cwnd and ssthresh.
// Implementations are sans-IO like the TCB: time comes in as now.
type congestionControl interface {
	// cwnd returns the congestion window in bytes.
	cwnd() uint32
	// ssthresh returns the slow start threshold in bytes.
	ssthresh() uint32
	// setMSS sets the sender's MSS once it is known (before data flows) and
	// resets the initial window to RFC 6928's min(10*MSS, max(2*MSS, 14600)).
	setMSS(mss uint32)
	// changeMSS lowers the MSS of a running connection (path MTU
	// discovery) and keeps cwnd and ssthresh.
	changeMSS(mss uint32)
	// onAck reports acked bytes of new data acknowledged outside recovery,
	// with flight the bytes still outstanding after the ACK and srtt the
	// smoothed RTT: slow start (RFC 5681 §3.1 with RFC 3465 byte counting,
	// L = 2*MSS) or congestion avoidance. cwnd grows only while flight+acked
	// is at least half of it (RFC 7661 §4.3: an application-limited sender
	// does not grow it).
	onAck(now clock.Instant, acked uint32, flight uint32, srtt time.Duration)
	// onEnterRecovery reports a loss detected by duplicate ACKs with flight
	// bytes outstanding: ssthresh drops and cwnd = ssthresh + 3*MSS
	// (RFC 6582 §3.2 step 2).
	onEnterRecovery(now clock.Instant, flight uint32)
	// deflateToSsthresh sets cwnd to ssthresh, as SACK-based recovery does
	// on entry (RFC 6675 §5 step 4.2), where pipe accounts for the
	// segments that left the network instead of inflation.
	deflateToSsthresh()
	// setWindow sets cwnd, as PRR does during SACK-based recovery
	// (RFC 6937); at least one MSS.
	setWindow(cwnd uint32)
	// undo takes back a reduction found spurious (RFC 3708, D-SACK):
	// cwnd and ssthresh become at least what they were before it.
	undo(cwnd, ssthresh uint32)
	// onDupAckInRecovery inflates cwnd by one MSS for a further duplicate ACK
	// (RFC 6582 §3.2 step 3).
	onDupAckInRecovery()
	// onPartialAck deflates cwnd by the acked bytes and adds back one MSS if
	// acked >= MSS (RFC 6582 §3.2 step 5).
	onPartialAck(acked uint32)
	// onExitRecovery reports the full ACK that ends recovery, with flight the
	// bytes outstanding after it: cwnd = min(ssthresh, max(flight, MSS) + MSS)
	// (RFC 6582 §3.2 step 6, option 1).
	onExitRecovery(now clock.Instant, flight uint32)
	// onRTO reports a retransmission timeout with flight bytes outstanding:
	// ssthresh = max(flight/2, 2*MSS) (RFC 5681 §3.1 eq. 4), cwnd = 1 MSS.
	onRTO(now clock.Instant, flight uint32)
	// name returns the algorithm's name, "reno" or "cubic".
	name() string
}

// newCongestionControl returns the algorithm name chooses ("reno", else
// CUBIC) for a sender whose MSS is mss.
func newCongestionControl(name string, mss uint32) congestionControl {
	if name == "reno" {
		return newReno(mss)
	}
	return newCubic(mss)
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

// ccBase holds the state every algorithm shares and implements the parts
// that RFC 5681 and RFC 6582 fix regardless of the window growth function:
// slow start, the NewReno inflation and deflation during fast recovery, and
// the window after a full ACK.
type ccBase struct {
	mss       uint32
	cwndV     uint32
	ssthreshV uint32
}

// ccNewBase returns the shared state for an MSS, with the RFC 6928 initial
// window and an unbounded ssthresh (RFC 5681 §3.1).
func ccNewBase(mss uint32) ccBase {
	b := ccBase{ssthreshV: ccMaxWindow}
	b.setMSS(mss)
	return b
}

// cwnd returns the congestion window in bytes.
func (b *ccBase) cwnd() uint32 { return b.cwndV }

// ssthresh returns the slow start threshold in bytes.
func (b *ccBase) ssthresh() uint32 { return b.ssthreshV }

// setMSS sets the MSS (at least 1) and resets cwnd to the initial window.
func (b *ccBase) setMSS(mss uint32) {
	b.mss = max(mss, 1)
	b.cwndV = ccInitialWindow(b.mss)
}

// changeMSS sets the MSS (at least 1) and keeps the windows.
func (b *ccBase) changeMSS(mss uint32) { b.mss = max(mss, 1) }

// inSlowStart reports whether cwnd is below ssthresh (RFC 5681 §3.1).
func (b *ccBase) inSlowStart() bool { return b.cwndV < b.ssthreshV }

// cwndLimited reports whether the sender is using its window: the bytes
// outstanding when the ACK was sent (flight after it plus acked) are at least
// half of cwnd (RFC 7661 §4.3, the "validated" test). cwnd does not grow
// otherwise.
func (b *ccBase) cwndLimited(acked, flight uint32) bool {
	return (uint64(flight)+uint64(acked))*2 >= uint64(b.cwndV)
}

// slowStart grows cwnd by the acked bytes, at most 2*MSS per ACK (RFC 3465
// §2.2, L = 2*SMSS) and not beyond ssthresh. It returns the acked bytes left
// over for congestion avoidance once cwnd reaches ssthresh (RFC 5681 §3.1
// lets either algorithm run at cwnd == ssthresh; like Linux we switch).
func (b *ccBase) slowStart(acked uint32) uint32 {
	inc := min(acked, 2*b.mss)
	room := b.ssthreshV - b.cwndV
	if inc >= room {
		b.cwndV = b.ssthreshV
		return acked - room
	}
	b.cwndV += inc
	return 0
}

// enterRecovery sets ssthresh and inflates cwnd by the three segments that
// left the network (RFC 6582 §3.2 step 2; RFC 5681 §3.2 step 3).
func (b *ccBase) enterRecovery(ssthresh uint32) {
	b.ssthreshV = max(ssthresh, 2*b.mss)
	b.cwndV = min(b.ssthreshV+3*b.mss, ccMaxWindow)
}

// deflateToSsthresh sets cwnd to ssthresh (RFC 6675 §5 step 4.2).
func (b *ccBase) deflateToSsthresh() { b.cwndV = b.ssthreshV }

// setWindow sets cwnd to at least one MSS.
func (b *ccBase) setWindow(cwnd uint32) { b.cwndV = max(cwnd, b.mss) }

// undo restores the windows a spurious reduction lowered, as Linux's
// tcp_undo_cwnd_reduction: the larger of now and before.
func (b *ccBase) undo(cwnd, ssthresh uint32) {
	b.cwndV = max(b.cwndV, min(cwnd, ccMaxWindow))
	b.ssthreshV = max(b.ssthreshV, min(ssthresh, ccMaxWindow))
}

// onDupAckInRecovery inflates cwnd by one MSS for a segment that left the
// network (RFC 6582 §3.2 step 3; RFC 5681 §3.2 step 4).
func (b *ccBase) onDupAckInRecovery() {
	b.cwndV = min(b.cwndV+b.mss, ccMaxWindow)
}

// onPartialAck deflates cwnd by the newly acknowledged bytes and adds back
// one MSS if at least one MSS was acknowledged (RFC 6582 §3.2 step 5). cwnd
// stays at least one MSS.
func (b *ccBase) onPartialAck(acked uint32) {
	c := b.cwndV - min(acked, b.cwndV)
	if acked >= b.mss {
		c += b.mss
	}
	b.cwndV = max(c, b.mss)
}

// exitRecovery deflates cwnd after the full ACK (RFC 6582 §3.2 step 6,
// option 1): min(ssthresh, max(flight, MSS) + MSS), which avoids a burst
// when little data is outstanding.
func (b *ccBase) exitRecovery(flight uint32) {
	b.cwndV = min(b.ssthreshV, max(flight, b.mss)+b.mss)
}

// timeout sets ssthresh and collapses cwnd to the loss window of one MSS
// (RFC 5681 §3.1, the paragraph after equation 4).
func (b *ccBase) timeout(ssthresh uint32) {
	b.ssthreshV = max(ssthresh, 2*b.mss)
	b.cwndV = b.mss
}
