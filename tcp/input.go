package tcp

import (
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// Deliver processes an arriving segment (RFC 9293 §3.10.7). The segment
// and its payload are only borrowed for the call. Replies are queued and
// come out of NextSegment.
func (t *TCB) Deliver(now clock.Instant, seg *Segment) {
	t.hot.SegsIn++
	if t.state == TimeWait {
		t.tw.Deliver(now, seg, t.cfg, t.coldStats(), (*timeWaitOwner)(t))
		return
	}
	t.deliver(now, seg)
	if t.state == TimeWait {
		t.tw = t.newTimeWaitEntry(now)
	}
}

// deliver is Deliver in every state before TIME_WAIT.
func (t *TCB) deliver(now clock.Instant, seg *Segment) {
	switch t.state {
	case Closed, Listen:
		// A closed TCB answers nothing; the host resets strays
		// (RFC 9293 §3.10.7.1) and listeners take SYNs (§3.10.7.2).
		return
	case SynSent:
		t.rcvSynSent(now, seg)
		return
	}
	if t.rcvRepeatedControl(now, seg) {
		return
	}
	// RFC 7323 §5.3: PAWS, before the sequence number check.
	if t.pawsReject(seg) {
		t.coldStats().PAWSRejected++
		t.invalidAck(now, seg)
		return
	}
	// First: check the sequence number (RFC 9293 §3.10.7.4).
	if !t.acceptable(seg) {
		if seg.Flags&wire.FlagRST == 0 {
			t.coldStats().OutOfWindow++
			t.repeatTSRecent(seg)
			t.noteDuplicate(seg)
			t.invalidAck(now, seg)
		}
		return
	}
	t.lastRecv, t.keepProbes, t.probesOut = now, 0, 0
	t.updateTSRecent(seg)
	// Second: the RST bit.
	if seg.Flags&wire.FlagRST != 0 {
		t.rcvReset(now, seg)
		return
	}
	// Fourth: the SYN bit (the third, security, does not apply).
	if seg.Flags&wire.FlagSYN != 0 {
		t.rcvSynInWindow(now, seg)
		return
	}
	// Fifth: the ACK field.
	if seg.Flags&wire.FlagACK == 0 {
		return
	}
	if !t.rcvAck(now, seg) {
		return
	}
	// Sixth, the URG bit, is ignored: urgent data is delivered inline, as
	// RFC 6093 recommends. Seventh: the segment text; eighth: FIN.
	t.rcvText(now, seg)
}

// acceptable is the acceptability test of RFC 9293 §3.10.7.4 against the
// window we advertised. With a zero window, a segment at RCV.NXT is still
// accepted so that its ACK, RST and FIN are processed; its data is trimmed
// away later ("special allowance", ibid.).
func (t *TCB) acceptable(seg *Segment) bool {
	return segAcceptable(seg, t.rcv.nxt, uint32(max(t.rcv.adv.Sub(t.rcv.nxt), 0)))
}

// segAcceptable is the acceptability test against a receive window of wnd
// bytes at RCV.NXT (see TCB.acceptable).
func segAcceptable(seg *Segment, rcvNxt Seq, wnd uint32) bool {
	n := seg.Len()
	if wnd == 0 || n == 0 {
		if n == 0 && wnd > 0 {
			return seg.Seq.InWindow(rcvNxt, wnd)
		}
		return seg.Seq == rcvNxt
	}
	last := seg.Seq.Add(n - 1)
	return seg.Seq.InWindow(rcvNxt, wnd) || last.InWindow(rcvNxt, wnd)
}

// pawsReject applies RFC 7323 §5.3: a segment whose timestamp is older
// than TS.Recent is a duplicate from an earlier wrap and is dropped (but an
// RST is never rejected this way, R1).
func (t *TCB) pawsReject(seg *Segment) bool { return pawsRejects(t.tsOK, t.tsRecent, seg) }

// pawsRejects is the PAWS test of pawsReject for a connection whose
// timestamps are on (tsOK) with TS.Recent tsRecent.
func pawsRejects(tsOK bool, tsRecent uint32, seg *Segment) bool {
	if !tsOK || !seg.Options.HasTS || seg.Flags&wire.FlagRST != 0 {
		return false
	}
	return int32(seg.Options.TSVal-tsRecent) < 0
}

// updateTSRecent records the peer's timestamp when the segment covers
// Last.ACK.sent (RFC 7323 §4.3 (2)).
func (t *TCB) updateTSRecent(seg *Segment) {
	t.tsRecent = updatedTSRecent(t.tsOK, t.tsRecent, t.rcv.lastAck, seg)
}

// repeatTSRecent takes the timestamp of a repeat of the data we last
// acknowledged, a segment that ends at Last.ACK.sent, as Linux does
// (tcp_sequence accepts a segment that ends at rcv_wup, and
// tcp_replace_ts_recent then takes its TSval), where RFC 7323 §4.3 (2)
// ignores it. The ACK it draws then echoes the repeat's timestamp: when
// our first ACK of the data was lost, the sender's RTT sample measures
// the repeat, not the time since the original, which would inflate its
// RTO by a whole retransmission timeout each time.
func (t *TCB) repeatTSRecent(seg *Segment) {
	if len(seg.Payload) > 0 && seg.Seq.Add(uint32(len(seg.Payload))) == t.rcv.lastAck && t.rcv.lastAck == t.rcv.nxt {
		t.tsRecent = updatedTSRecent(t.tsOK, t.tsRecent, t.rcv.lastAck, seg)
	}
}

// updatedTSRecent returns TS.Recent after seg arrives, by the rule of
// updateTSRecent.
func updatedTSRecent(tsOK bool, tsRecent uint32, lastAck Seq, seg *Segment) uint32 {
	if tsOK && seg.Options.HasTS && seg.Seq.LessThanEq(lastAck) && int32(seg.Options.TSVal-tsRecent) >= 0 {
		return seg.Options.TSVal
	}
	return tsRecent
}

// rcvReset handles an RST that passed the sequence check (RFC 9293
// §3.10.7.4 second, with RFC 5961 §3.2: only an RST at exactly RCV.NXT
// resets; one elsewhere in the window draws a challenge ACK).
func (t *TCB) rcvReset(now clock.Instant, seg *Segment) {
	if seg.Seq != t.rcv.nxt {
		t.challengeAck(now)
		return
	}
	why := segCause(seg)
	switch t.state {
	case SynReceived:
		if t.passive {
			t.backToListen(now, why)
			return
		}
		t.fail(now, syscall.ECONNREFUSED, why)
	case Closing, LastAck:
		t.fail(now, 0, why)
	default: // ESTABLISHED, FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT
		t.fail(now, syscall.ECONNRESET, why)
	}
}

// rcvSynInWindow handles a SYN in a synchronized state (RFC 9293
// §3.10.7.4 fourth, RFC 5961 §4): a challenge ACK, never a reset. In
// SYN_RCVD of a passive open it returns the TCB to LISTEN.
func (t *TCB) rcvSynInWindow(now clock.Instant, seg *Segment) {
	if t.state == SynReceived && t.passive {
		t.backToListen(now, segCause(seg))
		return
	}
	t.challengeAck(now)
}

// backToListen returns a passive open's TCB from SYN_RCVD to LISTEN
// (RFC 9293 §3.10.7.4 second and fourth): the listener carries on and
// nobody is told; the timers stop, and the data queued for after the
// handshake, or received before its end, goes with the connection it was
// for.
func (t *TCB) backToListen(now clock.Instant, why Cause) {
	t.FreeBuffers()
	t.tm.stopAll()
	t.setState(now, Listen, why)
}

// challengeAck queues the ACK of RFC 5961 §3.2/§4.2/§5.2, rate-limited.
func (t *TCB) challengeAck(now clock.Instant) {
	t.coldStats().ChallengeAcks++
	t.invalidAck(now, nil)
}

// invalidAck answers seg, a segment that cannot be accepted (out of
// window, PAWS), or a challenge when seg is nil, with an ACK, at most one
// per AckRateLimit: RFC 5961 §7 asks for challenge ACKs to be throttled,
// and Linux limits these ACKs per connection (tcp_invalid_ratelimit,
// 500 ms), so that a flood of bad segments cannot turn the connection
// into an ACK generator.
func (t *TCB) invalidAck(now clock.Instant, seg *Segment) {
	last, limited := t.lastInvalidAck(), uint64(0)
	if invalidAckAllowed(t.cfg, &last, now, &limited, seg) {
		t.ackNow = true
	}
	t.setLastInvalidAck(last)
	if limited != 0 {
		t.coldStats().InvalidAcksLimited += limited
	}
}

// invalidAckAllowed applies invalidAck's rate limit to a connection whose
// last such ACK went at *last, counting a suppressed one in *limited. A
// segment that carries data and no SYN is always answered, as Linux's
// tcp_oow_rate_limited exempts it: data cannot be part of an ACK loop,
// and it is most often a retransmission whose sender lost our first ACK
// and needs this one, or it times out again.
func invalidAckAllowed(cfg *Config, last *clock.Instant, now clock.Instant, limited *uint64, seg *Segment) bool {
	if seg != nil && len(seg.Payload) > 0 && seg.Flags&wire.FlagSYN == 0 {
		return true
	}
	if cfg.AckRateLimit > 0 && *last != clock.Never && now.Sub(*last) < cfg.AckRateLimit {
		*limited++
		return false
	}
	*last = now
	return true
}

// isSimultaneousSynAck reports whether seg is the peer's SYN-ACK in a
// simultaneous open: it repeats the SYN we already took and acknowledges
// ours. RFC 9293's sequence test would reject it (its SYN lies just before
// RCV.NXT); like Linux, we take it as the handshake's final ACK, which
// makes simultaneous open the four segments of RFC 9293 Figure 7.
func (t *TCB) isSimultaneousSynAck(seg *Segment) bool {
	return !t.passive && seg.Flags&(wire.FlagSYN|wire.FlagACK|wire.FlagRST) == wire.FlagSYN|wire.FlagACK &&
		seg.Seq == t.rcv.irs && seg.Ack == t.snd.nxt
}

func (t *TCB) completeSimultaneousOpen(now clock.Instant, seg *Segment) {
	t.lastRecv = now
	t.updateTSRecent(seg)
	t.establish(now, seg)
	t.snd.wnd = uint32(seg.Window) // a SYN's window is never scaled (RFC 7323 §2.2)
	t.snd.maxWnd = max(t.snd.maxWnd, t.snd.wnd)
}

// establish completes the handshake: SND.UNA moves past our SYN and the
// state becomes ESTABLISHED (RFC 9293 §3.10.7.3 and §3.10.7.4 fifth).
func (t *TCB) establish(now clock.Instant, seg *Segment) {
	t.sampleRTT(now, seg, seg.Ack)
	t.snd.una = seg.Ack
	if t.snd.nxt.LessThan(t.snd.una) {
		// Our SYN was due again (a retransmission timeout, or the peer's
		// repeated SYN, rewound SND.NXT to the ISS) when the ACK of an
		// earlier copy came: nothing before SND.UNA is sent again.
		t.snd.nxt = t.snd.una
	}
	t.snd.wl1, t.snd.wl2 = seg.Seq, seg.Ack
	t.retransmit = 0
	t.rtt.resetBackoff()
	t.tm.retransmit = clock.Never
	if t.snd.nxt != t.snd.una {
		t.armRetransmit(now)
	}
	t.setState(now, Established, segCause(seg))
	if t.fin.queued && !t.fin.sent && t.sendBuf.len() == 0 {
		// A Close before the handshake finished: the FIN goes now.
		t.ackNow = true
	}
}
