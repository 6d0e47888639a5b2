package tcp

import (
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// The arcs out of ESTABLISHED and the closing states, each from an
// active and a passive open.

// closeUnread runs a builder on to the peer's segment in, which leaves
// data unread and draws ack, and then Close, which aborts with rst
// (RFC 2525 §2.17).
func closeUnread(build stateBuilder, in, ack, rst string) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, nil)
		f.recv(in)
		f.expect(ack)
		f.close()
		f.expect(rst)
		return f
	}
}

// shutdownAt runs a builder on to Shutdown at d, which sends want.
func shutdownAt(build stateBuilder, d time.Duration, want string) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, nil)
		f.at(d)
		f.shutdown()
		f.expect(want)
		return f
	}
}

// keepAlive is a keep-alive of one probe 10 s after the last segment,
// given up on 2 s later.
func keepAlive(c *Config) {
	c.KeepAlive = KeepAlive{Enable: true, Idle: 10 * time.Second, Interval: 2 * time.Second, Count: 1}
}

// endByKeepAlive builds with keepAlive and expects the probe
// <SEQ=SND.UNA-1> at probe and, unanswered, the end at probe+2 s with
// ETIMEDOUT (RFC 1122 §4.2.3.6) and, as Linux sends, the reset rst.
func endByKeepAlive(build stateBuilder, probe time.Duration, want, rst string) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, keepAlive)
		f.edge(probe, want)
		lastFired(t, f, TimerKeepalive)
		f.edge(probe+2*time.Second, rst)
		endedBy(t, f, TimerKeepalive, syscall.ETIMEDOUT)
		return f
	}
}

// persistRetries gives up on a peer that answers no window probe after
// two of them.
func persistRetries(c *Config) { c.Retries = 2 }

// endByPersist builds with persistRetries, then at 1 s has the peer close
// its window with closed and, with then, leaves data waiting: the persist
// timer probes (probe, <SEQ=SND.UNA-1>) at 1.3 s and 1.9 s, backing off,
// and with both unanswered gives up at 3.1 s with ETIMEDOUT (Linux's
// tcp_probe_timer against tcp_retries2).
func endByPersist(build stateBuilder, closed, probe string, then func(*fixture)) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := build(t, o, persistRetries)
		f.at(time.Second)
		f.recv(closed)
		f.write(10)
		then(f)
		f.expect()
		f.edge(1300*time.Millisecond, probe)
		f.edge(1900*time.Millisecond, probe)
		f.edge(3100 * time.Millisecond)
		endedBy(t, f, TimerPersist, syscall.ETIMEDOUT)
		return f
	}
}

// sendAt1s writes 10 bytes at 1 s and expects them sent as want.
func sendAt1s(want string) func(*fixture) {
	return func(f *fixture) {
		f.at(time.Second)
		f.write(10)
		f.expect(want)
	}
}

// timeWaitNo1337 is timeWait with RFC 1337 protection off.
func timeWaitNo1337(t *testing.T, o opening, _ func(*Config)) *fixture {
	return timeWait(t, o, func(c *Config) { c.RFC1337 = false })
}

// endTimeWait ends a TIME_WAIT early as the host does, for why: for a
// SYN that opens a new incarnation of the connection (RFC 6191), or for
// want of room.
func endTimeWait(why Cause) func(*testing.T, opening) *fixture {
	return func(t *testing.T, o opening) *fixture {
		f := timeWait(t, o, nil)
		f.at(3 * time.Second)
		syn := Segment{Seq: 6000, Flags: wire.FlagSYN}
		if why.Kind == CauseSegment && !f.tcb.AcceptsNewIncarnation(&syn) {
			t.Fatalf("%v is no new incarnation", syn.String())
		}
		f.tcb.EndTimeWait(f.now, why)
		f.check("EndTimeWait")
		f.expect()
		return f
	}
}

func closeArcCases() []arcCase {
	const (
		estData = "<SEQ=1001><ACK=5001><CTL=ACK><LEN=10>"
		cwData  = "<SEQ=1001><ACK=5002><CTL=ACK><LEN=10>"
		fw1FIN  = "<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>"
		fin2FIN = "<SEQ=1001><ACK=5002><CTL=FIN,ACK><LEN=0>"
		ack5011 = "<SEQ=1002><ACK=5011><CTL=ACK><LEN=0>"
	)
	b := openings
	return []arcCase{
		{Established, FinWait1, "call close", b, func(t *testing.T, o opening) *fixture { return finWait1(t, o, nil) }},
		{Established, FinWait1, "call shutdown", b, func(t *testing.T, o opening) *fixture { return finWait1Half(t, o, nil) }},
		{Established, CloseWait, "rcv FIN,ACK", b, func(t *testing.T, o opening) *fixture { return closeWait(t, o, nil) }},
		{Established, Closed, "rcv RST", b, endByReset(establishedBy, "<SEQ=5001><CTL=RST>")},
		{Established, Closed, "timer retransmit", b, endByRetransmit(establishedBy, sendAt1s(estData), estData,
			[3]time.Duration{1300 * time.Millisecond, 1900 * time.Millisecond, 3100 * time.Millisecond})},
		{Established, Closed, "timer keepalive", b, endByKeepAlive(establishedBy, 10100*time.Millisecond, "<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>",
			"<SEQ=1001><ACK=5001><CTL=RST,ACK><LEN=0>")},
		{Established, Closed, "timer user-timeout", b, endByUserTimeout(establishedBy, sendAt1s(estData), 1250*time.Millisecond)},
		{Established, Closed, "call abort", b, endByAbort(establishedBy, "<SEQ=1001><ACK=5001><CTL=RST,ACK><LEN=0>")},
		{Established, Closed, "call close", b, closeUnread(establishedBy, "<SEQ=5001><ACK=1001><CTL=ACK><LEN=10>",
			"<SEQ=1001><ACK=5011><CTL=ACK><LEN=0>", "<SEQ=1001><ACK=5011><CTL=RST,ACK><LEN=0>")},
		{Established, Closed, "host crash", b, endByCrash(establishedBy)},
		{Established, Closed, "timer persist", b, endByPersist(establishedBy, "<SEQ=5001><ACK=1001><CTL=ACK><WND=0>",
			"<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>", nothing)},

		{FinWait1, FinWait2, "rcv ACK", b, func(t *testing.T, o opening) *fixture { return finWait2(t, o, nil) }},
		{FinWait1, Closing, "rcv FIN,ACK", b, func(t *testing.T, o opening) *fixture { return closing(t, o, nil) }},
		{FinWait1, Closed, "rcv RST", b, endByReset(finWait1, "<SEQ=5001><CTL=RST>")},
		{FinWait1, Closed, "rcv PSH,ACK", b, then(finWait1, "<SEQ=5001><ACK=1001><CTL=PSH,ACK><LEN=10>", "<SEQ=1001><CTL=RST><LEN=0>")},
		{FinWait1, Closed, "timer retransmit", b, endByRetransmit(finWait1, nothing, fw1FIN,
			[3]time.Duration{1300 * time.Millisecond, 1900 * time.Millisecond, 3100 * time.Millisecond})},
		{FinWait1, Closed, "timer user-timeout", b, endByUserTimeout(finWait1, nothing, 1250*time.Millisecond)},
		{FinWait1, Closed, "call abort", b, endByAbort(finWait1, "<SEQ=1002><ACK=5001><CTL=RST,ACK><LEN=0>")},
		{FinWait1, Closed, "call close", b, closeUnread(finWait1Half, "<SEQ=5001><ACK=1001><CTL=ACK><LEN=10>",
			ack5011, "<SEQ=1002><ACK=5011><CTL=RST,ACK><LEN=0>")},
		{FinWait1, Closed, "host crash", b, endByCrash(finWait1)},
		{FinWait1, Closed, "timer persist", b, endByPersist(establishedBy, "<SEQ=5001><ACK=1001><CTL=ACK><WND=0>",
			"<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>", func(f *fixture) { f.shutdown(); f.state(FinWait1) })},

		{FinWait2, TimeWait, "rcv FIN,ACK", b, func(t *testing.T, o opening) *fixture { return timeWait(t, o, nil) }},
		{FinWait2, Closed, "timer fin-wait-2", b, func(t *testing.T, o opening) *fixture {
			f := finWait2(t, o, nil)
			f.edge(61100 * time.Millisecond)
			endedBy(t, f, TimerFinWait2, 0)
			return f
		}},
		{FinWait2, Closed, "rcv RST", b, endByReset(finWait2, "<SEQ=5001><CTL=RST>")},
		{FinWait2, Closed, "rcv PSH,ACK", b, then(finWait2, "<SEQ=5001><ACK=1002><CTL=PSH,ACK><LEN=10>", "<SEQ=1002><CTL=RST><LEN=0>")},
		{FinWait2, Closed, "call abort", b, endByAbort(finWait2, "<SEQ=1002><ACK=5001><CTL=RST,ACK><LEN=0>")},
		{FinWait2, Closed, "call close", b, closeUnread(finWait2Half, "<SEQ=5001><ACK=1002><CTL=ACK><LEN=10>",
			ack5011, "<SEQ=1002><ACK=5011><CTL=RST,ACK><LEN=0>")},
		{FinWait2, Closed, "host crash", b, endByCrash(finWait2)},
		// A half-closed connection to a dead peer: no FIN_WAIT_2 timeout
		// applies, keep-alive ends it (Linux runs keep-alive here too).
		{FinWait2, Closed, "timer keepalive", b, endByKeepAlive(finWait2Half, 11100*time.Millisecond,
			"<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>", "<SEQ=1002><ACK=5001><CTL=RST,ACK><LEN=0>")},

		{CloseWait, LastAck, "call close", b, func(t *testing.T, o opening) *fixture { return lastAck(t, o, nil) }},
		{CloseWait, LastAck, "call shutdown", b, shutdownAt(closeWait, 2*time.Second, fin2FIN)},
		{CloseWait, Closed, "rcv RST", b, endByReset(closeWait, "<SEQ=5002><CTL=RST>")},
		{CloseWait, Closed, "timer retransmit", b, endByRetransmit(closeWait, sendAt1s(cwData), cwData,
			[3]time.Duration{1300 * time.Millisecond, 1900 * time.Millisecond, 3100 * time.Millisecond})},
		{CloseWait, Closed, "timer keepalive", b, endByKeepAlive(closeWait, 11*time.Second, "<SEQ=1000><ACK=5002><CTL=ACK><LEN=0>",
			"<SEQ=1001><ACK=5002><CTL=RST,ACK><LEN=0>")},
		{CloseWait, Closed, "timer user-timeout", b, endByUserTimeout(closeWait, sendAt1s(cwData), 1250*time.Millisecond)},
		{CloseWait, Closed, "call abort", b, endByAbort(closeWait, "<SEQ=1001><ACK=5002><CTL=RST,ACK><LEN=0>")},
		{CloseWait, Closed, "call close", b, closeUnread(establishedBy, "<SEQ=5001><ACK=1001><CTL=FIN,ACK><LEN=10>",
			"<SEQ=1001><ACK=5012><CTL=ACK><LEN=0>", "<SEQ=1001><ACK=5012><CTL=RST,ACK><LEN=0>")},
		{CloseWait, Closed, "host crash", b, endByCrash(closeWait)},
		{CloseWait, Closed, "timer persist", b, endByPersist(closeWait, "<SEQ=5002><ACK=1001><CTL=ACK><WND=0>",
			"<SEQ=1000><ACK=5002><CTL=ACK><LEN=0>", nothing)},

		{Closing, TimeWait, "rcv ACK", b, then(closing, "<SEQ=5002><ACK=1002><CTL=ACK>")},
		{Closing, Closed, "rcv RST", b, endByReset(closing, "<SEQ=5002><CTL=RST>")},
		{Closing, Closed, "timer retransmit", b, endByRetransmit(closing, nothing, fin2FIN,
			[3]time.Duration{1300 * time.Millisecond, 1900 * time.Millisecond, 3100 * time.Millisecond})},
		{Closing, Closed, "timer user-timeout", b, endByUserTimeout(closing, nothing, 1250*time.Millisecond)},
		{Closing, Closed, "call abort", b, endByAbort(closing)},
		{Closing, Closed, "call close", b, closeUnread(finWait1Half, "<SEQ=5001><ACK=1001><CTL=FIN,ACK><LEN=10>",
			"<SEQ=1002><ACK=5012><CTL=ACK><LEN=0>", "<SEQ=1002><ACK=5012><CTL=RST,ACK><LEN=0>")},
		{Closing, Closed, "host crash", b, endByCrash(closing)},

		{LastAck, Closed, "rcv ACK", b, func(t *testing.T, o opening) *fixture { return closedAfterLastAck(t, o, nil) }},
		{LastAck, Closed, "rcv RST", b, endByReset(lastAck, "<SEQ=5002><CTL=RST>")},
		{LastAck, Closed, "timer retransmit", b, endByRetransmit(lastAck, nothing, fin2FIN,
			[3]time.Duration{2300 * time.Millisecond, 2900 * time.Millisecond, 4100 * time.Millisecond})},
		{LastAck, Closed, "timer user-timeout", b, endByUserTimeout(lastAck, nothing, 2250*time.Millisecond)},
		{LastAck, Closed, "call abort", b, endByAbort(lastAck)},
		{LastAck, Closed, "call close", b, func(t *testing.T, o opening) *fixture {
			f := establishedBy(t, o, nil)
			f.recv("<SEQ=5001><ACK=1001><CTL=FIN,ACK><LEN=10>")
			f.expect("<SEQ=1001><ACK=5012><CTL=ACK><LEN=0>")
			f.shutdown()
			f.expect("<SEQ=1001><ACK=5012><CTL=FIN,ACK><LEN=0>")
			f.state(LastAck)
			f.close()
			f.expect("<SEQ=1002><ACK=5012><CTL=RST,ACK><LEN=0>")
			return f
		}},
		{LastAck, Closed, "host crash", b, endByCrash(lastAck)},

		{TimeWait, Closed, "timer 2msl", b, func(t *testing.T, o opening) *fixture {
			f := timeWait(t, o, nil)
			f.edge(62 * time.Second)
			endedBy(t, f, TimerTimeWait, 0)
			return f
		}},
		{TimeWait, Closed, "rcv RST", b, endByReset(timeWaitNo1337, "<SEQ=5002><CTL=RST>")},
		{TimeWait, Closed, "rcv SYN", b, endTimeWait(Cause{Kind: CauseSegment, Flags: wire.FlagSYN})},
		{TimeWait, Closed, "host limit", b, endTimeWait(Cause{Kind: CauseLimit})},
		{TimeWait, Closed, "call open", b, endTimeWait(callCause(CallOpen))}, // tcp_tw_reuse
		{TimeWait, Closed, "call abort", b, endByAbort(timeWait)},
		{TimeWait, Closed, "host crash", b, endByCrash(timeWait)},
	}
}
