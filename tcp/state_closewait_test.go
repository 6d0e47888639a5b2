package tcp

import (
	"io"
	"syscall"
	"testing"
	"time"
)

// CLOSE_WAIT: the peer's FIN came at 1 s and was acknowledged; SND.UNA =
// SND.NXT 1001, RCV.NXT 5002. We may still send; the peer may not. The
// retransmission, keep-alive and user timeouts that end the connection,
// on both sides of each edge, are arc cases (state_arcs_close_test.go).

// RFC 9293 §3.10.7.4 first, second, fourth and fifth in CLOSE_WAIT. The
// peer's FIN again lies before RCV.NXT, so it is unacceptable and
// acknowledged.
func TestCloseWaitSegments(t *testing.T) {
	const ack = "<SEQ=1001><ACK=5002><CTL=ACK><LEN=0>"
	checkReactions(t, openings, closeWait, []reaction{
		{name: "the peer's FIN again", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", out: []string{ack}, state: CloseWait},
		{name: "data wholly before RCV.NXT", in: "<SEQ=4991><ACK=1001><CTL=ACK><LEN=10>", out: []string{ack}, state: CloseWait},
		{name: "empty segment past the window", in: "<SEQ=70537><ACK=1001><CTL=ACK>", out: []string{ack}, state: CloseWait},
		{name: "RST at RCV.NXT", in: "<SEQ=5002><CTL=RST>", state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "RST at the FIN", in: "<SEQ=5001><CTL=RST>", state: CloseWait},
		{name: "RST in the window", in: "<SEQ=5102><CTL=RST>", out: []string{ack}, state: CloseWait},
		{name: "SYN in the window", in: "<SEQ=5102><CTL=SYN>", out: []string{ack}, state: CloseWait},
		{name: "ACK above SND.MAX", in: "<SEQ=5002><ACK=1002><CTL=ACK>", out: []string{ack}, state: CloseWait},
		{name: "ACK at SND.UNA", in: "<SEQ=5002><ACK=1001><CTL=ACK>", state: CloseWait},
		{name: "ACK below SND.UNA", in: "<SEQ=5002><ACK=1000><CTL=ACK>", state: CloseWait},
		{name: "ACK older than SND.UNA-MAX.SND.WND", in: "<SEQ=5002><ACK=4294902761><CTL=ACK>", out: []string{ack}, state: CloseWait},
	})
	eachOpening(t, func(t *testing.T, o opening) {
		checkInvalidAckRateLimit(t, closeWait(t, o, fastInvalidAcks), "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", ack)
	})
}

// RFC 9293 §3.10.7.4 seventh and eighth in CLOSE_WAIT: the peer has sent
// its FIN, so text at RCV.NXT is ignored, without an ACK; a second FIN
// leaves the state as it is ("Remain in the CLOSE-WAIT state") and is
// acknowledged as any FIN.
func TestCloseWaitIgnoresText(t *testing.T) {
	checkReactions(t, openings, closeWait, []reaction{
		{name: "data at RCV.NXT", in: "<SEQ=5002><ACK=1001><CTL=ACK><LEN=10>", state: CloseWait},
		{name: "a second FIN at RCV.NXT", in: "<SEQ=5002><ACK=1001><CTL=FIN,ACK>",
			out: []string{"<SEQ=1001><ACK=5002><CTL=ACK><LEN=0>"}, state: CloseWait},
	})
}

// Reading in CLOSE_WAIT returns the data before the FIN, then io.EOF.
func TestCloseWaitReadsToEOF(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := establishedBy(t, o, nil)
		f.at(time.Second)
		f.recv("<SEQ=5001><ACK=1001><CTL=FIN,ACK><LEN=10>")
		f.expect("<SEQ=1001><ACK=5012><CTL=ACK><LEN=0>")
		f.state(CloseWait)
		if n, err := f.read(); n != 10 || err != nil {
			t.Errorf("Read: %d, %v; want 10 bytes", n, err)
		}
		if n, err := f.read(); n != 0 || err != io.EOF {
			t.Errorf("Read: %d, %v; want EOF", n, err)
		}
		f.expect()
	})
}

// CLOSE_WAIT still sends: data written goes out, is resent at the RTO
// (1.3 s) and, once acknowledged, leaves no timer behind.
func TestCloseWaitSendsData(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := closeWait(t, o, nil)
		if n, err := f.write(10); n != 10 || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
		f.expect("<SEQ=1001><ACK=5002><CTL=ACK><LEN=10>")
		f.edge(1300*time.Millisecond, "<SEQ=1001><ACK=5002><CTL=ACK><LEN=10>")
		f.at(1400 * time.Millisecond)
		f.recv("<SEQ=5002><ACK=1011><CTL=ACK>")
		f.expect()
		f.state(CloseWait)
		if d := f.tcb.NextDeadline(); d != clockNever {
			t.Errorf("a timer at %v with everything acknowledged", d)
		}
	})
}

// User calls in CLOSE_WAIT (RFC 9293 §3.10): Shutdown sends our FIN, to
// LAST_ACK, as Close does; ABORT sends <SEQ=SND.NXT><CTL=RST>.
func TestCloseWaitCalls(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := closeWait(t, o, nil)
		if err := f.shutdown(); err != nil {
			t.Fatal(err)
		}
		f.expect("<SEQ=1001><ACK=5002><CTL=FIN,ACK><LEN=0>")
		f.state(LastAck)
		lastChange(t, f, "CLOSE_WAIT->LAST_ACK (call shutdown)")
	})
	eachOpening(t, func(t *testing.T, o opening) {
		f := closeWait(t, o, nil)
		f.write(10)
		f.expect("<SEQ=1001><ACK=5002><CTL=ACK><LEN=10>")
		f.abort()
		f.expect("<SEQ=1011><ACK=5002><CTL=RST,ACK><LEN=0>")
		f.state(Closed)
	})
}
