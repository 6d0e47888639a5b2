package tcp

import (
	"syscall"
	"testing"

	"github.com/synack-net/synack/clock"
)

// LISTEN: a passive TCB that an RST at RCV.NXT sent back there at 100 ms
// (listenAgain). The host's listener takes new SYNs; the TCB itself
// answers nothing (RFC 9293 §3.10.7.2 is the listener's).

// A TCB that an RST sent back to LISTEN holds nothing and keeps no timer:
// its SYN-ACK is no longer in flight, and its invariants are those of a
// closed TCB.
func TestListenKeepsNothing(t *testing.T) {
	f := listenAgain(t, nil)
	if err := f.tcb.CheckInvariants(); err != nil {
		t.Errorf("invariants in LISTEN: %v", err)
	}
	if d := f.tcb.NextDeadline(); d != clock.Never {
		t.Errorf("a timer at %v in LISTEN", d)
	}
}

// RFC 9293 §3.10.5, ABORT in LISTEN: "Delete TCB, enter CLOSED state, and
// return", without a segment.
func TestListenAbortCloses(t *testing.T) {
	f := listenAgain(t, nil)
	f.abort()
	f.expect()
	f.state(Closed)
	if got := f.obs.changes[len(f.obs.changes)-1]; got != "LISTEN->CLOSED (call abort)" {
		t.Errorf("last change %q", got)
	}
}

// Every segment is left to the host: a TCB in LISTEN sends nothing and
// stays where it is.
func TestListenIgnoresSegments(t *testing.T) {
	checkReactions(t, passiveOnly, oneSide(listenAgain), []reaction{
		{name: "SYN", in: "<SEQ=9000><CTL=SYN>", state: Listen},
		{name: "ACK", in: "<SEQ=5001><ACK=1001><CTL=ACK>", state: Listen},
		{name: "data", in: "<SEQ=5001><ACK=1001><CTL=ACK><LEN=10>", state: Listen},
		{name: "RST", in: "<SEQ=5001><CTL=RST>", state: Listen},
		{name: "FIN", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK>", state: Listen},
	})
}

// RFC 9293 §3.10.4, CLOSE in LISTEN: "Any outstanding RECEIVEs are
// returned with "error: closing" responses. Delete TCB, enter CLOSED
// state, and return." A half-close does the same; SEND is refused,
// ENOTCONN; a crash closes too.
func TestListenCalls(t *testing.T) {
	f := listenAgain(t, nil)
	if _, err := f.write(1); err != syscall.ENOTCONN {
		t.Errorf("Write: %v, want ENOTCONN", err)
	}
	if err := f.close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	f.expect()
	lastChange(t, f, "LISTEN->CLOSED (call close)")

	f = listenAgain(t, nil)
	if err := f.shutdown(); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	lastChange(t, f, "LISTEN->CLOSED (call shutdown)")

	f = listenAgain(t, nil)
	f.tcb.Crash(f.now)
	f.check("Crash")
	lastChange(t, f, "LISTEN->CLOSED (host crash)")
}
