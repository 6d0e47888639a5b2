package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// Probing a window that holds data back, and probing an idle peer.
//
// When the peer's window keeps data from going and nothing is in flight,
// no ACK is on its way to open it, and a window update the peer sends
// later may be lost. The persist timer then probes (RFC 9293 §3.8.6.1),
// as Linux's probe timer does (tcp_probe_timer, tcp_write_wakeup): if the
// window has room for some data, the probe is that data, sent even though
// silly window avoidance would wait for a full segment (the "override
// timeout" of RFC 9293 §3.8.6.2.1); if the window is closed, it is a bare
// ACK numbered SND.UNA-1, which the peer must answer with its window and
// which, carrying no data, cannot desynchronise the sequence space. The
// probes back off exponentially while the window stays closed, and a peer
// that answers none of them (Retries, fewer for an orphan, or for the
// user timeout) is given up for dead.

// armPersistIfStalled starts the persist timer when data waits for the
// peer's window and nothing is in flight to bring a window update.
func (t *TCB) armPersistIfStalled(now clock.Instant) {
	if t.snd.max == t.snd.una && t.tm.persist == clock.Never {
		t.tm.persist = now.Add(t.rtt.rto())
	}
}

// onPersistTimeout asks for a window probe and backs off the next one, or
// gives the connection up when retries() probes went unanswered (Linux's
// tcp_probe_timer with tcp_retries2, or tcp_orphan_retries for an
// orphan), or when the user timeout has passed since the first probe.
func (t *TCB) onPersistTimeout(now clock.Instant) {
	t.tm.persist = clock.Never
	if t.snd.max != t.snd.una || t.unsent() <= 0 {
		t.clearProbesStart()
		return // data in flight: the retransmission timer takes over
	}
	if t.probesStart() == clock.Never {
		// Linux's icsk_probes_tstamp: the user timeout counts from the
		// first probe, however the peer answers, until the window opens.
		t.coldPart().probesStart = now
	}
	if int(t.probesOut) >= t.retries() || t.userTimeout() > 0 && now.Sub(t.probesStart()) >= t.userTimeout() {
		t.fail(now, t.timeoutErr(), timerCause(TimerPersist))
		return
	}
	t.probesOut = min(t.probesOut+1, 255)
	t.windowProbePending = true
	t.rtt.backoff()
	next := now.Add(t.rtt.rto())
	if t.userTimeout() > 0 {
		// Linux's tcp_clamp_probe0_to_user_timeout: the timer that
		// would fire past the user timeout fires at it, so the
		// connection ends exactly then rather than at a later probe.
		next = clock.Min(next, t.probesStart().Add(t.userTimeout()))
	}
	t.tm.persist = next
}

// windowProbe builds the persist timer's probe: what the window allows of
// the waiting data, else a bare probe.
func (t *TCB) windowProbe(now clock.Instant, buf []byte) (Segment, bool) {
	if t.snd.max != t.snd.una || t.unsent() <= 0 {
		return Segment{}, false
	}
	if seg, ok := t.dataSegment(now, buf, true); ok {
		return seg, true
	}
	return t.bareProbe(now), true
}

// bareProbe builds a probe that elicits an ACK: no data and the sequence
// number SND.UNA-1, just below the peer's window, as Linux's
// tcp_xmit_probe_skb sends for keep-alives (RFC 1122 §4.2.3.6) and zero
// windows. The peer drops it unread, so it settles no ACK we owe: the
// pending-ACK state is left alone.
func (t *TCB) bareProbe(now clock.Instant) Segment {
	seg := Segment{Seq: t.snd.una.Add(^uint32(0)), Flags: wire.FlagACK}
	t.fillAckFields(now, &seg)
	t.hot.SegsOut++
	return seg
}
