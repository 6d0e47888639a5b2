package tcp

import (
	"syscall"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// TimeWaitEntry is what a connection keeps of itself in TIME_WAIT: the
// few variables the rules of RFC 9293 §3.10.7.4 for that state read, in 48
// bytes instead of a TCB's buffers, congestion, RTT and SACK state. A host
// replaces a TCB that reached TIME_WAIT by its entry (TCB.TimeWaitEntry)
// so that a finished connection costs little while it waits out 2×MSL.
//
// The rules are written once, here: a TCB that reaches TIME_WAIT makes its
// entry and from then on hands every segment, timer and call of that state
// to it, so a connection behaves the same before and after the host keeps
// the entry alone, and the entry records its own end through an Observer. What the entry drops cannot matter in
// TIME_WAIT: no data is accepted, so the window it advertises is frozen
// (as Linux's tw_rcv_wnd is); nothing is sent but ACKs, so the peer's
// window no longer moves the RFC 5961 §5.2 bound; and no SACK block can
// describe data beyond the peer's FIN.
//
// An entry is not safe for concurrent use; its owner serialises calls.
type TimeWaitEntry struct {
	deadline       clock.Instant // when 2×MSL ends
	lastInvalidAck clock.Instant // when an ACK last answered an unacceptable segment
	sndNxt         Seq           // SND.NXT, equal to SND.UNA: our FIN is acknowledged
	rcvNxt         Seq           // RCV.NXT, just past the peer's FIN
	lastAck        Seq           // Last.ACK.sent (RFC 7323 §4.3)
	rcvWnd         uint32        // RCV.WND as last advertised, for the acceptability test
	maxWnd         uint32        // the largest window the peer offered (RFC 5961 §5.2)
	tsRecent       uint32        // TS.Recent (RFC 7323 §4.3)
	tsOffset       uint32        // our timestamp offset (RFC 7323 §5.4)
	window         uint16        // the window field of our ACKs, already scaled
	wscale         uint8         // our window scale shift (RFC 7323 §2.2)
	flags          twFlags
}

// twFlags are a TimeWaitEntry's booleans, in one byte to keep it at 48.
type twFlags uint8

const (
	twTimestamps twFlags = 1 << iota // RFC 7323 timestamps are in use
	twAckNow                         // an ACK is due
	twClosed                         // TIME_WAIT has ended: the connection is CLOSED
	twCrashed                        // it ended in a host crash: users see ECONNABORTED
)

func (w *TimeWaitEntry) has(f twFlags) bool { return w.flags&f != 0 }

// newTimeWaitEntry makes the entry of a TCB that has just entered
// TIME_WAIT, with its 2×MSL timer started at now and the ACK the TCB owes
// (for the peer's FIN) moved into it. The window it advertises is frozen
// here, as Linux freezes tw_rcv_wnd: nothing more will arrive to read.
func (t *TCB) newTimeWaitEntry(now clock.Instant) *TimeWaitEntry {
	w := &TimeWaitEntry{
		deadline:       now.Add(t.cfg.TimeWait),
		lastInvalidAck: t.lastInvalidAck(),
		sndNxt:         t.snd.nxt,
		rcvNxt:         t.rcv.nxt,
		lastAck:        t.rcv.lastAck,
		maxWnd:         t.snd.maxWnd,
		tsRecent:       t.tsRecent,
		tsOffset:       t.tsOffset,
		wscale:         t.rcv.wscale,
	}
	if t.tsOK {
		w.flags |= twTimestamps
	}
	if t.ackNow || t.ackDelayed > 0 {
		w.flags |= twAckNow
	}
	t.ackNow, t.ackDelayed = false, 0
	// RCV.WND as last advertised, then the window field of the entry's
	// ACKs; computing it moves RCV.ADV only when such an ACK is sent.
	w.rcvWnd = uint32(max(t.rcv.adv.Sub(t.rcv.nxt), 0))
	w.window = t.windowToAdvertise()
	return w
}

// TimeWaitEntry returns the entry that holds this TCB's TIME_WAIT, or nil
// in any other state. From the end of the segment that brought the TCB to
// TIME_WAIT the entry applies every rule of that state, so a host may
// keep the entry alone once the user has read what the TCB received.
func (t *TCB) TimeWaitEntry() *TimeWaitEntry {
	if t.state != TimeWait {
		return nil
	}
	return t.tw
}

// timeWaitOwner is a TCB as the observer of its own TIME_WAIT entry: the
// entry's end becomes the TCB's, through its one state-change path.
type timeWaitOwner TCB

// StateChanged implements Observer: the entry went TIME_WAIT -> CLOSED.
func (o *timeWaitOwner) StateChanged(now clock.Instant, _, _ State, why Cause) {
	(*TCB)(o).fail(now, 0, why)
}

// TimerFired implements Observer.
func (o *timeWaitOwner) TimerFired(now clock.Instant, tm Timer) { (*TCB)(o).fire(now, tm) }

// Deliver applies the rules of TIME_WAIT to an arriving segment, in the
// order of RFC 9293 §3.10.7.4, and queues the ACK they call for (see
// NextSegment). Rejected segments are counted in stats. An RST, when RFC
// 1337 protection is off, ends TIME_WAIT, and obs records the change. A
// SYN that may open a new incarnation (AcceptsNewIncarnation) is the
// host's to take before it gets here.
func (w *TimeWaitEntry) Deliver(now clock.Instant, seg *Segment, cfg *Config, stats *ConnStats, obs Observer) {
	if w.has(twClosed) {
		return
	}
	rst := seg.Flags&wire.FlagRST != 0
	ctl := seg.Flags & (wire.FlagSYN | wire.FlagACK | wire.FlagRST | wire.FlagFIN)
	switch {
	case ctl&^wire.FlagACK == wire.FlagFIN && seg.End() == w.rcvNxt:
		// Eighth, TIME-WAIT: "The only thing that can arrive in this
		// state is a retransmission of the remote FIN. Acknowledge it,
		// and restart the 2 MSL timeout." Its FIN lies just before
		// RCV.NXT, so it is recognised before the sequence test.
		w.restart(now, cfg)
		return
	case pawsRejects(w.has(twTimestamps), w.tsRecent, seg):
		// RFC 7323 §5.3: an old duplicate, acknowledged.
		stats.PAWSRejected++
		w.invalidAck(now, cfg, stats, seg)
		return
	case !segAcceptable(seg, w.rcvNxt, w.rcvWnd):
		// First: an unacceptable segment is acknowledged, unless it is
		// an RST.
		if !rst {
			stats.OutOfWindow++
			w.invalidAck(now, cfg, stats, seg)
		}
		return
	}
	w.tsRecent = updatedTSRecent(w.has(twTimestamps), w.tsRecent, w.lastAck, seg)
	switch {
	case rst && seg.Seq != w.rcvNxt:
		// Second: RFC 5961 §3.2, an RST in the window but not at
		// RCV.NXT draws a challenge ACK.
		stats.ChallengeAcks++
		w.invalidAck(now, cfg, stats, nil)
	case rst && cfg.RFC1337:
		// RFC 1337 §3: ignore an RST in TIME_WAIT, so that an old one
		// cannot assassinate the connection early.
	case rst:
		// RFC 9293: "If the RST bit is set then, enter the CLOSED state".
		w.End(now, segCause(seg), obs)
	case seg.Flags&wire.FlagSYN != 0:
		// Fourth: a SYN that is not a new incarnation is an old
		// duplicate; it gets TIME_WAIT's ACK.
		w.flags |= twAckNow
	case seg.Flags&wire.FlagACK == 0:
		// Fifth: "if the ACK bit is off drop the segment".
	case seg.Ack.GreaterThan(w.sndNxt):
		// An ACK for something not yet sent is acknowledged (RFC 5961 §5.2).
		w.flags |= twAckNow
	case seg.Ack.LessThan(w.sndNxt.Add(-w.maxWnd)):
		// RFC 5961 §5.2: too old to be a plausible duplicate.
		stats.ChallengeAcks++
		w.invalidAck(now, cfg, stats, nil)
	case seg.Flags&wire.FlagFIN != 0:
		// Eighth: any other FIN is acknowledged and restarts 2×MSL;
		// data, the seventh step, is ignored.
		w.restart(now, cfg)
	}
}

// invalidAck queues the ACK to an unacceptable segment, within the rate
// limit of TCB.invalidAck.
func (w *TimeWaitEntry) invalidAck(now clock.Instant, cfg *Config, stats *ConnStats, seg *Segment) {
	if invalidAckAllowed(cfg, &w.lastInvalidAck, now, &stats.InvalidAcksLimited, seg) {
		w.flags |= twAckNow
	}
}

// restart acknowledges a FIN and restarts the 2×MSL timer.
func (w *TimeWaitEntry) restart(now clock.Instant, cfg *Config) {
	w.flags |= twAckNow
	w.deadline = now.Add(cfg.TimeWait)
}

// NextSegment returns the ACK that Deliver queued, or ok=false.
func (w *TimeWaitEntry) NextSegment(now clock.Instant) (seg Segment, ok bool) {
	if w.flags&(twAckNow|twClosed) != twAckNow {
		return Segment{}, false
	}
	w.flags &^= twAckNow
	seg = Segment{Seq: w.sndNxt, Ack: w.rcvNxt, Flags: wire.FlagACK, Window: w.window}
	if w.has(twTimestamps) {
		seg.Options.TSVal, seg.Options.TSEcr, seg.Options.HasTS = tsValue(now, w.tsOffset), w.tsRecent, true
	}
	w.lastAck = w.rcvNxt
	w.rcvWnd = max(w.rcvWnd, uint32(w.window)<<w.wscale)
	return seg, true
}

// AcceptsNewIncarnation reports whether a SYN for the entry's 4-tuple is
// certainly not an old duplicate (RFC 6191 §2): its timestamp is newer than
// TS.Recent when both ends use timestamps, else its sequence number lies
// beyond RCV.NXT. Such a SYN may end TIME_WAIT and open a new connection.
func (w *TimeWaitEntry) AcceptsNewIncarnation(syn *Segment) bool {
	if w.has(twClosed) {
		return false
	}
	if w.has(twTimestamps) && syn.Options.HasTS {
		return int32(syn.Options.TSVal-w.tsRecent) > 0
	}
	return syn.Seq.GreaterThan(w.rcvNxt)
}

// Deadline is when 2×MSL ends, or clock.Never once the entry is closed.
func (w *TimeWaitEntry) Deadline() clock.Instant {
	if w.has(twClosed) {
		return clock.Never
	}
	return w.deadline
}

// Tick ends TIME_WAIT when 2×MSL has passed (RFC 9293 §3.10.7.4: "When
// the time-wait timeout expires, delete the TCB"); obs records the timer
// and the change.
func (w *TimeWaitEntry) Tick(now clock.Instant, obs Observer) {
	if w.has(twClosed) || now < w.deadline {
		return
	}
	obs.TimerFired(now, TimerTimeWait)
	w.End(now, timerCause(TimerTimeWait), obs)
}

// End ends TIME_WAIT for why, which obs records as the change to CLOSED:
// 2×MSL, an RST, a new incarnation (RFC 6191), an ABORT, a full TIME_WAIT
// table, or a host crash (users then see ECONNABORTED).
func (w *TimeWaitEntry) End(now clock.Instant, why Cause, obs Observer) {
	if w.has(twClosed) {
		return
	}
	w.flags |= twClosed
	if why.Kind == CauseCrash {
		w.flags |= twCrashed
	}
	obs.StateChanged(now, TimeWait, Closed, why)
}

// State is TIME_WAIT, or CLOSED once the entry has been closed.
func (w *TimeWaitEntry) State() State {
	if w.has(twClosed) {
		return Closed
	}
	return TimeWait
}

// Err returns the errno the connection ended with: ECONNABORTED after a
// host crash, else 0.
func (w *TimeWaitEntry) Err() syscall.Errno {
	if w.has(twCrashed) {
		return syscall.ECONNABORTED
	}
	return 0
}

// CallErr is what a user call returns on a connection in TIME_WAIT or
// CLOSED after it, as the TCB's methods would: SEND and a half-close get
// "connection closing" (RFC 9293 §3.10.2, §3.10.4: EPIPE), CLOSE succeeds;
// once closed, the connection's error, else EPIPE for SEND and ENOTCONN
// for the others.
func (w *TimeWaitEntry) CallErr(c Call) error {
	switch {
	case !w.has(twClosed) && c == CallClose:
		return nil
	case !w.has(twClosed):
		return syscall.EPIPE
	case w.has(twCrashed):
		return syscall.ECONNABORTED
	case c == CallSend:
		return syscall.EPIPE
	}
	return syscall.ENOTCONN
}

// ICMPError reports whether an ICMP error quoting seq is about this
// connection (RFC 5927 §4.1: the one sequence number it may have in
// flight). Nothing changes: a soft error matters only to a connection
// that can still time out, and a smaller path MTU (RFC 1191, RFC 8201)
// only to one that still sends data.
func (w *TimeWaitEntry) ICMPError(seq Seq) bool { return !w.has(twClosed) && seq == w.sndNxt }

// Info returns what remains of the connection's variables.
func (w *TimeWaitEntry) Info() Info {
	return Info{State: w.State(), SndUna: w.sndNxt, SndNxt: w.sndNxt, RcvNxt: w.rcvNxt,
		RcvWnd: w.rcvWnd, RcvWScale: w.wscale, Timestamps: w.has(twTimestamps)}
}

// ReusableBy reports whether an active open may take over the entry's
// 4-tuple at now, as Linux's tcp_twsk_unique allows with tcp_tw_reuse:
// only when both ends used timestamps, so that PAWS (RFC 7323 §5) tells
// the old incarnation's segments from the new one's, and only once
// TIME_WAIT has lasted delay (tcp_tw_reuse_delay: 1 s).
func (w *TimeWaitEntry) ReusableBy(now clock.Instant, delay, msl2 time.Duration) bool {
	return !w.has(twClosed) && w.has(twTimestamps) && now.Sub(w.deadline.Add(-msl2)) >= delay
}

// ReuseISS is the ISS for a new incarnation that takes over the entry's
// 4-tuple: beyond anything the old one can still have in flight, as Linux
// starts it at tw_snd_nxt + 65535 + 2.
func (w *TimeWaitEntry) ReuseISS() Seq { return w.sndNxt.Add(65535 + 2) }
