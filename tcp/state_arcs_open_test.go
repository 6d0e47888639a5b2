package tcp

import (
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
	"syscall"
	"testing"
	"time"
)

// The arcs out of LISTEN, SYN_SENT and SYN_RCVD.

// built adapts a one-sided builder to an arc case's run.
func built(b func(*testing.T, func(*Config)) *fixture) func(*testing.T, opening) *fixture {
	return func(t *testing.T, _ opening) *fixture { return b(t, nil) }
}

// closedBy runs a one-sided builder on to a user call at 200 ms, which
// sends want.
func closedBy(b func(*testing.T, func(*Config)) *fixture, call func(*fixture), want ...string) func(*testing.T, opening) *fixture {
	return func(t *testing.T, _ opening) *fixture {
		f := b(t, nil)
		f.at(200 * time.Millisecond)
		call(f)
		f.expect(want...)
		return f
	}
}

func callClose(f *fixture)    { f.close() }
func callShutdown(f *fixture) { f.shutdown() }
func callAbort(f *fixture)    { f.abort() }
func callCrash(f *fixture)    { f.tcb.Crash(f.now); f.check("Crash") }

const synAck = "<SEQ=1000><ACK=5001><CTL=SYN,ACK><LEN=0>"

// cookieACK is the final ACK, with 10 bytes of data, of a handshake our
// SYN cookie 1000 answered.
var cookieACK = Segment{Seq: testIRS + 1, Ack: testISS + 1, Flags: wire.FlagACK, Window: 100, Payload: make([]byte, 10)}

// fromCookie: cookieACK arrives at 100 ms and rebuilds the half-open
// connection (LISTEN -> SYN_RCVD by the ACK, RFC 4987 §3.6).
func fromCookie(t *testing.T, mod func(*Config)) *fixture {
	f := newFixture(t, mod)
	f.now = clock.Instant(100 * time.Millisecond)
	f.tcb = new(TCB)
	ack := cookieACK
	InitFromCookie(f.tcb, &f.cfg, f.now, f.params(testISS), &ack, 1460, CookieOptions{})
	f.check("InitFromCookie")
	return f
}

// Delivered to the rebuilt connection, the cookie's ACK completes the
// handshake and its data is kept.
func TestCookieACKCompletesWithData(t *testing.T) {
	f := fromCookie(t, nil)
	f.in(cookieACK)
	f.state(Established)
	if f.tcb.Readable() != 10 {
		t.Fatalf("the ACK's data was not kept: %d bytes readable", f.tcb.Readable())
	}
	f.expect("<SEQ=1001><ACK=5011><CTL=ACK><LEN=0>")
}

func openArcCases() []arcCase {
	return []arcCase{
		{Closed, SynSent, "call open", activeOnly, built(synSent)},
		{Listen, SynReceived, "rcv SYN", passiveOnly, built(synRcvdPassive)},
		{Listen, SynReceived, "rcv ACK", passiveOnly, built(fromCookie)},
		{Listen, Closed, "call close", passiveOnly, closedBy(listenAgain, callClose)},
		{Listen, Closed, "call shutdown", passiveOnly, closedBy(listenAgain, callShutdown)},
		{Listen, Closed, "call abort", passiveOnly, closedBy(listenAgain, callAbort)},
		{Listen, Closed, "host crash", passiveOnly, closedBy(listenAgain, callCrash)},

		{SynSent, SynReceived, "rcv SYN", activeOnly, built(synRcvdSimultaneous)},
		{SynSent, Established, "rcv SYN,ACK", activeOnly, func(t *testing.T, o opening) *fixture { return establishedBy(t, o, nil) }},
		{SynSent, Closed, "rcv RST,ACK", activeOnly, then(oneSide(synSent), "<SEQ=0><ACK=1001><CTL=RST,ACK>")},
		{SynSent, Closed, "timer retransmit", activeOnly,
			endByRetransmit(oneSide(synSent), nothing, "<SEQ=1000><CTL=SYN><LEN=0>", [3]time.Duration{time.Second, 3 * time.Second, 7 * time.Second})},
		{SynSent, Closed, "icmp", activeOnly, func(t *testing.T, _ opening) *fixture {
			f := synSent(t, nil)
			f.tcb.ICMPError(f.now, testISS, ICMPReport{Err: syscall.EHOSTUNREACH, DropRequest: true})
			f.check("ICMP")
			f.expect()
			return f
		}},
		{SynSent, Closed, "call close", activeOnly, closedBy(synSent, callClose)},
		{SynSent, Closed, "call shutdown", activeOnly, closedBy(synSent, callShutdown)},
		{SynSent, Closed, "call abort", activeOnly, closedBy(synSent, callAbort)},
		{SynSent, Closed, "host crash", activeOnly, closedBy(synSent, callCrash)},

		{SynReceived, Listen, "rcv RST", passiveOnly, built(listenAgain)},
		{SynReceived, Listen, "rcv SYN", passiveOnly, then(oneSide(synRcvdPassive), "<SEQ=6000><CTL=SYN>")},
		{SynReceived, Established, "rcv ACK", passiveOnly, func(t *testing.T, o opening) *fixture { return establishedBy(t, o, nil) }},
		{SynReceived, Established, "rcv ACK", activeOnly, then(oneSide(synRcvdSimultaneous), "<SEQ=5001><ACK=1001><CTL=ACK>")},
		{SynReceived, Established, "rcv SYN,ACK", activeOnly, then(oneSide(synRcvdSimultaneous), "<SEQ=5000><ACK=1001><CTL=SYN,ACK>")},
		{SynReceived, FinWait1, "call close", passiveOnly, closedBy(synRcvdPassive, callClose, "<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")},
		{SynReceived, FinWait1, "call close", activeOnly, closedBy(synRcvdSimultaneous, callClose, "<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")},
		{SynReceived, FinWait1, "call shutdown", passiveOnly, closedBy(synRcvdPassive, callShutdown, "<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")},
		{SynReceived, Closed, "rcv RST", activeOnly, then(oneSide(synRcvdSimultaneous), "<SEQ=5001><CTL=RST>")},
		{SynReceived, Closed, "timer retransmit", passiveOnly,
			endByRetransmit(oneSide(synRcvdPassive), nothing, synAck, [3]time.Duration{time.Second, 3 * time.Second, 7 * time.Second})},
		{SynReceived, Closed, "timer retransmit", activeOnly,
			endByRetransmit(oneSide(synRcvdSimultaneous), nothing, synAck, [3]time.Duration{1050 * time.Millisecond, 3050 * time.Millisecond, 7050 * time.Millisecond})},
		{SynReceived, Closed, "call abort", passiveOnly, closedBy(synRcvdPassive, callAbort, "<SEQ=1001><ACK=5001><CTL=RST,ACK><LEN=0>")},
		{SynReceived, Closed, "call abort", activeOnly, closedBy(synRcvdSimultaneous, callAbort, "<SEQ=1001><ACK=5001><CTL=RST,ACK><LEN=0>")},
		{SynReceived, Closed, "call close", passiveOnly, closedBy(synRcvdPassive, func(f *fixture) {
			f.tcb.Discard(f.now) // the listener closes; its half-open TCBs go silently
			f.check("Discard")
		})},
		{SynReceived, Closed, "host crash", passiveOnly, closedBy(synRcvdPassive, callCrash)},
		// A port unreachable about our SYN-ACK drops the half-open
		// connection silently, as Linux drops its request.
		{SynReceived, Closed, "icmp", passiveOnly, closedBy(synRcvdPassive, func(f *fixture) {
			if !f.tcb.ICMPError(f.now, testISS, ICMPReport{Err: syscall.ECONNREFUSED, DropRequest: true}) {
				f.t.Fatal("ICMP error rejected")
			}
			f.check("ICMP")
		})},
	}
}
