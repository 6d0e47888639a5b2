package tcp

import (
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// ESTABLISHED at 100 ms: SND.UNA = SND.NXT 1001, RCV.NXT 5001, RCV.WND
// 65535. The timers that end the connection (retransmission, keep-alive,
// user timeout), on both sides of each edge, are arc cases
// (state_arcs_close_test.go); tcb_test.go has the retransmission timer,
// delayed ACKs, keep-alive probes and the zero-window probe.

// A FIN that arrived beyond a hole takes effect when the hole fills
// (RFC 9293 §3.10.7.4 eighth), and the state changes by that FIN: the
// cause is FIN,ACK although the segment that filled the hole carries no
// FIN, so the transition is the diagram's ESTABLISHED -> CLOSE_WAIT by
// FIN.
func TestEstablishedFinAfterHoleChangesStateByFIN(t *testing.T) {
	f := established(t, nil)
	f.at(time.Second)
	f.recv("<SEQ=5011><ACK=1001><CTL=FIN,ACK><LEN=10>")
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	f.state(Established)
	f.recv("<SEQ=5001><ACK=1001><CTL=PSH,ACK><LEN=10>")
	f.expect("<SEQ=1001><ACK=5022><CTL=ACK><LEN=0>")
	f.state(CloseWait)
	last := f.obs.taken[len(f.obs.taken)-1]
	want := transition{Established, CloseWait, Cause{Kind: CauseSegment, Flags: wire.FlagFIN | wire.FlagACK}}
	if last != want || !ValidTransition(last.from, last.to, last.why) {
		t.Errorf("took %v->%v (%v), valid %v; want %v->%v (%v)", last.from, last.to, last.why,
			ValidTransition(last.from, last.to, last.why), want.from, want.to, want.why)
	}
}

// RFC 9293 §3.10.7.4 first, the sequence number check, in ESTABLISHED at
// 100 ms (RCV.NXT 5001, RCV.WND 65535: the window ends before 70536). An
// unacceptable segment is dropped and answered with
// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>.
func TestEstablishedSequenceCheck(t *testing.T) {
	const ack = "<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"
	checkReactions(t, openings, establishedBy, []reaction{
		{name: "data at RCV.NXT", in: "<SEQ=5001><ACK=1001><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1001><ACK=5011><CTL=ACK><LEN=0>"}, state: Established, readable: 10},
		{name: "data wholly before RCV.NXT", in: "<SEQ=4991><ACK=1001><CTL=ACK><LEN=10>",
			out: []string{ack}, state: Established},
		{name: "data straddling RCV.NXT is trimmed", in: "<SEQ=4996><ACK=1001><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1001><ACK=5006><CTL=ACK><LEN=0>"}, state: Established, readable: 5},
		{name: "data starting just past the window", in: "<SEQ=70536><ACK=1001><CTL=ACK><LEN=1>",
			out: []string{ack}, state: Established},
		{name: "data at the window's last byte is held out of order", in: "<SEQ=70535><ACK=1001><CTL=ACK><LEN=1>",
			out: []string{ack}, state: Established},
		{name: "empty segment at RCV.NXT", in: "<SEQ=5001><ACK=1001><CTL=ACK>",
			state: Established},
		{name: "empty segment at the window's last byte", in: "<SEQ=70535><ACK=1001><CTL=ACK>",
			state: Established},
		{name: "empty segment just past the window", in: "<SEQ=70536><ACK=1001><CTL=ACK>",
			out: []string{ack}, state: Established},
		{name: "empty segment at RCV.NXT-1 (a keep-alive probe)", in: "<SEQ=5000><ACK=1001><CTL=ACK>",
			out: []string{ack}, state: Established},
		{name: "the peer's SYN-ACK again (our ACK was lost)", in: "<SEQ=5000><ACK=1001><CTL=SYN,ACK>",
			out: []string{ack}, state: Established},
	})
}

// Only one ACK to unacceptable segments per AckRateLimit (RFC 5961 §7).
func TestEstablishedInvalidAckRateLimit(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := establishedBy(t, o, fastInvalidAcks)
		checkInvalidAckRateLimit(t, f, "<SEQ=70536><ACK=1001><CTL=ACK>", "<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	})
}

// RFC 9293 §3.10.7.4 second and fourth, with RFC 5961 §3.2 and §4: an RST
// resets only at exactly RCV.NXT; elsewhere in the window it draws a
// challenge ACK; outside it, nothing. A SYN anywhere in the window draws a
// challenge ACK and changes nothing.
func TestEstablishedResetAndSyn(t *testing.T) {
	const challenge = "<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"
	checkReactions(t, openings, establishedBy, []reaction{
		{name: "RST at RCV.NXT", in: "<SEQ=5001><CTL=RST>", state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "RST,ACK at RCV.NXT", in: "<SEQ=5001><ACK=1001><CTL=RST,ACK>", state: Closed, err: syscall.ECONNRESET, next: never},
		{name: "RST in the window", in: "<SEQ=5101><CTL=RST>", out: []string{challenge}, state: Established},
		{name: "RST at the window's last byte", in: "<SEQ=70535><CTL=RST>", out: []string{challenge}, state: Established},
		{name: "RST just past the window", in: "<SEQ=70536><CTL=RST>", state: Established},
		{name: "RST before the window", in: "<SEQ=5000><CTL=RST>", state: Established},
		{name: "SYN at RCV.NXT", in: "<SEQ=5001><CTL=SYN>", out: []string{challenge}, state: Established},
		{name: "SYN in the window", in: "<SEQ=5101><CTL=SYN>", out: []string{challenge}, state: Established},
		{name: "SYN,ACK in the window", in: "<SEQ=5101><ACK=1001><CTL=SYN,ACK>", out: []string{challenge}, state: Established},
		{name: "SYN outside the window", in: "<SEQ=4000><CTL=SYN>", out: []string{challenge}, state: Established},
	})
}

// RFC 9293 §3.10.7.4 fifth, the ACK field: a segment without ACK is
// dropped; one that acknowledges data never sent draws an ACK and is
// dropped; one older than SND.UNA-MAX.SND.WND draws a challenge ACK and is
// dropped (RFC 5961 §5.2); an old duplicate ACK within that bound is
// ignored, but its text is taken.
func TestEstablishedAckField(t *testing.T) {
	const ack = "<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"
	const took = "<SEQ=1001><ACK=5011><CTL=ACK><LEN=0>"
	checkReactions(t, openings, establishedBy, []reaction{
		{name: "no ACK bit", in: "<SEQ=5001><CTL=PSH><LEN=10>", state: Established},
		{name: "ACK above SND.MAX", in: "<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>", out: []string{ack}, state: Established},
		// SND.UNA - MAX.SND.WND = 1001 - 65535 = 4294902762 (mod 2^32).
		{name: "ACK older than SND.UNA-MAX.SND.WND", in: "<SEQ=5001><ACK=4294902761><CTL=ACK><LEN=10>",
			out: []string{ack}, state: Established},
		{name: "ACK at SND.UNA-MAX.SND.WND", in: "<SEQ=5001><ACK=4294902762><CTL=ACK><LEN=10>",
			out: []string{took}, state: Established, readable: 10},
		{name: "ACK below SND.UNA", in: "<SEQ=5001><ACK=1000><CTL=ACK><LEN=10>",
			out: []string{took}, state: Established, readable: 10},
	})
}

// RFC 9293 §3.10.7.4 eighth, the FIN in ESTABLISHED: to CLOSE_WAIT, the
// FIN acknowledged; a FIN beyond a hole waits for it; one without ACK is
// dropped with the segment (fifth).
func TestEstablishedFin(t *testing.T) {
	checkReactions(t, openings, establishedBy, []reaction{
		{name: "FIN", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK>",
			out: []string{"<SEQ=1001><ACK=5002><CTL=ACK><LEN=0>"}, state: CloseWait},
		{name: "FIN with data", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK><LEN=10>",
			out: []string{"<SEQ=1001><ACK=5012><CTL=ACK><LEN=0>"}, state: CloseWait, readable: 10},
		{name: "FIN beyond a hole", in: "<SEQ=5011><ACK=1001><CTL=FIN,ACK><LEN=10>",
			out: []string{"<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"}, state: Established},
		{name: "FIN without ACK", in: "<SEQ=5001><CTL=FIN>", state: Established},
		{name: "FIN outside the window", in: "<SEQ=4000><ACK=1001><CTL=FIN,ACK>",
			out: []string{"<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"}, state: Established},
	})
}

// RFC 9293 §3.10.5, ABORT in ESTABLISHED: queued data is dropped and
// <SEQ=SND.NXT><CTL=RST> sent (with the ACK Linux adds); later calls
// find the connection closed.
func TestEstablishedAbort(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := establishedBy(t, o, nil)
		f.at(time.Second)
		f.write(10)
		f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=10>")
		f.write(10)
		f.abort()
		f.expect("<SEQ=1011><ACK=5001><CTL=RST,ACK><LEN=0>")
		f.state(Closed)
		callErrs(t, f, syscall.EPIPE, syscall.ENOTCONN, syscall.ENOTCONN)
	})
}

// RFC 9293 §3.10.4, CLOSE and a half-close in ESTABLISHED: the FIN goes
// after the queued data, and the state is FIN_WAIT_1 either way; a second
// close of the sending side is refused (EPIPE), Close after Shutdown is
// not.
func TestEstablishedCloseAfterData(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := establishedBy(t, o, nil)
		f.at(time.Second)
		f.write(10)
		if err := f.shutdown(); err != nil {
			t.Fatal(err)
		}
		f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=10>")
		f.state(FinWait1)
		if err := f.shutdown(); err != syscall.EPIPE {
			t.Errorf("second Shutdown: %v, want EPIPE", err)
		}
		if _, err := f.write(1); err != syscall.EPIPE {
			t.Errorf("Write after Shutdown: %v, want EPIPE", err)
		}
		if err := f.close(); err != nil {
			t.Errorf("Close after Shutdown: %v", err)
		}
		f.expect()
		f.state(FinWait1)
	})
}
