package tcp

import (
	"github.com/synack-net/synack/clock"
	"slices"
	"testing"
	"time"
)

// In establishedSACK SRTT is 100 ms and the RTO 300 ms. Three segments
// sent at 100 ms draw no ACK: the probe timeout, 2·SRTT + 2 ms with more
// than one segment in flight, resends the last of them at 302 ms
// (RFC 8985 §7.3), and the retransmission timer starts again from there,
// not backed off.
func TestTLPResendsLastSegment(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 3000))
	f.expect(seg(0, 1000), seg(1000, 1000), seg(2000, 1000))
	f.at(301*time.Millisecond + 999*time.Microsecond)
	f.expect()
	f.at(302 * time.Millisecond)
	f.expect(seg(2000, 1000))
	if f.tcb.Stats().LossProbes != 1 || f.tcb.Stats().Timeouts != 0 {
		t.Errorf("LossProbes %d, Timeouts %d; want 1, 0", f.tcb.Stats().LossProbes, f.tcb.Stats().Timeouts)
	}
	if !slices.Contains(f.obs.fired, TimerLossProbe) {
		t.Errorf("timers fired %v, want the loss probe", f.obs.fired)
	}
	// One probe per tail: the next thing to fire is the RTO, 300 ms
	// after the probe.
	f.at(601 * time.Millisecond)
	f.expect()
	f.at(602 * time.Millisecond)
	f.expect(seg(0, 1000))
	if f.tcb.Stats().LossProbes != 1 || f.tcb.Stats().Timeouts != 1 {
		t.Errorf("LossProbes %d, Timeouts %d; want 1, 1", f.tcb.Stats().LossProbes, f.tcb.Stats().Timeouts)
	}
}

// With one segment in flight the probe timeout adds the minimum RTO, for
// a delayed ACK (Linux's rule; RFC 8985 §7.2's WCDelAckT), and it is never
// later than the retransmission timer: 2·SRTT + 200 ms from the ACK at
// 200 ms would end at 600 ms, after the RTO at 500 ms, so the probe goes
// at 500 ms in its place (RFC 8985 §7.2 and Linux clamp it alike), the
// RTO moving to 800 ms. Its ACK at SND.MAX and then a
// duplicate show that the original and the probe both arrived: no loss.
func TestTLPOneSegmentInFlight(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 3000))
	f.drain()
	f.at(200 * time.Millisecond)
	f.in(sackAck(2000))
	f.expect()
	f.at(499 * time.Millisecond)
	f.expect()
	f.at(500 * time.Millisecond)
	f.expect(seg(2000, 1000))
	if got := f.tcb.NextDeadline(); got != clock.Instant(800*time.Millisecond) {
		t.Errorf("next deadline %v, want the RTO at 800 ms", got)
	}
	f.at(550 * time.Millisecond)
	f.in(sackAck(3000))
	f.in(sackAck(3000))
	f.expect()
	if f.tcb.ld.tlp.outstanding || f.tcb.Stats().LossProbeRecoveries != 0 {
		t.Errorf("probe outstanding %v, recoveries %d; want settled with none",
			f.tcb.ld.tlp.outstanding, f.tcb.Stats().LossProbeRecoveries)
	}
}

// A probe that repaired a loss is known by the ACK after it, which goes
// beyond the probe's end: cwnd falls to ssthresh as after fast recovery
// (RFC 8985 §7.4.2), and it is counted (TCPLossProbeRecovery).
func TestTLPRecoveryReducesCwnd(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 3000))
	f.drain()
	f.at(150 * time.Millisecond)
	f.in(sackAck(2000)) // the last segment is lost
	f.at(450 * time.Millisecond)
	f.expect(seg(2000, 1000))
	f.at(500 * time.Millisecond)
	f.in(sackAck(3000)) // the probe arrived
	cwnd := f.tcb.cc.cwnd()
	f.tcb.Write(make([]byte, 1000))
	f.expect(seg(3000, 1000))
	f.at(550 * time.Millisecond)
	f.in(sackAck(4000))
	if f.tcb.Stats().LossProbeRecoveries != 1 {
		t.Fatalf("LossProbeRecoveries = %d, want 1", f.tcb.Stats().LossProbeRecoveries)
	}
	if got := f.tcb.cc.cwnd(); got >= cwnd || got != f.tcb.cc.ssthresh() {
		t.Errorf("cwnd %d (was %d), ssthresh %d: want cwnd reduced to ssthresh", got, cwnd, f.tcb.cc.ssthresh())
	}
}

// When the peer's window has room, the probe is a new segment, sent even
// though cwnd is full (RFC 8985 §7.3); its ACK settles it with no loss.
func TestTLPSendsNewData(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 12000))
	var first []string
	for i := range 10 { // the initial window: 10 segments
		first = append(first, seg(i*1000, 1000))
	}
	f.expect(first...)
	f.at(302 * time.Millisecond)
	f.expect(seg(10000, 1000))
	if f.tcb.ld.tlp.retrans || f.tcb.Stats().RetransSegs != 0 {
		t.Errorf("probe retrans %v, %d retransmissions; want new data", f.tcb.ld.tlp.retrans, f.tcb.Stats().RetransSegs)
	}
	f.at(350 * time.Millisecond)
	f.in(sackAck(11000))
	if f.tcb.ld.tlp.outstanding || f.tcb.Stats().LossProbeRecoveries != 0 {
		t.Error("the probe of new data is not settled by its ACK")
	}
}

// Without SACK there is no probe (Linux's tcp_schedule_loss_probe): the
// ACK of a probe could not say what arrived. The RTO fires at 400 ms.
func TestTLPNeedsSACK(t *testing.T) {
	f := established(t, func(c *Config) { c.Timestamps = false })
	f.tcb.Write(make([]byte, 3000))
	f.drain()
	f.at(399 * time.Millisecond)
	f.expect()
	f.at(400 * time.Millisecond)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=536>")
	if f.tcb.Stats().LossProbes != 0 {
		t.Errorf("LossProbes = %d", f.tcb.Stats().LossProbes)
	}
}

// A FIN is probed like data: an orphan's FIN is resent by the probe and
// then by the RTO, unbacked-off, as in packetdrill's user_timeout.pkt.
func TestTLPResendsFIN(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Close(f.now)
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	f.at(400 * time.Millisecond) // min(2·SRTT + 200 ms, RTO 300 ms)
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	f.at(700 * time.Millisecond)
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	f.at(1300 * time.Millisecond)
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	if f.tcb.Stats().LossProbes != 1 || f.tcb.Stats().Timeouts != 2 {
		t.Errorf("LossProbes %d, Timeouts %d; want 1, 2", f.tcb.Stats().LossProbes, f.tcb.Stats().Timeouts)
	}
}
