package tcp

import (
	"testing"
	"time"
)

// LAST_ACK: the peer's FIN came at 1 s, our FIN (1001) went at 2 s and is
// unacknowledged; SND.UNA 1001, SND.NXT 1002, RCV.NXT 5002. The FIN's
// retransmission at 2.3 s and 2.9 s until the connection gives up at
// 4.1 s, and the user timeout, are arc cases (state_arcs_close_test.go).

// RFC 9293 §3.10.7.4 in LAST_ACK, step by step: only the ACK of our FIN
// ends it, in CLOSED without an error; the peer's FIN again is
// unacceptable and acknowledged, even when it acknowledges ours (the
// sequence check drops the whole segment; Linux would take its ACK);
// text is ignored; an RST at RCV.NXT closes without an error.
func TestLastAckSegments(t *testing.T) {
	const ack = "<SEQ=1002><ACK=5002><CTL=ACK><LEN=0>"
	checkReactions(t, openings, lastAck, []reaction{
		{name: "ACK of our FIN", in: "<SEQ=5002><ACK=1002><CTL=ACK>", state: Closed, next: never},
		{name: "ACK at SND.UNA", in: "<SEQ=5002><ACK=1001><CTL=ACK>", state: LastAck},
		{name: "ACK below SND.UNA", in: "<SEQ=5002><ACK=1000><CTL=ACK>", state: LastAck},
		{name: "ACK older than SND.UNA-MAX.SND.WND", in: "<SEQ=5002><ACK=4294902761><CTL=ACK>", out: []string{ack}, state: LastAck},
		{name: "ACK above SND.MAX", in: "<SEQ=5002><ACK=1003><CTL=ACK>", out: []string{ack}, state: LastAck},
		{name: "the peer's FIN again", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", out: []string{ack}, state: LastAck},
		{name: "the peer's FIN again, acknowledging ours", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK>", out: []string{ack}, state: LastAck},
		{name: "data at RCV.NXT", in: "<SEQ=5002><ACK=1001><CTL=ACK><LEN=10>", state: LastAck},
		{name: "data at RCV.NXT acknowledging our FIN", in: "<SEQ=5002><ACK=1002><CTL=ACK><LEN=10>", state: Closed, next: never},
		{name: "data past the window", in: "<SEQ=70537><ACK=1001><CTL=ACK><LEN=10>", out: []string{ack}, state: LastAck},
		{name: "RST at RCV.NXT", in: "<SEQ=5002><CTL=RST>", state: Closed, next: never},
		{name: "RST in the window", in: "<SEQ=5102><CTL=RST>", out: []string{ack}, state: LastAck},
		{name: "RST before the window", in: "<SEQ=5001><CTL=RST>", state: LastAck},
		{name: "SYN in the window", in: "<SEQ=5102><CTL=SYN>", out: []string{ack}, state: LastAck},
	})
	eachOpening(t, func(t *testing.T, o opening) {
		checkInvalidAckRateLimit(t, lastAck(t, o, fastInvalidAcks), "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", ack)
	})
}

// The ACK of the retransmitted FIN closes LAST_ACK as the first would.
func TestLastAckAckAfterRetransmission(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := lastAck(t, o, nil)
		f.edge(2300*time.Millisecond, "<SEQ=1001><ACK=5002><CTL=FIN,ACK><LEN=0>")
		f.at(2400 * time.Millisecond)
		f.recv("<SEQ=5002><ACK=1002><CTL=ACK>")
		f.expect()
		f.state(Closed)
		lastChange(t, f, "LAST_ACK->CLOSED (rcv ACK)")
	})
}

// User calls in LAST_ACK (RFC 9293 §3.10): SEND and a half-close are
// "connection closing" (EPIPE), CLOSE is fine; ABORT closes without a
// segment ("LAST-ACK STATE: Respond with "ok" and delete the TCB").
func TestLastAckCalls(t *testing.T) {
	checkCallsAfterOurFin(t, lastAck)
}

// Close in CLOSE_WAIT with data queued: the FIN rides on the last data
// segment; an ACK of the data alone leaves LAST_ACK, the ACK of the FIN
// ends it.
func TestLastAckAfterData(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := closeWait(t, o, nil)
		f.at(2 * time.Second)
		f.write(10)
		f.close()
		f.expect("<SEQ=1001><ACK=5002><CTL=FIN,ACK><LEN=10>")
		f.state(LastAck)
		f.at(2100 * time.Millisecond)
		f.recv("<SEQ=5002><ACK=1011><CTL=ACK>")
		f.expect()
		f.state(LastAck)
		f.recv("<SEQ=5002><ACK=1012><CTL=ACK>")
		f.expect()
		f.state(Closed)
	})
}
