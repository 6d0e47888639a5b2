package tcp

import (
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// listenAgainByHand brings a passive TCB back to LISTEN with an RST at
// RCV.NXT at 100 ms (RFC 9293 §3.10.7.4 second).
func listenAgainByHand(t *testing.T) *fixture {
	f := newFixture(t, nil)
	syn := Segment{Seq: testIRS, Flags: wire.FlagSYN, Window: 65535}
	f.tcb = NewPassive(&f.cfg, 0, f.params(testISS), &syn)
	f.expect("<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>")
	f.at(100 * time.Millisecond)
	f.recv("<SEQ=5001><CTL=RST>")
	f.expect()
	f.state(Listen)
	return f
}

// A TCB that an RST sent back to LISTEN holds nothing and keeps no timer:
// its SYN-ACK is no longer in flight, and its invariants are those of a
// closed TCB.
func TestListenKeepsNothing(t *testing.T) {
	f := listenAgainByHand(t)
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
	f := listenAgainByHand(t)
	f.abort()
	f.expect()
	f.state(Closed)
	if got := f.obs.changes[len(f.obs.changes)-1]; got != "LISTEN->CLOSED (call abort)" {
		t.Errorf("last change %q", got)
	}
}
