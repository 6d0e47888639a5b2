package tcp

import (
	"syscall"
	"testing"
	"time"
)

// SYN_RCVD, reached two ways: a passive open (the peer's SYN at 0, our
// SYN-ACK resent from 1 s) and a simultaneous open (our SYN at 0, the
// peer's at 50 ms, our SYN-ACK resent from 1.05 s). Either way SND.UNA
// 1000, SND.NXT 1001, RCV.NXT 5001. The SYN-ACK's retransmission until
// the half-open connection gives up is an arc case
// (state_arcs_open_test.go).

var (
	passiveOnly = []opening{passiveOpen}
	activeOnly  = []opening{activeOpen}
)

// RFC 9293 §3.10.7.4 in SYN_RCVD of a passive open: an ACK of our SYN
// completes the handshake (with any data or FIN it carries); any other
// ACK draws <SEQ=SEG.ACK><CTL=RST>; an RST at RCV.NXT or a new SYN in the
// window returns the TCB to LISTEN; the peer's SYN again draws our SYN-ACK
// at once (Linux), an RST elsewhere in the window a challenge ACK.
func TestSynRcvdPassiveSegments(t *testing.T) {
	const ack = "<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"
	checkReactions(t, passiveOnly, oneSide(synRcvdPassive), []reaction{
		{name: "ACK of our SYN", in: "<SEQ=5001><ACK=1001><CTL=ACK>", state: Established, next: never},
		{name: "ACK with data", in: "<SEQ=5001><ACK=1001><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=1001><ACK=5011><CTL=ACK><LEN=0>"}, state: Established, readable: 10, next: never},
		{name: "ACK with a FIN", in: "<SEQ=5001><ACK=1001><CTL=FIN,ACK>",
			out: []string{"<SEQ=1001><ACK=5002><CTL=ACK><LEN=0>"}, state: CloseWait, next: never},
		{name: "ACK of the ISS", in: "<SEQ=5001><ACK=1000><CTL=ACK>", out: []string{"<SEQ=1000><CTL=RST><LEN=0>"}, state: SynReceived},
		{name: "ACK beyond our SYN", in: "<SEQ=5001><ACK=1002><CTL=ACK>", out: []string{"<SEQ=1002><CTL=RST><LEN=0>"}, state: SynReceived},
		{name: "RST at RCV.NXT", in: "<SEQ=5001><CTL=RST>", state: Listen, next: never},
		{name: "RST in the window", in: "<SEQ=5101><CTL=RST>", out: []string{ack}, state: SynReceived},
		{name: "RST outside the window", in: "<SEQ=4000><CTL=RST>", state: SynReceived},
		{name: "the peer's SYN again", in: "<SEQ=5000><CTL=SYN>",
			out: []string{"<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>"}, state: SynReceived},
		{name: "a new SYN in the window", in: "<SEQ=5101><CTL=SYN>", state: Listen, next: never},
		{name: "a SYN-ACK", in: "<SEQ=5000><ACK=1001><CTL=SYN,ACK>", out: []string{ack}, state: SynReceived},
		{name: "data wholly before RCV.NXT", in: "<SEQ=4991><ACK=1001><CTL=ACK><LEN=10>", out: []string{ack}, state: SynReceived},
		{name: "data without ACK", in: "<SEQ=5001><CTL=PSH><LEN=10>", state: SynReceived},
	})
}

// RFC 9293 §3.10.7.4 in SYN_RCVD of a simultaneous open: the peer's
// SYN-ACK completes it (the four segments of Figure 7), as does a plain
// ACK; an RST at RCV.NXT refuses the connection (it was not a passive
// open); a SYN in the window draws a challenge ACK.
func TestSynRcvdSimultaneousSegments(t *testing.T) {
	const ack = "<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"
	checkReactions(t, activeOnly, oneSide(synRcvdSimultaneous), []reaction{
		{name: "the peer's SYN-ACK", in: "<SEQ=5000><ACK=1001><CTL=SYN,ACK>", state: Established, next: never},
		{name: "ACK of our SYN", in: "<SEQ=5001><ACK=1001><CTL=ACK>", state: Established, next: never},
		{name: "ACK of the ISS", in: "<SEQ=5001><ACK=1000><CTL=ACK>", out: []string{"<SEQ=1000><CTL=RST><LEN=0>"}, state: SynReceived},
		{name: "RST at RCV.NXT", in: "<SEQ=5001><CTL=RST>", state: Closed, err: syscall.ECONNREFUSED, next: never},
		{name: "RST in the window", in: "<SEQ=5101><CTL=RST>", out: []string{ack}, state: SynReceived},
		{name: "SYN in the window", in: "<SEQ=5101><CTL=SYN>", out: []string{ack}, state: SynReceived},
		{name: "the peer's SYN again", in: "<SEQ=5000><CTL=SYN>", out: []string{ack}, state: SynReceived},
	})
}

// Only one ACK to unacceptable segments per AckRateLimit in SYN_RCVD too.
func TestSynRcvdInvalidAckRateLimit(t *testing.T) {
	checkInvalidAckRateLimit(t, synRcvdPassive(t, fastInvalidAcks),
		"<SEQ=70536><ACK=1001><CTL=ACK>", "<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
}

// The SYN-ACK of a simultaneous open is resent from the SYN's arrival:
// 1.05 s, then 3.05 s.
func TestSynRcvdSimultaneousRetransmission(t *testing.T) {
	f := synRcvdSimultaneous(t, nil)
	f.edge(1050*time.Millisecond, "<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>")
	f.edge(3050*time.Millisecond, "<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>")
	f.at(3100 * time.Millisecond)
	f.recv("<SEQ=5001><ACK=1001><CTL=ACK>")
	f.expect()
	f.state(Established)
}

// RFC 9293 §3.10.4, CLOSE in SYN_RCVD with nothing queued: the FIN goes
// at once and the state is FIN_WAIT_1; the ACK of SYN and FIN then moves
// to FIN_WAIT_2.
func TestSynRcvdClose(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(*testing.T, func(*Config)) *fixture
	}{{"passive", synRcvdPassive}, {"simultaneous", synRcvdSimultaneous}} {
		t.Run(c.name, func(t *testing.T) {
			f := c.build(t, nil)
			f.at(200 * time.Millisecond)
			if err := f.close(); err != nil {
				t.Fatal(err)
			}
			f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
			f.state(FinWait1)
			f.at(300 * time.Millisecond)
			f.recv("<SEQ=5001><ACK=1002><CTL=ACK>")
			f.expect()
			f.state(FinWait2)
		})
	}
}

// RFC 9293 §3.10.5, ABORT in SYN_RCVD sends <SEQ=SND.NXT><CTL=RST>; a
// closing listener discards its half-open TCBs without a word
// (ECONNABORTED), as Linux frees its request sockets.
func TestSynRcvdAbortAndDiscard(t *testing.T) {
	f := synRcvdPassive(t, nil)
	f.abort()
	f.expect("<SEQ=1001><ACK=5001><CTL=RST,ACK><LEN=0>")
	f.state(Closed)

	f = synRcvdPassive(t, nil)
	f.tcb.Discard(f.now)
	f.check("Discard")
	f.expect()
	f.state(Closed)
	if f.tcb.Err() != syscall.ECONNABORTED {
		t.Errorf("Err %v, want ECONNABORTED", f.tcb.Err())
	}

	f = synRcvdSimultaneous(t, nil)
	f.tcb.Discard(f.now)
	f.check("Discard")
	f.state(SynReceived) // not a listener's: Discard does nothing
}

// A close in SYN_RCVD sends the FIN, and the retransmission timer still
// resends the unacknowledged SYN-ACK first: a lost SYN-ACK must not hang
// the connection until it times out.
func TestSynRcvdCloseStillRetransmitsTheSyn(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(*testing.T, func(*Config)) *fixture
		rto   time.Duration
	}{{"passive", synRcvdPassive, time.Second}, {"simultaneous", synRcvdSimultaneous, 1050 * time.Millisecond}} {
		t.Run(c.name, func(t *testing.T) {
			f := c.build(t, nil)
			f.at(200 * time.Millisecond)
			f.close()
			f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
			f.edge(c.rto, "<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>", "<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
			f.recv("<SEQ=5001><ACK=1002><CTL=ACK>")
			f.state(FinWait2)
		})
	}
}

// The peer's repeated SYN rewinds SND.NXT to resend our SYN-ACK; if the
// ACK of the first SYN-ACK comes before that resend goes, the handshake
// completes and SND.NXT moves up to SND.UNA, past the SYN (FuzzTCBPair
// found SND.NXT left one behind SND.UNA, breaking SND.UNA <= SND.NXT).
func TestSynRcvdAckAfterRepeatedSyn(t *testing.T) {
	f := synRcvdPassive(t, nil)
	f.at(50 * time.Millisecond)
	f.recv("<SEQ=5000><CTL=SYN>")
	f.recv("<SEQ=5001><ACK=1001><CTL=ACK>")
	f.state(Established)
	f.expect()
	if f.tcb.snd.nxt != testISS+1 {
		t.Fatalf("SND.NXT %d, want %d", f.tcb.snd.nxt, testISS+1)
	}
}

// RFC 9293 §3.10.7.4 second and fourth: an RST or a SYN that returns a
// passive open to LISTEN drops the data queued for after the handshake
// with its timers (FuzzTCB found a TCB in LISTEN holding 1536 bytes).
func TestSynRcvdBackToListenDropsData(t *testing.T) {
	for _, in := range []string{"<SEQ=5001><CTL=RST>", "<SEQ=5101><CTL=SYN>"} {
		f := synRcvdPassive(t, nil)
		if n, err := f.write(1536); n != 1536 || err != nil {
			t.Fatalf("Write: %d, %v", n, err)
		}
		f.reach(50*time.Millisecond, in, Listen)
	}
}
