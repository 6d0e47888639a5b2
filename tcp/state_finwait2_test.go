package tcp

import (
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// FIN_WAIT_2: our FIN was acknowledged at 1.1 s; SND.UNA = SND.NXT 1002,
// RCV.NXT 5001. finWait2 is orphaned and ends at 61.1 s; finWait2Half is
// half-closed and waits for the peer as long as it takes.

// RFC 9293 §3.10.7.4 first, second and fourth in FIN_WAIT_2.
func TestFinWait2SequenceResetSyn(t *testing.T) {
	const ack = "<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"
	checkReactions(t, openings, finWait2, []reaction{
		{name: "data wholly before RCV.NXT", in: "<SEQ=4991><ACK=1002><CTL=ACK><LEN=10>", out: []string{ack}, state: FinWait2},
		{name: "empty segment past the window", in: "<SEQ=70536><ACK=1002><CTL=ACK>", out: []string{ack}, state: FinWait2},
		{name: "RST at RCV.NXT", in: "<SEQ=5001><CTL=RST>", state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "RST in the window", in: "<SEQ=5101><CTL=RST>", out: []string{ack}, state: FinWait2},
		{name: "RST outside the window", in: "<SEQ=4001><CTL=RST>", state: FinWait2},
		{name: "SYN in the window", in: "<SEQ=5101><CTL=SYN>", out: []string{ack}, state: FinWait2},
	})
	eachOpening(t, func(t *testing.T, o opening) {
		checkInvalidAckRateLimit(t, finWait2(t, o, fastInvalidAcks), "<SEQ=70536><ACK=1002><CTL=ACK>", ack)
	})
}

// RFC 9293 §3.10.7.4 fifth in FIN_WAIT_2: everything is acknowledged, so
// a duplicate or older ACK changes nothing, one above SND.MAX draws an
// ACK, and none of them touches the FIN_WAIT_2 timer.
func TestFinWait2AckField(t *testing.T) {
	checkReactions(t, openings, finWait2, []reaction{
		{name: "ACK at SND.UNA", in: "<SEQ=5001><ACK=1002><CTL=ACK>", state: FinWait2},
		{name: "ACK below SND.UNA", in: "<SEQ=5001><ACK=1001><CTL=ACK>", state: FinWait2},
		{name: "ACK older than SND.UNA-MAX.SND.WND", in: "<SEQ=5001><ACK=4294902762><CTL=ACK>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait2},
		{name: "ACK above SND.MAX", in: "<SEQ=5001><ACK=1003><CTL=ACK>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait2},
		{name: "no ACK bit", in: "<SEQ=5001><CTL=PSH><LEN=10>", state: FinWait2},
	})
}

// RFC 9293 §3.10.7.4 seventh in FIN_WAIT_2: a half-closed connection
// takes data; an orphaned one is reset by it (RFC 2525 §2.17; Linux).
func TestFinWait2Text(t *testing.T) {
	checkReactions(t, openings, finWait2Half, []reaction{
		{name: "half-closed: data", in: "<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5011><CTL=ACK><LEN=0>"}, state: FinWait2, readable: 10},
		{name: "half-closed: data out of order", in: "<SEQ=5011><ACK=1002><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait2},
	})
	checkReactions(t, openings, finWait2, []reaction{
		{name: "orphaned: data", in: "<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><CTL=RST><LEN=0>"}, state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "orphaned: data beyond a hole", in: "<SEQ=5011><ACK=1002><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><CTL=RST><LEN=0>"}, state: Closed, err: syscall.ECONNRESET, next: never},
	})
}

// RFC 9293 §3.10.7.4 eighth in FIN_WAIT_2: the peer's FIN ends in
// TIME_WAIT, 2×MSL from its arrival; with data, the data is taken first;
// beyond a hole it waits.
func TestFinWait2Fin(t *testing.T) {
	const ack = "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>"
	checkReactions(t, openings, finWait2Half, []reaction{
		{name: "FIN", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK>", out: []string{ack}, state: TimeWait, next: 61100 * time.Millisecond},
		{name: "FIN with data", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5012><CTL=ACK><LEN=0>"}, state: TimeWait, readable: 10, next: 61100 * time.Millisecond},
		{name: "FIN beyond a hole", in: "<SEQ=5011><ACK=1002><CTL=FIN,ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait2},
		{name: "FIN outside the window", in: "<SEQ=4000><ACK=1002><CTL=FIN,ACK>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait2},
	})
	// Orphaned, the FIN at 30 s replaces the FIN_WAIT_2 timer by 2×MSL.
	eachOpening(t, func(t *testing.T, o opening) {
		f := finWait2(t, o, nil)
		f.at(30 * time.Second)
		f.recv("<SEQ=5001><ACK=1002><CTL=FIN,ACK>")
		f.expect(ack)
		f.state(TimeWait)
		f.at(61100 * time.Millisecond)
		f.state(TimeWait)
		f.edge(90 * time.Second)
		f.state(Closed)
		lastChange(t, f, "TIME_WAIT->CLOSED (timer 2msl)")
	})
}

// Linux tcp_fin_timeout: an orphaned FIN_WAIT_2 ends exactly
// FinWait2Timeout (60 s) after our FIN was acknowledged, silently, and
// segments that arrive meanwhile do not restart the timer.
func TestFinWait2OrphanTimeout(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := finWait2(t, o, nil)
		f.at(30 * time.Second)
		f.recv("<SEQ=5001><ACK=1002><CTL=ACK>")
		f.expect()
		f.edge(61100 * time.Millisecond)
		f.state(Closed)
		if f.tcb.Err() != 0 {
			t.Errorf("Err %v, want none", f.tcb.Err())
		}
		lastFired(t, f, TimerFinWait2)
		lastChange(t, f, "FIN_WAIT_2->CLOSED (timer fin-wait-2)")
	})
}

// RFC 9293: a half-closed FIN_WAIT_2 waits for the peer without a timer;
// a Close later orphans it and starts FinWait2Timeout from the call.
func TestFinWait2HalfClosedWaits(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := finWait2Half(t, o, nil)
		if d := f.tcb.NextDeadline(); d != clock.Never {
			t.Fatalf("a timer at %v in a half-closed FIN_WAIT_2", d)
		}
		f.at(1000 * time.Second)
		f.state(FinWait2)
		if err := f.close(); err != nil {
			t.Fatal(err)
		}
		f.expect()
		f.edge(1060 * time.Second)
		f.state(Closed)
		lastChange(t, f, "FIN_WAIT_2->CLOSED (timer fin-wait-2)")
	})
}

// User calls in FIN_WAIT_2: SEND and a half-close are refused (EPIPE),
// CLOSE is fine; ABORT sends <SEQ=SND.NXT><CTL=RST>.
func TestFinWait2Calls(t *testing.T) {
	checkCallsAfterOurFin(t, finWait2Half, "<SEQ=1002><ACK=5001><CTL=RST,ACK><LEN=0>")
}

// A half-closed FIN_WAIT_2 reads the peer's data to the end: the data,
// then the FIN (to TIME_WAIT), then io.EOF.
func TestFinWait2HalfClosedReadsToEOF(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := finWait2Half(t, o, nil)
		f.at(2 * time.Second)
		f.recv("<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>")
		f.expect("<SEQ=1002><ACK=5011><CTL=ACK><LEN=0>")
		f.recv("<SEQ=5011><ACK=1002><CTL=FIN,ACK>")
		f.expect("<SEQ=1002><ACK=5012><CTL=ACK><LEN=0>")
		f.state(TimeWait)
		if n, err := f.read(); n != 10 || err != nil {
			t.Errorf("Read: %d, %v; want 10 bytes", n, err)
		}
		if n, err := f.read(); n != 0 || err != io.EOF {
			t.Errorf("Read: %d, %v; want EOF", n, err)
		}
	})
}
