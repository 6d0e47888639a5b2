package tcp

import (
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// FIN_WAIT_1: our FIN (1001) is out since 1 s and unacknowledged; SND.NXT
// 1002, RCV.NXT 5001. finWait1 is orphaned (Close), finWait1Half
// half-closed (Shutdown). The FIN's retransmission until the connection
// gives up, and the user timeout, on both sides of each edge, are arc
// cases (state_arcs_close_test.go).

// RFC 9293 §3.10.7.4 first: unacceptable segments in FIN_WAIT_1 are
// acknowledged with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, at most one per
// AckRateLimit.
func TestFinWait1SequenceCheck(t *testing.T) {
	const ack = "<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"
	checkReactions(t, openings, finWait1, []reaction{
		{name: "data wholly before RCV.NXT", in: "<SEQ=4991><ACK=1001><CTL=ACK><LEN=10>", out: []string{ack}, state: FinWait1},
		{name: "data past the window", in: "<SEQ=70536><ACK=1001><CTL=ACK><LEN=10>", out: []string{ack}, state: FinWait1},
		{name: "empty segment past the window", in: "<SEQ=70536><ACK=1002><CTL=ACK>", out: []string{ack}, state: FinWait1},
	})
	eachOpening(t, func(t *testing.T, o opening) {
		checkInvalidAckRateLimit(t, finWait1(t, o, fastInvalidAcks), "<SEQ=70536><ACK=1001><CTL=ACK>", ack)
	})
}

// RFC 9293 §3.10.7.4 second and fourth in FIN_WAIT_1 (RFC 5961 §3.2, §4).
func TestFinWait1ResetAndSyn(t *testing.T) {
	const challenge = "<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"
	checkReactions(t, openings, finWait1, []reaction{
		{name: "RST at RCV.NXT", in: "<SEQ=5001><CTL=RST>", state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "RST in the window", in: "<SEQ=5101><CTL=RST>", out: []string{challenge}, state: FinWait1},
		{name: "RST outside the window", in: "<SEQ=70536><CTL=RST>", state: FinWait1},
		{name: "SYN in the window", in: "<SEQ=5101><CTL=SYN>", out: []string{challenge}, state: FinWait1},
	})
}

// RFC 9293 §3.10.7.4 fifth in FIN_WAIT_1: the ACK of our FIN moves to
// FIN_WAIT_2 (and, orphaned, starts the 60 s FIN_WAIT_2 timer); an ACK
// below it changes nothing; one above SND.MAX draws an ACK.
func TestFinWait1AckField(t *testing.T) {
	checkReactions(t, openings, finWait1, []reaction{
		{name: "ACK of our FIN", in: "<SEQ=5001><ACK=1002><CTL=ACK>", state: FinWait2, next: 61 * time.Second},
		{name: "ACK at SND.UNA", in: "<SEQ=5001><ACK=1001><CTL=ACK>", state: FinWait1},
		{name: "ACK below SND.UNA", in: "<SEQ=5001><ACK=1000><CTL=ACK>", state: FinWait1},
		{name: "ACK older than SND.UNA-MAX.SND.WND", in: "<SEQ=5001><ACK=4294902761><CTL=ACK>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait1},
		{name: "ACK above SND.MAX", in: "<SEQ=5001><ACK=1003><CTL=ACK>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait1},
		{name: "no ACK bit", in: "<SEQ=5001><CTL=FIN>", state: FinWait1},
	})
	checkReactions(t, openings, finWait1Half, []reaction{
		{name: "half-closed: ACK of our FIN, no timer", in: "<SEQ=5001><ACK=1002><CTL=ACK>", state: FinWait2, next: never},
	})
}

// RFC 9293 §3.10.7.4 seventh in FIN_WAIT_1: a half-closed connection
// takes data; an orphaned one is reset by new data, with the reset a
// closed port sends (RFC 2525 §2.17; Linux), but not by a retransmission
// of data it already had.
func TestFinWait1Text(t *testing.T) {
	checkReactions(t, openings, finWait1Half, []reaction{
		{name: "half-closed: data", in: "<SEQ=5001><ACK=1001><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5011><CTL=ACK><LEN=0>"}, state: FinWait1, readable: 10},
		{name: "half-closed: data and the ACK of our FIN", in: "<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5011><CTL=ACK><LEN=0>"}, state: FinWait2, readable: 10, next: never},
	})
	checkReactions(t, openings, finWait1, []reaction{
		{name: "orphaned: data", in: "<SEQ=5001><ACK=1001><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1001><CTL=RST><LEN=0>"}, state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "orphaned: data acknowledging our FIN", in: "<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><CTL=RST><LEN=0>"}, state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "orphaned: data with a FIN", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK><LEN=10>",
			out: []string{"<SEQ=1002><CTL=RST><LEN=0>"}, state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "orphaned: old data again", in: "<SEQ=4991><ACK=1001><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait1},
	})
}

// RFC 9293 §3.10.7.4 eighth in FIN_WAIT_1: the peer's FIN acknowledging
// ours ends in TIME_WAIT (2×MSL from 1 s); one that does not is a
// simultaneous close, CLOSING, with our FIN still to be acknowledged; a
// FIN beyond a hole waits.
func TestFinWait1Fin(t *testing.T) {
	const ack = "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>"
	checkReactions(t, openings, finWait1, []reaction{
		{name: "FIN acknowledging ours", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK>",
			out: []string{ack}, state: TimeWait, next: 61 * time.Second},
		{name: "FIN crossing ours", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK>",
			out: []string{ack}, state: Closing},
	})
	checkReactions(t, openings, finWait1Half, []reaction{
		{name: "half-closed: data and a FIN crossing ours", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5012><CTL=ACK><LEN=0>"}, state: Closing, readable: 10},
		{name: "half-closed: FIN beyond a hole", in: "<SEQ=5011><ACK=1002><CTL=FIN,ACK><LEN=10>",
			out: []string{"<SEQ=1002><ACK=5001><CTL=ACK><LEN=0>"}, state: FinWait2, next: never},
	})
}

// The ACK of a retransmitted FIN still moves FIN_WAIT_1 on, and a FIN
// sent after queued data is resent with the data it follows.
func TestFinWait1AckOfRetransmittedFin(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := finWait1(t, o, nil)
		f.edge(1300*time.Millisecond, "<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
		f.at(1400 * time.Millisecond)
		f.recv("<SEQ=5001><ACK=1002><CTL=ACK>")
		f.expect()
		f.state(FinWait2)
	})
	eachOpening(t, func(t *testing.T, o opening) {
		f := establishedBy(t, o, nil)
		f.at(time.Second)
		f.write(10)
		f.close()
		f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=10>")
		f.edge(1300*time.Millisecond, "<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=10>")
		f.recv("<SEQ=5001><ACK=1011><CTL=ACK>")
		f.state(FinWait1)
		f.recv("<SEQ=5001><ACK=1012><CTL=ACK>")
		f.state(FinWait2)
	})
}

// User calls in FIN_WAIT_1 (RFC 9293 §3.10): SEND and a second CLOSE of
// the sending side are refused, "connection closing"; Close after
// Shutdown is fine; ABORT sends <SEQ=SND.NXT><CTL=RST>.
func TestFinWait1Calls(t *testing.T) {
	checkCallsAfterOurFin(t, finWait1Half, "<SEQ=1002><ACK=5001><CTL=RST,ACK><LEN=0>")
}

// Close after Shutdown orphans the connection in FIN_WAIT_1: the ACK of
// our FIN then starts the FIN_WAIT_2 timer (61.1 s), and new data resets.
func TestFinWait1CloseAfterShutdownOrphans(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := finWait1Half(t, o, nil)
		if err := f.close(); err != nil {
			t.Fatal(err)
		}
		f.expect()
		f.reach(1100*time.Millisecond, "<SEQ=5001><ACK=1002><CTL=ACK>", FinWait2)
		if d := f.tcb.NextDeadline(); d != clock.Instant(61100*time.Millisecond) {
			t.Errorf("next deadline %v, want the FIN_WAIT_2 timer at 61.1s", d)
		}
		f.reach(1200*time.Millisecond, "<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>", Closed, "<SEQ=1002><CTL=RST><LEN=0>")
	})
}
