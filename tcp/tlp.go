package tcp

import (
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// Tail Loss Probe (RFC 8985 §7), timed and sent as Linux's
// tcp_schedule_loss_probe and tcp_send_loss_probe do: when the last
// segments of a flight are lost no ACK comes to start fast recovery, so
// about two round trips after the last transmission one segment goes out
// to draw an ACK (with SACK blocks) that lets ordinary recovery repair the
// tail, instead of the retransmission timeout collapsing cwnd.

// tlpMinTimeout is the term added to 2·SRTT while more than one segment
// is in flight, Linux's TCP_TIMEOUT_MIN (2 jiffies, 2 ms at HZ=1000).
const tlpMinTimeout = 2 * time.Millisecond

// tlpState is the tail loss probe's state (RFC 8985 §7.1 TLP.end_seq and
// TLP.is_retrans; Linux's tlp_high_seq and tlp_retrans).
type tlpState struct {
	// pending asks NextSegment for the probe the timer decided to send.
	pending bool
	// outstanding is set from the probe's transmission until its ACK
	// settles whether it repaired a loss: at most one probe per tail.
	outstanding bool
	// retrans is set when the probe resent old data rather than new.
	retrans bool
	// probeNew lets the probe's new segment past cwnd.
	probeNew bool
	// highSeq is SND.MAX after the probe (TLP.end_seq).
	highSeq Seq
	// lastSeg is where the highest segment sent starts: when SND.UNA has
	// reached it, one segment is in flight (Linux packets_out == 1), and
	// it is the one a probe resends.
	lastSeg Seq
}

// probeAllowed reports whether a loss probe may be scheduled, as Linux
// decides in tcp_schedule_loss_probe: SACK in use (the probe's ACK must
// say what arrived), data in flight, no probe outstanding, and the
// sender in Linux's Open state: nothing SACKed (that is Disorder, where
// loss detection waits on the ACKs instead), neither fast recovery nor the
// recovery after a timeout running (RFC 8985 §7.2).
func (t *TCB) probeAllowed() bool {
	return t.ld != nil && t.sackOK && t.state.IsSynchronized() && t.snd.una != t.snd.iss &&
		t.snd.una != t.snd.max && !t.ld.tlp.outstanding && t.sb.empty() &&
		!t.inRecovery && !t.snd.una.LessThan(t.recover)
}

// scheduleLossProbe arms the probe timeout, or disarms it when no probe is
// allowed. RFC 8985 §7.2 PTO = 2·SRTT, plus, as Linux adds, the minimum
// RTO when one segment is in flight (a delayed ACK may hold its answer
// that long; RFC 8985 says WCDelAckT, 200 ms) and 2 ms otherwise; 1 s
// before an RTT sample; never later than the retransmission timer, as
// RFC 8985 §7.2 itself clamps the PTO to the RTO's expiration and Linux's
// tcp_schedule_loss_probe to the RTO's delta: the probe is then sent in
// the timeout's place, and cwnd does not collapse.
func (t *TCB) scheduleLossProbe(now clock.Instant) {
	if t.ld == nil {
		return
	}
	t.ld.probeAt = clock.Never
	if !t.probeAllowed() {
		return
	}
	pto := t.cfg.InitialRTO
	if t.rtt.sampled {
		pto = 2 * t.rtt.srtt()
		if t.snd.una.GreaterThanEq(t.ld.tlp.lastSeg) {
			pto += t.cfg.MinRTO
		} else {
			pto += tlpMinTimeout
		}
	}
	d := now.Add(pto)
	if t.tm.retransmit != clock.Never && t.tm.retransmit.Sub(now) > 0 {
		d = clock.Min(d, t.tm.retransmit)
	}
	t.ld.probeAt = d
}

// onLossProbeTimeout is the probe timeout (RFC 8985 §7.3): it asks
// NextSegment for a probe, new data if the peer's window allows one
// segment of it, else the last segment sent again.
func (t *TCB) onLossProbeTimeout() {
	t.ld.probeAt = clock.Never
	if !t.probeAllowed() {
		return
	}
	t.ld.tlp.pending = true
}

// lossProbe builds the probe that onLossProbeTimeout asked for. New data
// goes whatever cwnd says (Linux sends the probe through tcp_write_xmit
// with the congestion window's quota forced to one segment) but within
// the peer's window; else the highest segment sent goes again. Either
// way the retransmission timer restarts from now, unbacked-off (RFC 8985
// §7.3).
func (t *TCB) lossProbe(now clock.Instant, buf []byte) (Segment, bool) {
	t.ld.tlp.pending = false
	if !t.probeAllowed() {
		return Segment{}, false
	}
	var seg Segment
	var ok bool
	if t.unsent() > 0 && t.snd.nxt == t.snd.max && t.probeFitsWindow() {
		t.ld.tlp.probeNew = true
		seg, ok = t.dataSegment(now, buf, true)
		t.ld.tlp.probeNew = false
		t.ld.tlp.retrans = false
	}
	if !ok {
		start := MaxSeq(t.ld.tlp.lastSeg, t.snd.una)
		if t.snd.max.Sub(start) > int32(t.mss) {
			start = t.snd.max.Add(-t.mss)
		}
		start = MaxSeq(start, t.snd.una)
		// Linux resends nothing that lies beyond a window the peer has
		// shrunk, but for SND.UNA itself.
		if start == t.snd.una || start.LessThan(t.snd.una.Add(t.snd.wnd)) {
			seg, ok = t.retransmitRange(now, buf, start, t.snd.max)
			t.ld.tlp.retrans = true
		}
	}
	if !ok {
		return Segment{}, false
	}
	t.ld.tlp.outstanding = true
	t.ld.tlp.highSeq = t.snd.max
	t.tm.retransmit = now.Add(t.rtt.rto())
	t.coldStats().LossProbes++
	return seg, true
}

// probeFitsWindow reports whether the next new segment lies within the
// peer's window (Linux's tcp_snd_wnd_test).
func (t *TCB) probeFitsWindow() bool {
	n := min(t.unsent(), t.sendMSS())
	return t.snd.nxt.Add(uint32(n)).LessThanEq(t.snd.una.Add(t.snd.wnd))
}

// onProbeAck settles an outstanding probe from an ACK (RFC 8985 §7.4,
// as Linux's tcp_process_tlp_ack): a probe of new data, a D-SACK for the
// probe, or a pure duplicate ACK at its end say no loss happened; an ACK
// beyond the probe's end says the probe repaired a loss, which the
// congestion window answers as fast recovery would (RFC 8985 §7.4.2).
func (t *TCB) onProbeAck(now clock.Instant, seg *Segment, progress, dsack bool) {
	if t.ld == nil {
		return
	}
	p := &t.ld.tlp
	if !p.outstanding || seg.Ack.LessThan(p.highSeq) {
		return
	}
	switch {
	case !p.retrans, dsack:
		p.outstanding = false
	case seg.Ack.GreaterThan(p.highSeq):
		p.outstanding = false
		t.cc.onEnterRecovery(now, uint32(t.snd.max.Sub(t.snd.una)))
		t.cc.deflateToSsthresh()
		t.coldStats().LossProbeRecoveries++
	case !progress && len(seg.Payload) == 0 && seg.Flags&wire.FlagFIN == 0:
		p.outstanding = false
	}
}

// probeDeadline is when the probe timeout expires, or clock.Never.
func (t *TCB) probeDeadline() clock.Instant {
	if t.ld == nil || t.tm.retransmit == clock.Never {
		return clock.Never
	}
	return t.ld.probeAt
}

// probePending reports whether a probe waits to be sent.
func (t *TCB) probePending() bool { return t.ld != nil && t.ld.tlp.pending }

// sendingProbe reports whether the segment being built is a probe of new
// data, which cwnd does not hold back.
func (t *TCB) sendingProbe() bool { return t.ld != nil && t.ld.tlp.probeNew }

// cancelLossProbe stops the probe timer and forgets an outstanding probe,
// as a timeout or fast recovery takes over.
func (t *TCB) cancelLossProbe() {
	if t.ld != nil {
		t.ld.probeAt = clock.Never
		t.ld.tlp.outstanding, t.ld.tlp.pending = false, false
	}
}
