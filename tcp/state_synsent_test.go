package tcp

import (
	"syscall"
	"testing"
	"time"
)

// SYN_SENT: our SYN (ISS 1000) went at 0; SND.NXT 1001. RFC 9293
// §3.10.7.3, "If the state is SYN-SENT", step by step.

var synSentOnly = []opening{activeOpen}

// First the ACK bit, then the RST bit: an ACK that does not acknowledge
// exactly our SYN draws <SEQ=SEG.ACK><CTL=RST> (unless it is an RST);
// an RST counts only with an acceptable ACK (RFC 5961 §3.2) and then
// refuses the connection.
func TestSynSentAckAndReset(t *testing.T) {
	checkReactions(t, synSentOnly, oneSide(synSent), []reaction{
		{name: "SYN-ACK acknowledging the ISS", in: "<SEQ=5000><ACK=1000><CTL=SYN,ACK>",
			out: []string{"<SEQ=1000><CTL=RST><LEN=0>"}, state: SynSent},
		{name: "SYN-ACK acknowledging beyond our SYN", in: "<SEQ=5000><ACK=1002><CTL=SYN,ACK>",
			out: []string{"<SEQ=1002><CTL=RST><LEN=0>"}, state: SynSent},
		{name: "an ACK from an old connection", in: "<SEQ=77><ACK=4242><CTL=ACK><LEN=10>",
			out: []string{"<SEQ=4242><CTL=RST><LEN=0>"}, state: SynSent},
		{name: "RST without ACK", in: "<SEQ=5000><CTL=RST>", state: SynSent},
		{name: "RST,ACK with a bad ACK", in: "<SEQ=5000><ACK=1000><CTL=RST,ACK>", state: SynSent},
		{name: "RST,ACK acknowledging our SYN", in: "<SEQ=0><ACK=1001><CTL=RST,ACK>",
			state: Closed, err: syscall.ECONNREFUSED, next: never},
	})
}

// Fourth, the SYN bit: a SYN-ACK completes the handshake (any data or FIN
// on it taken as in ESTABLISHED); a SYN alone is a simultaneous open, to
// SYN_RCVD with our SYN sent again as a SYN-ACK; a segment with neither
// SYN nor RST is dropped.
func TestSynSentSyn(t *testing.T) {
	checkReactions(t, synSentOnly, oneSide(synSent), []reaction{
		{name: "SYN-ACK", in: "<SEQ=5000><ACK=1001><CTL=SYN,ACK>",
			out: []string{"<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>"}, state: Established, next: never},
		{name: "SYN-ACK with data", in: "<SEQ=5000><ACK=1001><CTL=SYN,ACK><LEN=10>",
			out: []string{"<SEQ=1001><ACK=5011><CTL=ACK><LEN=0>"}, state: Established, readable: 10, next: never},
		{name: "SYN-ACK with a FIN", in: "<SEQ=5000><ACK=1001><CTL=SYN,FIN,ACK>",
			out: []string{"<SEQ=1001><ACK=5002><CTL=ACK><LEN=0>"}, state: CloseWait, next: never},
		{name: "SYN", in: "<SEQ=5000><CTL=SYN>",
			out: []string{"<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>"}, state: SynReceived, next: time.Second},
		{name: "ACK of our SYN without SYN", in: "<SEQ=5000><ACK=1001><CTL=ACK>", state: SynSent},
		{name: "data without SYN or ACK", in: "<SEQ=5000><CTL=PSH><LEN=10>", state: SynSent},
		{name: "FIN", in: "<SEQ=5000><CTL=FIN>", state: SynSent},
	})
}

// RFC 6298 §5 and Linux tcp_syn_retries: the SYN is resent at 1, 3, 7,
// 15, 31 and 63 s (initial RTO 1 s, doubled), and with the sixth retry
// unanswered connect fails at 127 s with ETIMEDOUT.
func TestSynSentRetransmission(t *testing.T) {
	f := synSent(t, nil)
	for _, s := range []time.Duration{1, 3, 7, 15, 31, 63} {
		f.edge(s*time.Second, "<SEQ=1000><CTL=SYN><LEN=0>")
		lastFired(t, f, TimerRetransmit)
	}
	f.edge(127 * time.Second)
	f.state(Closed)
	if f.tcb.Err() != syscall.ETIMEDOUT {
		t.Errorf("Err %v, want ETIMEDOUT", f.tcb.Err())
	}
	lastChange(t, f, "SYN_SENT->CLOSED (timer retransmit)")
}

// A SYN-ACK that answers a retransmitted SYN completes the handshake;
// Karn's rule keeps it from being timed, so the RTO stays 1 s.
func TestSynSentSynAckAfterRetransmission(t *testing.T) {
	f := synSent(t, nil)
	f.edge(time.Second, "<SEQ=1000><CTL=SYN><LEN=0>")
	f.at(1100 * time.Millisecond)
	f.recv("<SEQ=5000><ACK=1001><CTL=SYN,ACK>")
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	f.state(Established)
	if rto := time.Duration(f.tcb.Info().RTO); rto != time.Second {
		t.Errorf("RTO %v, want 1s", rto)
	}
}

// An ICMP destination-unreachable about our SYN aborts a connection in
// SYN_SENT at once, hard (port unreachable) or soft (host unreachable), as
// Linux does. A message quoting a sequence number not in flight is ignored
// (RFC 5927 §4.1).
func TestSynSentICMP(t *testing.T) {
	f := synSent(t, nil)
	if f.tcb.ICMPError(f.now, 5000, ICMPReport{Err: syscall.ECONNREFUSED, DropRequest: true}) {
		t.Error("accepted an ICMP error quoting a sequence number not in flight")
	}
	if !f.tcb.ICMPError(f.now, testISS, ICMPReport{Err: syscall.ECONNREFUSED, DropRequest: true}) {
		t.Fatal("ICMP error rejected")
	}
	f.check("ICMP")
	f.expect()
	f.state(Closed)
	if f.tcb.Err() != syscall.ECONNREFUSED {
		t.Errorf("Err %v, want ECONNREFUSED", f.tcb.Err())
	}
	lastChange(t, f, "SYN_SENT->CLOSED (icmp)")

	// Like Linux, not RFC 1122's soft error: a host unreachable about our
	// SYN fails the connect at once, with EHOSTUNREACH.
	f = synSent(t, fewRetries)
	f.tcb.ICMPError(f.now, testISS, ICMPReport{Err: syscall.EHOSTUNREACH})
	f.check("ICMP")
	f.expect()
	f.state(Closed)
	if f.tcb.Err() != syscall.EHOSTUNREACH {
		t.Errorf("Err %v, want EHOSTUNREACH", f.tcb.Err())
	}
}

// RFC 9293 §3.10.4 and §3.10.5 in SYN_SENT: CLOSE, a half-close and
// ABORT all delete the TCB without a segment, since the peer knows of no
// connection yet, and with it the data queued for after the handshake
// (FuzzTCB found a CLOSE that kept it: a CLOSED TCB holding its send
// buffer).
func TestSynSentCloseAndAbort(t *testing.T) {
	for _, c := range []struct {
		call string
		do   func(f *fixture)
	}{
		{"close", func(f *fixture) { f.close() }},
		{"shutdown", func(f *fixture) { f.shutdown() }},
		{"abort", func(f *fixture) { f.abort() }},
	} {
		t.Run(c.call, func(t *testing.T) {
			f := synSent(t, nil)
			f.at(500 * time.Millisecond)
			if n, err := f.write(1536); n != 1536 || err != nil {
				t.Fatalf("Write: %d, %v", n, err)
			}
			c.do(f)
			f.expect()
			f.state(Closed)
			lastChange(t, f, "SYN_SENT->CLOSED (call "+c.call+")")
		})
	}
}

// RFC 9293 §3.10.2, SEND in SYN_SENT: the data is queued and goes out
// with the handshake's ACK.
func TestSynSentQueuesData(t *testing.T) {
	f := synSent(t, nil)
	if n, err := f.write(10); n != 10 || err != nil {
		t.Fatalf("Write: %d, %v", n, err)
	}
	f.expect()
	f.at(100 * time.Millisecond)
	f.recv("<SEQ=5000><ACK=1001><CTL=SYN,ACK>")
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=10>")
	f.state(Established)
}
