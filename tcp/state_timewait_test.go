package tcp

import (
	"testing"
	"time"
)

// TIME_WAIT, without timestamps: the peer's FIN came at 2 s in
// FIN_WAIT_2 and was acknowledged; SND.NXT 1002, RCV.NXT 5002; 2×MSL
// (60 s) ends at 62 s, exactly (an arc case, state_arcs_close_test.go).
// (timewait_test.go has the rules with timestamps, and the compact entry
// that replaces the TCB.)

// RFC 9293 §3.10.7.4 in TIME_WAIT, step by step: the peer's FIN again is
// acknowledged; data is ignored; an RST at RCV.NXT is ignored (RFC 1337);
// one elsewhere in the window draws a challenge ACK (RFC 5961 §3.2); a
// SYN that is no new incarnation gets TIME_WAIT's ACK.
func TestTimeWaitSegments(t *testing.T) {
	const ack = "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>"
	checkReactions(t, openings, timeWait, []reaction{
		{name: "the peer's FIN again", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK>", out: []string{ack}, state: TimeWait},
		{name: "data at RCV.NXT", in: "<SEQ=5002><ACK=1002><CTL=ACK><LEN=10>", state: TimeWait},
		{name: "data wholly before RCV.NXT", in: "<SEQ=4991><ACK=1002><CTL=ACK><LEN=10>", out: []string{ack}, state: TimeWait},
		{name: "a pure ACK", in: "<SEQ=5002><ACK=1002><CTL=ACK>", state: TimeWait},
		{name: "ACK above SND.NXT", in: "<SEQ=5002><ACK=1003><CTL=ACK>", out: []string{ack}, state: TimeWait},
		{name: "ACK below SND.NXT", in: "<SEQ=5002><ACK=1001><CTL=ACK>", state: TimeWait},
		{name: "ACK older than SND.NXT-MAX.SND.WND", in: "<SEQ=5002><ACK=4294902762><CTL=ACK>", out: []string{ack}, state: TimeWait},
		{name: "RST at RCV.NXT (RFC 1337)", in: "<SEQ=5002><CTL=RST>", state: TimeWait},
		{name: "RST in the window", in: "<SEQ=5102><CTL=RST>", out: []string{ack}, state: TimeWait},
		{name: "RST outside the window", in: "<SEQ=5001><CTL=RST>", state: TimeWait},
		{name: "an old SYN", in: "<SEQ=5002><CTL=SYN>", out: []string{ack}, state: TimeWait},
	})
	checkReactions(t, openings, func(t *testing.T, o opening, _ func(*Config)) *fixture {
		return timeWait(t, o, func(c *Config) { c.RFC1337 = false })
	}, []reaction{
		{name: "RST at RCV.NXT without RFC 1337", in: "<SEQ=5002><CTL=RST>", state: Closed, next: never},
	})
}

// RFC 9293 §3.10.7.4 eighth, TIME-WAIT: "Acknowledge it, and restart the
// 2 MSL timeout." The FIN again at 30 s moves the end from 62 s to 90 s;
// one at 80 s moves it to 140 s.
func TestTimeWaitRestartsOnFin(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := timeWait(t, o, nil)
		f.at(30 * time.Second)
		f.recv("<SEQ=5001><ACK=1002><CTL=FIN,ACK>")
		f.expect("<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>")
		f.at(62 * time.Second)
		f.state(TimeWait)
		f.at(80 * time.Second)
		f.recv("<SEQ=5001><ACK=1002><CTL=FIN,ACK>")
		f.expect("<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>")
		f.at(90 * time.Second)
		f.state(TimeWait)
		f.edge(140 * time.Second)
		f.state(Closed)
	})
}

// Segments other than the FIN do not restart 2×MSL.
func TestTimeWaitOtherSegmentsKeepTheTimer(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := timeWait(t, o, nil)
		f.at(30 * time.Second)
		f.recv("<SEQ=5002><ACK=1002><CTL=ACK><LEN=10>")
		f.recv("<SEQ=5102><CTL=RST>")
		f.expect("<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>")
		f.edge(62 * time.Second)
		f.state(Closed)
	})
}

// User calls in TIME_WAIT (RFC 9293 §3.10): SEND and a half-close are
// "connection closing" (EPIPE), CLOSE is fine; ABORT closes without a
// segment ("TIME-WAIT STATE: Respond with "ok" and delete the TCB").
func TestTimeWaitCalls(t *testing.T) {
	checkCallsAfterOurFin(t, timeWait)
}

// A FIN_WAIT_1 whose FIN is acknowledged by the peer's FIN reaches
// TIME_WAIT at once (a close in three segments), and the 2×MSL timer runs
// from there, 61 s.
func TestTimeWaitFromFinWait1(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := finWait1(t, o, nil)
		f.recv("<SEQ=5001><ACK=1002><CTL=FIN,ACK>")
		f.expect("<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>")
		f.state(TimeWait)
		f.edge(61 * time.Second)
		f.state(Closed)
	})
}
