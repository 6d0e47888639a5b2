package tcp

import (
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// Per-state fixtures: a TCB brought into each of the eleven states of
// RFC 9293 §3.3.2 by exact segments at explicit virtual times, so that a
// test of a §3.10.7 step starts in the state where the rule applies. Each
// builder checks every segment on the way and documents the variables it
// leaves. Our ISS is 1000 and the peer's 5000; neither side sends options,
// so the MSS is 536 and the windows are unscaled. From ESTABLISHED on, the
// variables do not depend on how the connection was opened (the RTT is
// 100 ms either way, so the RTO is 300 ms), and one test runs on both
// sides with the same expectations.

// opening is how a fixture's connection was opened.
type opening uint8

const (
	activeOpen  opening = iota // connect: our SYN at 0, the peer's SYN-ACK at 100 ms
	passiveOpen                // a listener took the peer's SYN at 0; its ACK came at 100 ms
)

var openings = []opening{activeOpen, passiveOpen}

func (o opening) String() string {
	if o == passiveOpen {
		return "passive"
	}
	return "active"
}

// eachOpening runs test as one subtest per opening.
func eachOpening(t *testing.T, test func(t *testing.T, o opening)) {
	for _, o := range openings {
		t.Run(o.String(), func(t *testing.T) { test(t, o) })
	}
}

// synSent: CLOSED -> SYN_SENT by connect at 0, the SYN sent. SND.NXT
// 1001; the SYN is resent at 1 s (the initial RTO), then at 3 s, 7 s ...
func synSent(t *testing.T, mod func(*Config)) *fixture {
	f := newFixture(t, mod)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.check("connect")
	f.expect("<SEQ=1000><CTL=SYN><LEN=0>")
	f.state(SynSent)
	return f
}

// synRcvdPassive: a listener's TCB took <SEQ=5000><CTL=SYN> at 0 and
// answered with its SYN-ACK (LISTEN -> SYN_RCVD). RCV.NXT 5001, SND.NXT
// 1001, SND.UNA 1000; the SYN-ACK is resent at 1 s, then 3 s, 7 s ...
func synRcvdPassive(t *testing.T, mod func(*Config)) *fixture {
	f := newFixture(t, mod)
	syn := Segment{Seq: testIRS, Flags: wire.FlagSYN, Window: 65535}
	f.tcb = NewPassive(&f.cfg, 0, f.params(testISS), &syn)
	f.check("listener's SYN")
	f.expect("<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>")
	f.state(SynReceived)
	return f
}

// synRcvdSimultaneous: a simultaneous open (RFC 9293 Figure 7). Our SYN
// went at 0; the peer's SYN, which does not acknowledge ours, arrived at
// 50 ms (SYN_SENT -> SYN_RCVD) and we answered with a SYN-ACK that
// repeats our SYN. RCV.NXT 5001, SND.NXT 1001, SND.UNA 1000; the SYN-ACK
// is resent at 1.05 s (the initial RTO, restarted).
func synRcvdSimultaneous(t *testing.T, mod func(*Config)) *fixture {
	return synSent(t, mod).reach(50*time.Millisecond, "<SEQ=5000><CTL=SYN>", SynReceived, "<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>")
}

// establishedBy: ESTABLISHED at 100 ms, opened as o says. SND.UNA =
// SND.NXT = 1001, RCV.NXT 5001, SND.WND 65535, RTO 300 ms; no timer runs.
func establishedBy(t *testing.T, o opening, mod func(*Config)) *fixture {
	if o == activeOpen {
		return established(t, mod)
	}
	return synRcvdPassive(t, mod).reach(100*time.Millisecond, "<SEQ=5001><ACK=1001><CTL=ACK>", Established)
}

// finWait1: ESTABLISHED, then Close at 1 s: our FIN went at once
// (ESTABLISHED -> FIN_WAIT_1) and is resent at 1.3 s. SND.UNA 1001,
// SND.NXT 1002 (the FIN is 1001), RCV.NXT 5001. The connection is
// orphaned: new data from the peer resets it.
func finWait1(t *testing.T, o opening, mod func(*Config)) *fixture {
	return finWait1By(t, o, mod, (*fixture).close)
}

// finWait1Half is finWait1 by Shutdown instead of Close: a half-close, so
// the peer may go on sending and we go on reading.
func finWait1Half(t *testing.T, o opening, mod func(*Config)) *fixture {
	return finWait1By(t, o, mod, (*fixture).shutdown)
}

func finWait1By(t *testing.T, o opening, mod func(*Config), call func(*fixture) error) *fixture {
	f := establishedBy(t, o, mod)
	f.at(time.Second)
	if err := call(f); err != nil {
		t.Fatal(err)
	}
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	f.state(FinWait1)
	return f
}

// finWait2: finWait1, then the peer acknowledged our FIN at 1.1 s
// (FIN_WAIT_1 -> FIN_WAIT_2). SND.UNA = SND.NXT = 1002, RCV.NXT 5001.
// The connection is orphaned, so it ends at 61.1 s (FinWait2Timeout).
func finWait2(t *testing.T, o opening, mod func(*Config)) *fixture {
	return ourFinAcked(finWait1(t, o, mod))
}

// finWait2Half is finWait2 after a Shutdown: no timer runs, the peer may
// take as long as it likes.
func finWait2Half(t *testing.T, o opening, mod func(*Config)) *fixture {
	return ourFinAcked(finWait1Half(t, o, mod))
}

func ourFinAcked(f *fixture) *fixture {
	return f.reach(1100*time.Millisecond, "<SEQ=5001><ACK=1002><CTL=ACK>", FinWait2)
}

// closing: a simultaneous close. finWait1, then at 1.05 s the peer's FIN
// crossed ours without acknowledging it (FIN_WAIT_1 -> CLOSING), and we
// acknowledged it. SND.UNA 1001, SND.NXT 1002, RCV.NXT 5002; our FIN is
// still resent at 1.3 s.
func closing(t *testing.T, o opening, mod func(*Config)) *fixture {
	return finWait1(t, o, mod).reach(1050*time.Millisecond, "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", Closing, "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>")
}

// timeWait: finWait2, then the peer's FIN at 2 s (FIN_WAIT_2 ->
// TIME_WAIT), acknowledged. SND.NXT 1002, RCV.NXT 5002; 2×MSL ends at
// 62 s.
func timeWait(t *testing.T, o opening, mod func(*Config)) *fixture {
	return finWait2(t, o, mod).reach(2*time.Second, "<SEQ=5001><ACK=1002><CTL=FIN,ACK>", TimeWait, "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>")
}

// closeWait: ESTABLISHED, then the peer's FIN at 1 s (ESTABLISHED ->
// CLOSE_WAIT), acknowledged at once (quick-ack mode). SND.UNA = SND.NXT =
// 1001, RCV.NXT 5002; no timer runs.
func closeWait(t *testing.T, o opening, mod func(*Config)) *fixture {
	return establishedBy(t, o, mod).reach(time.Second, "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", CloseWait, "<SEQ=1001><ACK=5002><CTL=ACK><LEN=0>")
}

// lastAck: closeWait, then Close at 2 s: our FIN went at once (CLOSE_WAIT
// -> LAST_ACK) and is resent at 2.3 s. SND.UNA 1001, SND.NXT 1002,
// RCV.NXT 5002.
func lastAck(t *testing.T, o opening, mod func(*Config)) *fixture {
	f := closeWait(t, o, mod)
	f.at(2 * time.Second)
	if err := f.close(); err != nil {
		t.Fatal(err)
	}
	f.expect("<SEQ=1001><ACK=5002><CTL=FIN,ACK><LEN=0>")
	f.state(LastAck)
	return f
}

// closedAfterLastAck: lastAck, then the peer acknowledged our FIN at
// 2.1 s (LAST_ACK -> CLOSED): an orderly close, no error.
func closedAfterLastAck(t *testing.T, o opening, mod func(*Config)) *fixture {
	return lastAck(t, o, mod).reach(2100*time.Millisecond, "<SEQ=5002><ACK=1002><CTL=ACK>", Closed)
}

// listenAgain: synRcvdPassive, then an RST at RCV.NXT at 100 ms sent the
// TCB back to LISTEN (RFC 9293 §3.10.7.4 second), silently, with no timer.
func listenAgain(t *testing.T, mod func(*Config)) *fixture {
	return synRcvdPassive(t, mod).reach(100*time.Millisecond, "<SEQ=5001><CTL=RST>", Listen)
}

// reach runs the fixture on to d, when the peer's segment in takes the
// TCB to state, drawing want.
func (f *fixture) reach(d time.Duration, in string, state State, want ...string) *fixture {
	f.t.Helper()
	f.at(d)
	f.recv(in)
	f.expect(want...)
	f.state(state)
	return f
}
