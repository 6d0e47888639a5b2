package tcp

import (
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// timeWaitFixture returns a TCB in TIME_WAIT since 1 s: it opened actively
// (ISS 1000; the peer's IRS 5000, timestamps on, window scale 7), closed
// first, had its FIN acknowledged at 200 ms, and took the peer's FIN, with
// TSval 1100, at 1 s. SND.NXT is 1002, RCV.NXT 5002, TS.Recent 1100. It
// also returns the window of the ACK of that FIN.
func timeWaitFixture(t *testing.T, mod func(*Config)) (*fixture, uint16) {
	f := newFixture(t, mod)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.drain()
	f.at(100 * time.Millisecond)
	f.in(Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535,
		Options: wire.TCPOptions{HasTS: true, TSVal: 1000, HasWScale: true, WScale: 7}})
	f.drain()
	f.tcb.Close(f.now)
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	f.at(200 * time.Millisecond)
	f.in(Segment{Seq: testIRS + 1, Ack: testISS + 2, Flags: wire.FlagACK, Window: 1000,
		Options: wire.TCPOptions{HasTS: true, TSVal: 1050}})
	f.state(FinWait2)
	f.at(time.Second)
	f.in(Segment{Seq: testIRS + 1, Ack: testISS + 2, Flags: wire.FlagFIN | wire.FlagACK, Window: 1000,
		Options: wire.TCPOptions{HasTS: true, TSVal: 1100}})
	seg, ok := f.tcb.NextSegment(f.now, f.buf)
	if got := replyString(seg, ok); got != fmt.Sprintf("<SEQ=1002><ACK=5002><CTL=ACK><LEN=0><WND=%d><TS=1000,1100>", seg.Window) {
		t.Fatalf("the FIN's ACK: %s", got)
	}
	f.expect()
	f.state(TimeWait)
	return f, seg.Window
}

// twOutcome is what one segment did to a connection in TIME_WAIT.
type twOutcome struct {
	reply    string // the segment sent, with its window and timestamps, or ""
	state    State
	deadline clock.Instant
	tsRecent uint32
	stats    ConnStats // PAWS, out of window, challenge ACKs, rate-limited ACKs
}

func (o twOutcome) String() string {
	return fmt.Sprintf("reply %q, %v, deadline %v, TS.Recent %d, %+v", o.reply, o.state, o.deadline, o.tsRecent, o.stats)
}

func replyString(s Segment, ok bool) string {
	if !ok {
		return ""
	}
	return fmt.Sprintf("%s<WND=%d><TS=%d,%d>", brief(&s), s.Window, s.Options.TSVal, s.Options.TSEcr)
}

func counted(s ConnStats) ConnStats {
	return ConnStats{PAWSRejected: s.PAWSRejected, OutOfWindow: s.OutOfWindow, ChallengeAcks: s.ChallengeAcks,
		InvalidAcksLimited: s.InvalidAcksLimited}
}

// The TIME_WAIT rules (RFC 9293 §3.10.7.4, RFC 7323 §5.3, RFC 5961, RFC
// 1337), segment by segment, applied by a TCB in TIME_WAIT and by the
// compact entry that replaces it: both must give exactly the same reply,
// state, 2×MSL deadline, TS.Recent and counts.
func TestTimeWaitRules(t *testing.T) {
	const (
		una   = testISS + 2 // SND.NXT = SND.UNA
		nxt   = testIRS + 2 // RCV.NXT
		ack   = "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0><WND=%d><TS=%d,%d>"
		entry = time.Second
		now   = 2 * time.Second
	)
	ts := func(v uint32) wire.TCPOptions { return wire.TCPOptions{HasTS: true, TSVal: v} }
	ancient := uint32(200000) // beyond the peer's largest window, 1000<<7
	type want struct {
		ack      bool // an ACK is sent
		state    State
		restart  bool // 2×MSL restarts from now
		tsRecent uint32
		stats    ConnStats
	}
	cases := []struct {
		name    string
		rfc1337 bool
		seg     Segment
		want    want
	}{
		{"retransmitted FIN", true,
			Segment{Seq: nxt - 1, Ack: una, Flags: wire.FlagFIN | wire.FlagACK, Options: ts(1100)},
			want{ack: true, state: TimeWait, restart: true, tsRecent: 1100}},
		{"retransmitted FIN with an old timestamp", true,
			Segment{Seq: nxt - 1, Ack: una, Flags: wire.FlagFIN | wire.FlagACK, Options: ts(900)},
			want{ack: true, state: TimeWait, restart: true, tsRecent: 1100}},
		{"retransmitted data and FIN", true,
			Segment{Seq: nxt - 11, Ack: una, Flags: wire.FlagFIN | wire.FlagACK, Options: ts(1100), Payload: make([]byte, 10)},
			want{ack: true, state: TimeWait, restart: true, tsRecent: 1100}},
		{"PAWS: an old timestamp", true,
			Segment{Seq: nxt, Ack: una, Flags: wire.FlagACK, Options: ts(900), Payload: make([]byte, 10)},
			want{ack: true, state: TimeWait, tsRecent: 1100, stats: ConnStats{PAWSRejected: 1}}},
		{"old duplicate data, out of the window", true,
			Segment{Seq: testIRS - 1000, Ack: una, Flags: wire.FlagACK, Options: ts(1200), Payload: make([]byte, 10)},
			want{ack: true, state: TimeWait, tsRecent: 1100, stats: ConnStats{OutOfWindow: 1}}},
		{"RST at RCV.NXT, RFC 1337", true,
			Segment{Seq: nxt, Flags: wire.FlagRST},
			want{state: TimeWait, tsRecent: 1100}},
		{"RST at RCV.NXT without RFC 1337", false,
			Segment{Seq: nxt, Flags: wire.FlagRST},
			want{state: Closed, tsRecent: 1100}},
		{"RST in the window, not at RCV.NXT", true,
			Segment{Seq: nxt + 100, Flags: wire.FlagRST},
			want{ack: true, state: TimeWait, tsRecent: 1100, stats: ConnStats{ChallengeAcks: 1}}},
		{"RST out of the window", false,
			Segment{Seq: nxt - 1000, Flags: wire.FlagRST},
			want{state: TimeWait, tsRecent: 1100}},
		{"SYN in the window", true,
			Segment{Seq: nxt + 10, Flags: wire.FlagSYN, Options: ts(1200)},
			want{ack: true, state: TimeWait, tsRecent: 1100}},
		{"SYN at RCV.NXT", true,
			Segment{Seq: nxt, Flags: wire.FlagSYN, Options: ts(1200)},
			want{ack: true, state: TimeWait, tsRecent: 1200}},
		{"SYN with an old timestamp", true,
			Segment{Seq: nxt + 10, Flags: wire.FlagSYN, Options: ts(900)},
			want{ack: true, state: TimeWait, tsRecent: 1100, stats: ConnStats{PAWSRejected: 1}}},
		{"data in the window", true,
			Segment{Seq: nxt, Ack: una, Flags: wire.FlagACK, Options: ts(1200), Payload: make([]byte, 10)},
			want{state: TimeWait, tsRecent: 1200}},
		{"pure ACK", true,
			Segment{Seq: nxt, Ack: una, Flags: wire.FlagACK, Options: ts(1200)},
			want{state: TimeWait, tsRecent: 1200}},
		{"ACK of something never sent", true,
			Segment{Seq: nxt, Ack: una + 1000, Flags: wire.FlagACK, Options: ts(1200)},
			want{ack: true, state: TimeWait, tsRecent: 1200}},
		{"ACK too old (RFC 5961 §5.2)", true,
			Segment{Seq: nxt, Ack: una - Seq(ancient), Flags: wire.FlagACK, Options: ts(1200)},
			want{ack: true, state: TimeWait, tsRecent: 1200, stats: ConnStats{ChallengeAcks: 1}}},
		{"a new FIN", true,
			Segment{Seq: nxt, Ack: una, Flags: wire.FlagFIN | wire.FlagACK, Options: ts(1200)},
			want{ack: true, state: TimeWait, restart: true, tsRecent: 1200}},
		{"a FIN without ACK", true,
			Segment{Seq: nxt, Flags: wire.FlagFIN, Options: ts(1200)},
			want{state: TimeWait, tsRecent: 1200}},
		{"a segment past Last.ACK.sent", true,
			Segment{Seq: nxt + 10, Ack: una, Flags: wire.FlagACK, Options: ts(1200)},
			want{state: TimeWait, tsRecent: 1100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mod := func(cfg *Config) { cfg.RFC1337 = c.rfc1337 }

			// The TCB in TIME_WAIT.
			f, wnd := timeWaitFixture(t, mod)
			base := counted(f.tcb.Stats())
			own := f.tcb.TimeWaitEntry() // holds the TCB's TS.Recent in TIME_WAIT
			f.at(now)
			f.in(c.seg)
			seg, ok := f.tcb.NextSegment(f.now, f.buf)
			st := counted(f.tcb.Stats())
			st.PAWSRejected -= base.PAWSRejected
			st.OutOfWindow -= base.OutOfWindow
			st.ChallengeAcks -= base.ChallengeAcks
			st.InvalidAcksLimited -= base.InvalidAcksLimited
			viaTCB := twOutcome{replyString(seg, ok), f.tcb.State(), f.tcb.NextDeadline(), own.tsRecent, st}

			// The entry that replaces it.
			g, _ := timeWaitFixture(t, mod)
			w := g.tcb.TimeWaitEntry()
			var stats ConnStats
			var rec recorder
			w.Deliver(clock.Instant(now), &c.seg, &g.cfg, &stats, &rec)
			seg, ok = w.NextSegment(clock.Instant(now))
			viaEntry := twOutcome{replyString(seg, ok), w.State(), w.Deadline(), w.tsRecent, stats}

			deadline := clock.Instant(entry + 60*time.Second)
			if c.want.restart {
				deadline = clock.Instant(now + 60*time.Second)
			}
			if c.want.state == Closed {
				deadline = clock.Never
			}
			wanted := twOutcome{state: c.want.state, deadline: deadline, tsRecent: c.want.tsRecent, stats: c.want.stats}
			if c.want.ack {
				// TSval: our clock in ms (2000) plus the fixture's zero offset.
				wanted.reply = fmt.Sprintf(ack, wnd, 2000, c.want.tsRecent)
			}
			if viaTCB != wanted {
				t.Errorf("TCB:   %v\nwant:  %v", viaTCB, wanted)
			}
			if viaEntry != viaTCB {
				t.Errorf("entry: %v\nTCB:   %v", viaEntry, viaTCB)
			}
		})
	}
}

// The ACKs that answer unacceptable segments are rate-limited in
// TIME_WAIT as in any state (RFC 5961 §7; Linux tcp_invalid_ratelimit),
// by the TCB and by the entry alike; those that TIME_WAIT's own rules call
// for (a repeated FIN) are not.
func TestTimeWaitAckRateLimit(t *testing.T) {
	old := Segment{Seq: testIRS + 1<<30, Ack: testISS + 2, Flags: wire.FlagACK} // past the window
	fin := Segment{Seq: testIRS + 1, Ack: testISS + 2, Flags: wire.FlagFIN | wire.FlagACK}
	steps := []struct {
		at   time.Duration
		seg  Segment
		sent bool
	}{
		{2000 * time.Millisecond, old, true},
		{2100 * time.Millisecond, old, false},
		{2200 * time.Millisecond, fin, true},
		{2499 * time.Millisecond, old, false},
		{2500 * time.Millisecond, old, true},
	}
	f, _ := timeWaitFixture(t, nil)
	g, _ := timeWaitFixture(t, nil)
	w := g.tcb.TimeWaitEntry()
	var stats ConnStats
	var rec recorder
	base := f.tcb.Stats().InvalidAcksLimited
	for _, s := range steps {
		f.at(s.at)
		f.in(s.seg)
		_, viaTCB := f.tcb.NextSegment(f.now, f.buf)
		w.Deliver(f.now, &s.seg, &g.cfg, &stats, &rec)
		_, viaEntry := w.NextSegment(f.now)
		if viaTCB != s.sent || viaEntry != s.sent {
			t.Errorf("at %v: ACK sent by the TCB %v, by the entry %v, want %v", s.at, viaTCB, viaEntry, s.sent)
		}
	}
	if n := f.tcb.Stats().InvalidAcksLimited - base; n != 2 || stats.InvalidAcksLimited != 2 {
		t.Errorf("limited: TCB %d, entry %d, want 2", n, stats.InvalidAcksLimited)
	}
}

// RFC 9293 §3.10.7.4: TIME_WAIT ends exactly 2×MSL after the last FIN,
// by the TCB's timer and by the entry's alone, with the same cause.
func TestTimeWaitExpiry(t *testing.T) {
	f, _ := timeWaitFixture(t, nil)
	g, _ := timeWaitFixture(t, nil)
	w := g.tcb.TimeWaitEntry()
	var rec recorder
	end := 61 * time.Second
	f.at(end - 1)
	f.state(TimeWait)
	f.at(end)
	f.state(Closed)
	if got := f.obs.changes[len(f.obs.changes)-1]; got != "TIME_WAIT->CLOSED (timer 2msl)" {
		t.Errorf("last change %q", got)
	}
	if w.Tick(clock.Instant(end-1), &rec); w.State() != TimeWait || len(rec.changes) != 0 {
		t.Errorf("the entry expired early: %v", rec.changes)
	}
	if w.Tick(clock.Instant(end), &rec); w.State() != Closed || w.Deadline() != clock.Never {
		t.Error("the entry did not expire at 2×MSL")
	}
	w.Tick(clock.Instant(end+1), &rec)
	if want := []string{"TIME_WAIT->CLOSED (timer 2msl)"}; !slices.Equal(rec.changes, want) || !slices.Equal(rec.fired, []Timer{TimerTimeWait}) {
		t.Errorf("the entry recorded %v and fired %v, want %v once", rec.changes, rec.fired, want)
	}
}

// RFC 6191 §2: a SYN reopens a TIME_WAIT 4-tuple only if its timestamp is
// newer than TS.Recent, or, without timestamps, its sequence number lies
// beyond RCV.NXT.
func TestTimeWaitNewIncarnation(t *testing.T) {
	f, _ := timeWaitFixture(t, nil)
	w := f.tcb.TimeWaitEntry()
	for _, c := range []struct {
		syn  Segment
		want bool
	}{
		{Segment{Seq: 1, Flags: wire.FlagSYN, Options: wire.TCPOptions{HasTS: true, TSVal: 1101}}, true},
		{Segment{Seq: 9999, Flags: wire.FlagSYN, Options: wire.TCPOptions{HasTS: true, TSVal: 1100}}, false},
		{Segment{Seq: testIRS + 3, Flags: wire.FlagSYN}, true},
		{Segment{Seq: testIRS + 2, Flags: wire.FlagSYN}, false},
	} {
		if got := w.AcceptsNewIncarnation(&c.syn); got != c.want {
			t.Errorf("entry: %v: %v, want %v", c.syn.String(), got, c.want)
		}
		if got := f.tcb.AcceptsNewIncarnation(&c.syn); got != c.want {
			t.Errorf("TCB: %v: %v, want %v", c.syn.String(), got, c.want)
		}
	}
	f.tcb.EndTimeWait(f.now, Cause{Kind: CauseCall, Call: CallAbort})
	if w.State() != Closed || f.tcb.State() != Closed || f.obs.changes[len(f.obs.changes)-1] != "TIME_WAIT->CLOSED (call abort)" {
		t.Errorf("ending the TCB's TIME_WAIT: entry %v, TCB %v, changes %v", w.State(), f.tcb.State(), f.obs.changes)
	}
	if w.AcceptsNewIncarnation(&Segment{Seq: 1, Flags: wire.FlagSYN, Options: wire.TCPOptions{HasTS: true, TSVal: 5000}}) {
		t.Error("a closed entry accepts a new incarnation")
	}
}

// User calls on a connection in TIME_WAIT, and in CLOSED after it, fail
// as they do on the TCB: EPIPE for SEND and shutdown, CLOSE succeeds; then
// ENOTCONN, or ECONNABORTED after a host crash.
func TestTimeWaitCallErrors(t *testing.T) {
	f, _ := timeWaitFixture(t, nil)
	w := f.tcb.TimeWaitEntry()
	check := func(when string, t *testing.T, send, shutdown, closing error) {
		t.Helper()
		_, tcbSend := f.tcb.Write([]byte("x"))
		for _, c := range []struct {
			call      Call
			want, tcb error
		}{
			{CallSend, send, tcbSend},
			{CallShutdown, shutdown, f.tcb.Shutdown(f.now)},
			{CallClose, closing, f.tcb.Close(f.now)},
		} {
			if got := w.CallErr(c.call); got != c.want || c.tcb != c.want {
				t.Errorf("%s: %v: entry %v, TCB %v, want %v", when, c.call, got, c.tcb, c.want)
			}
		}
	}
	check("in TIME_WAIT", t, syscall.EPIPE, syscall.EPIPE, nil)
	f.at(61 * time.Second)
	check("after TIME_WAIT", t, syscall.EPIPE, syscall.ENOTCONN, syscall.ENOTCONN)

	g, _ := timeWaitFixture(t, nil)
	w = g.tcb.TimeWaitEntry()
	var rec recorder
	w.End(g.now, Cause{Kind: CauseCrash}, &rec)
	f, _ = timeWaitFixture(t, nil)
	f.tcb.Crash(f.now)
	check("after a crash", t, syscall.ECONNABORTED, syscall.ECONNABORTED, syscall.ECONNABORTED)
	if w.Err() != syscall.ECONNABORTED || f.tcb.Err() != syscall.ECONNABORTED {
		t.Errorf("err: entry %v, TCB %v", w.Err(), f.tcb.Err())
	}
}
