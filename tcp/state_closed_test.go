package tcp

import (
	"io"
	"syscall"
	"testing"
	"time"
)

// CLOSED: after an orderly close (closedAfterLastAck: the ACK of our FIN
// in LAST_ACK at 2.1 s), after a reset, and after a timeout. A closed TCB
// answers nothing (the host resets strays, RFC 9293 §3.10.7.1), keeps no
// timer, and its calls report how it ended.

// Every segment to a closed TCB is left to the host.
func TestClosedIgnoresSegments(t *testing.T) {
	checkReactions(t, openings, closedAfterLastAck, []reaction{
		{name: "SYN", in: "<SEQ=9000><CTL=SYN>", state: Closed},
		{name: "ACK", in: "<SEQ=5002><ACK=1002><CTL=ACK>", state: Closed},
		{name: "data", in: "<SEQ=5002><ACK=1002><CTL=ACK><LEN=10>", state: Closed},
		{name: "FIN", in: "<SEQ=5001><ACK=1002><CTL=FIN,ACK>", state: Closed},
		{name: "RST", in: "<SEQ=5002><CTL=RST>", state: Closed},
	})
}

// After an orderly close: no timer runs, Read reports EOF, SEND is
// refused (EPIPE) and CLOSE or a half-close find no connection
// (ENOTCONN); ABORT does nothing.
func TestClosedAfterOrderlyClose(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := closedAfterLastAck(t, o, nil)
		if d := f.tcb.NextDeadline(); d != clockNever {
			t.Errorf("a timer at %v", d)
		}
		f.at(1000 * time.Second)
		f.expect()
		if n, err := f.read(); n != 0 || err != io.EOF {
			t.Errorf("Read: %d, %v; want EOF", n, err)
		}
		callErrs(t, f, syscall.EPIPE, syscall.ENOTCONN, syscall.ENOTCONN)
		n := len(f.obs.changes)
		f.abort()
		f.expect()
		if len(f.obs.changes) != n {
			t.Errorf("Abort changed state: %v", f.obs.changes[n:])
		}
	})
}

// After a reset or a timeout, every call reports the error the
// connection died of, as a kernel socket does.
func TestClosedReportsItsError(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := establishedBy(t, o, nil)
		f.recv("<SEQ=5001><CTL=RST>")
		f.state(Closed)
		if _, err := f.read(); err != syscall.ECONNRESET {
			t.Errorf("Read: %v, want ECONNRESET", err)
		}
		callErrs(t, f, syscall.ECONNRESET, syscall.ECONNRESET, syscall.ECONNRESET)

		f = finWait1(t, o, fewRetries)
		for _, ms := range []time.Duration{1300, 1900} {
			f.at(ms * time.Millisecond)
			f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
		}
		f.at(3100 * time.Millisecond)
		f.expect()
		f.state(Closed)
		if _, err := f.read(); err != syscall.ETIMEDOUT {
			t.Errorf("Read: %v, want ETIMEDOUT", err)
		}
		callErrs(t, f, syscall.ETIMEDOUT, syscall.ETIMEDOUT, syscall.ETIMEDOUT)
	})
}
