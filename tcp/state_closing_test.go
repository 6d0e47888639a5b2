package tcp

import (
	"testing"
	"time"
)

// CLOSING: a simultaneous close. Our FIN (1001) went at 1 s, the peer's
// crossed it at 1.05 s and was acknowledged; SND.UNA 1001, SND.NXT 1002,
// RCV.NXT 5002. Our FIN is resent at 1.3 s until it is acknowledged; its
// retransmission until the connection gives up, and the user timeout, on
// both sides of each edge, are arc cases (state_arcs_close_test.go).

// RFC 9293 §3.10.7.4 in CLOSING, step by step: the ACK of our FIN ends in
// TIME_WAIT (2×MSL from now); the peer's FIN again is unacceptable and
// acknowledged (its ACK field unread, as RFC 9293 drops the segment);
// text is ignored; an RST at RCV.NXT closes without an error.
func TestClosingSegments(t *testing.T) {
	const ack = "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>"
	checkReactions(t, openings, closing, []reaction{
		{name: "ACK of our FIN", in: "<SEQ=5002><ACK=1002><CTL=ACK>", state: TimeWait, next: 61050 * time.Millisecond},
		{name: "ACK at SND.UNA", in: "<SEQ=5002><ACK=1001><CTL=ACK>", state: Closing},
		{name: "ACK below SND.UNA", in: "<SEQ=5002><ACK=1000><CTL=ACK>", state: Closing},
		{name: "ACK older than SND.UNA-MAX.SND.WND", in: "<SEQ=5002><ACK=4294902761><CTL=ACK>", out: []string{ack}, state: Closing},
		{name: "ACK above SND.MAX", in: "<SEQ=5002><ACK=1003><CTL=ACK>", out: []string{ack}, state: Closing},
		{name: "the peer's FIN again", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", out: []string{ack}, state: Closing},
		{name: "the peer's FIN again, acknowledging ours", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK>", out: []string{ack}, state: Closing},
		{name: "data at RCV.NXT", in: "<SEQ=5002><ACK=1001><CTL=ACK><LEN=10>", state: Closing},
		{name: "data wholly before RCV.NXT", in: "<SEQ=4991><ACK=1001><CTL=ACK><LEN=10>", out: []string{ack}, state: Closing},
		{name: "RST at RCV.NXT", in: "<SEQ=5002><CTL=RST>", state: Closed, next: never},
		{name: "RST in the window", in: "<SEQ=5102><CTL=RST>", out: []string{ack}, state: Closing},
		{name: "RST outside the window", in: "<SEQ=70537><CTL=RST>", state: Closing},
		{name: "SYN in the window", in: "<SEQ=5102><CTL=SYN>", out: []string{ack}, state: Closing},
		{name: "no ACK bit", in: "<SEQ=5002><CTL=PSH><LEN=10>", state: Closing},
	})
	eachOpening(t, func(t *testing.T, o opening) {
		checkInvalidAckRateLimit(t, closing(t, o, fastInvalidAcks), "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", ack)
	})
}

// The peer in TIME_WAIT acknowledges our retransmitted FIN; that ACK
// ends CLOSING in TIME_WAIT, 2×MSL from its arrival.
func TestClosingAckAfterRetransmission(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := closing(t, o, nil)
		f.edge(1300*time.Millisecond, "<SEQ=1001><ACK=5002><CTL=FIN,ACK><LEN=0>")
		f.at(1400 * time.Millisecond)
		f.recv("<SEQ=5002><ACK=1002><CTL=ACK>")
		f.expect()
		f.state(TimeWait)
		f.edge(61400 * time.Millisecond)
		f.state(Closed)
	})
}

// User calls in CLOSING (RFC 9293 §3.10): SEND and a half-close are
// "connection closing" (EPIPE), CLOSE is fine; ABORT closes without a
// segment ("CLOSING STATE: Respond with "ok" and delete the TCB").
func TestClosingCalls(t *testing.T) {
	checkCallsAfterOurFin(t, closing)
}
