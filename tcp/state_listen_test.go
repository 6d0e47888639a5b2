package tcp

import (
	"testing"

	"github.com/synack-net/synack/clock"
)

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
