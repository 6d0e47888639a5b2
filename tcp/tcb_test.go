package tcp

import (
	"io"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/synack-net/synack/wire"
)

// RFC 9293 §3.10.7.4 with RFC 5961 §3.2: an RST at exactly RCV.NXT resets,
// one elsewhere in the window draws a challenge ACK, one outside it is dropped.
func TestResetAcceptance(t *testing.T) {
	f := established(t, nil)
	f.in(Segment{Seq: testIRS + 100, Flags: wire.FlagRST})
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	f.state(Established)
	f.in(Segment{Seq: testIRS - 100, Flags: wire.FlagRST})
	f.expect()
	f.state(Established)
	f.in(Segment{Seq: testIRS + 1, Flags: wire.FlagRST})
	f.expect()
	f.state(Closed)
	if f.tcb.Err() != syscall.ECONNRESET {
		t.Errorf("err %v", f.tcb.Err())
	}
	if _, err := f.tcb.Read(make([]byte, 1)); err != syscall.ECONNRESET {
		t.Errorf("read: %v", err)
	}
}

// RFC 5961 §4: a SYN in a synchronized state is answered by a challenge
// ACK, never a reset, and changes nothing.
func TestSynInEstablishedChallengeAck(t *testing.T) {
	f := established(t, nil)
	f.in(Segment{Seq: testIRS + 77, Flags: wire.FlagSYN, Window: 100})
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	f.state(Established)
	if f.tcb.Stats().ChallengeAcks != 1 {
		t.Error("not counted")
	}
}

// RFC 9293 §3.10.7.3: in SYN_SENT, an ACK that does not acknowledge our
// SYN draws <SEQ=SEG.ACK><CTL=RST>; an RST without an acceptable ACK is
// dropped; an RST with one refuses the connection.
func TestSynSentBadAckAndReset(t *testing.T) {
	f := newFixture(t, nil)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.drain()
	f.in(Segment{Seq: 9, Ack: 4242, Flags: wire.FlagACK})
	f.expect("<SEQ=4242><CTL=RST><LEN=0>")
	f.state(SynSent)
	f.in(Segment{Seq: 9, Flags: wire.FlagRST})
	f.state(SynSent)
	f.in(Segment{Seq: 0, Ack: testISS + 1, Flags: wire.FlagRST | wire.FlagACK})
	f.state(Closed)
	if f.tcb.Err() != syscall.ECONNREFUSED {
		t.Errorf("err %v", f.tcb.Err())
	}
}

// Sequence numbers wrap: an ISS just below 2^32 works through the wrap.
func TestSequenceWrap(t *testing.T) {
	f := newFixture(t, nil)
	iss := Seq(0xffffff00)
	f.tcb = NewActive(&f.cfg, 0, f.params(iss))
	f.drain()
	f.in(Segment{Seq: 0xfffffff0, Ack: iss + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535})
	f.drain()
	f.tcb.Write(make([]byte, 1000))
	// No MSS option from the peer: 536-byte segments, the second
	// starting past the wrap.
	f.expect("<SEQ=4294967041><ACK=4294967281><CTL=ACK><LEN=536>", "<SEQ=281><ACK=4294967281><CTL=ACK><LEN=464>")
	// The peer's data crosses zero: 32 bytes at 0xfffffff1..0x10.
	f.in(Segment{Seq: 0xfffffff1, Ack: iss + 1 + 1000, Flags: wire.FlagACK, Window: 65535, Payload: make([]byte, 32)})
	if f.tcb.Readable() != 32 {
		t.Fatalf("readable %d", f.tcb.Readable())
	}
	if i := f.tcb.Info(); i.RcvNxt != 0x11 || i.SndUna != iss+1+1000 {
		t.Fatalf("rcv.nxt %#x snd.una %#x", uint32(i.RcvNxt), uint32(i.SndUna))
	}
}

// Delayed ACK (RFC 1122 §4.2.3.2): one segment is acknowledged after the
// delay, not before; the second full segment is acknowledged at once.
func TestDelayedAck(t *testing.T) {
	f := established(t, func(c *Config) { c.QuickAcks = 0 })
	f.at(time.Second)
	f.in(data(0, 100))
	f.expect()
	f.at(time.Second + 39*time.Millisecond)
	f.expect()
	f.at(time.Second + 40*time.Millisecond)
	f.expect("<SEQ=1001><ACK=5101><CTL=ACK><LEN=0>")
	f.in(data(100, 536))
	f.expect()
	f.in(data(636, 536))
	f.expect("<SEQ=1001><ACK=6173><CTL=ACK><LEN=0>")
}

// Out-of-order data is acknowledged at once (RFC 5681 §4.2), and the FIN
// that follows a hole waits until the hole is filled.
func TestOutOfOrderAndPendingFin(t *testing.T) {
	f := established(t, nil)
	fin := data(100, 50)
	fin.Flags |= wire.FlagFIN
	f.in(fin)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	f.state(Established)
	f.in(data(0, 100))
	f.state(CloseWait)
	f.expect("<SEQ=1001><ACK=5152><CTL=ACK><LEN=0>")
	b := make([]byte, 200)
	if n, _ := f.tcb.Read(b); n != 150 {
		t.Fatalf("read %d", n)
	}
	if _, err := f.tcb.Read(b); err != io.EOF {
		t.Fatalf("read: %v, want EOF", err)
	}
}

// RFC 6298 §5: the first retransmission comes one RTO (300 ms after the
// 100 ms handshake) after the send, then the RTO doubles (§5.5).
func TestRetransmissionTimer(t *testing.T) {
	f := established(t, nil)
	f.tcb.Write(make([]byte, 100))
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=100>")
	f.at(399 * time.Millisecond)
	f.expect()
	f.at(400 * time.Millisecond)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=100>")
	f.at(999 * time.Millisecond)
	f.expect()
	f.at(time.Second)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=100>")
	f.in(ack(100))
	if f.tcb.NextDeadline() != clockNever {
		t.Errorf("timer still armed after everything was acknowledged")
	}
}

// Zero window: the sender stops and probes after the RTO with a bare ACK
// at SND.UNA-1, as Linux does (RFC 9293 §3.8.6.1 allows a probe of one
// byte, but a byte sent without advancing SND.NXT desynchronises the
// sequence space when the peer takes it). Probes back off while the window
// stays closed; when it opens the data leaves at once from SND.UNA.
func TestZeroWindowProbe(t *testing.T) {
	f := established(t, nil)
	closed := ack(0)
	closed.Window = 0
	f.in(closed)
	f.tcb.Write(make([]byte, 10))
	f.expect()
	f.at(399 * time.Millisecond)
	f.expect()
	f.at(400 * time.Millisecond)
	f.expect("<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>")
	f.in(closed) // still closed: the next probe after twice the RTO
	f.expect()
	f.at(999 * time.Millisecond)
	f.expect()
	f.at(time.Second)
	f.expect("<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>")
	f.in(ack(0))
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=10>")
	if i := f.tcb.Info(); i.SndNxt != testISS+11 || i.Unacked != 10 {
		t.Errorf("SND.NXT %d, unacked %d", i.SndNxt, i.Unacked)
	}
}

// Keep-alive (RFC 1122 §4.2.3.6): after Idle, a probe <SEQ=SND.UNA-1>
// every Interval; after Count unanswered probes, ETIMEDOUT.
func TestKeepAlive(t *testing.T) {
	f := established(t, func(c *Config) {
		c.KeepAlive = KeepAlive{Enable: true, Idle: 10 * time.Second, Interval: 2 * time.Second, Count: 3}
	})
	// The last segment arrived at 100 ms (the SYN-ACK).
	f.at(10099 * time.Millisecond)
	f.expect()
	f.at(10100 * time.Millisecond)
	f.expect("<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>")
	f.in(ack(0)) // answered: idle starts again
	f.at(12 * time.Second)
	f.expect()
	for _, ms := range []time.Duration{20100, 22100, 24100} {
		f.at(ms * time.Millisecond)
		f.expect("<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>")
	}
	f.at(26099 * time.Millisecond)
	f.state(Established)
	f.at(26100 * time.Millisecond)
	f.state(Closed)
	if f.tcb.Err() != syscall.ETIMEDOUT {
		t.Errorf("err %v", f.tcb.Err())
	}
}

// PAWS (RFC 7323 §5.3): a segment whose TSval is older than TS.Recent is
// dropped and acknowledged.
func TestPAWS(t *testing.T) {
	f := newFixture(t, nil)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.drain()
	f.in(Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535,
		Options: wire.TCPOptions{HasTS: true, TSVal: 1000, TSEcr: 1, HasWScale: true, WScale: 7}})
	f.drain()
	old := data(0, 10)
	old.Options = wire.TCPOptions{HasTS: true, TSVal: 999}
	f.in(old)
	if f.tcb.Readable() != 0 || f.tcb.Stats().PAWSRejected != 1 {
		t.Fatalf("PAWS let an old segment in")
	}
	fresh := data(0, 10)
	fresh.Options = wire.TCPOptions{HasTS: true, TSVal: 1001}
	f.in(fresh)
	if f.tcb.Readable() != 10 {
		t.Fatal("fresh segment rejected")
	}
	if i := f.tcb.Info(); i.SndWScale != 7 || !i.Timestamps {
		t.Errorf("negotiation: %+v", i)
	}
}

// Nagle (RFC 9293 §3.7.4), when enabled: one small segment in flight.
func TestNagle(t *testing.T) {
	f := established(t, func(c *Config) { c.NoDelay = false })
	f.tcb.Write([]byte("a"))
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=1>")
	f.tcb.Write([]byte("b"))
	f.tcb.Write([]byte("c"))
	f.expect()
	f.in(ack(1))
	f.expect("<SEQ=1002><ACK=5001><CTL=ACK><LEN=2>")
}

// Close with unread data resets the connection (RFC 2525 §2.17, Linux).
func TestCloseWithUnreadDataResets(t *testing.T) {
	f := established(t, nil)
	f.in(data(0, 10))
	f.drain()
	f.tcb.Close(f.now)
	f.expect("<SEQ=1001><ACK=5011><CTL=RST,ACK><LEN=0>")
	f.state(Closed)
}

// An orphaned FIN_WAIT_2 ends after FinWait2Timeout.
func TestFinWait2Timeout(t *testing.T) {
	f := established(t, nil)
	f.tcb.Close(f.now)
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	f.at(time.Second)
	f.in(ack(1))
	f.state(FinWait2)
	f.at(60999 * time.Millisecond)
	f.state(FinWait2)
	f.at(61 * time.Second)
	f.state(Closed)
}

// TestTCBSizeClass guards the memory an idle connection costs: the TCB,
// plus the 8-byte header the Go allocator puts before an object of more
// than 512 bytes that holds pointers, must fit the allocator's 640-byte
// size class; 8 bytes more would cost 64 (the next class is 704), as
// TestIdleConnHeap in the root package shows. What an idle connection
// does not need belongs in tcbCold.
func TestTCBSizeClass(t *testing.T) {
	if size := unsafe.Sizeof(TCB{}) + 8; size > 640 {
		t.Errorf("a TCB takes %d bytes with its allocation header; the 640-byte size class holds it no longer", size)
	}
}

// TestColdPartOnDemand checks that a connection that opens, exchanges
// data and goes idle has no cold part (tcbCold): what it holds is
// allocated only when an exceptional event or a setting needs it.
func TestColdPartOnDemand(t *testing.T) {
	eachOpening(t, func(t *testing.T, o opening) {
		f := establishedBy(t, o, nil)
		f.write(100)
		f.drain()
		f.in(ack(100))
		f.in(data(0, 100))
		f.read()
		f.drain()
		f.tcb.SetSharedKeepAlive(&KeepAlive{Enable: true, Idle: time.Second, Interval: time.Second, Count: 3})
		if f.tcb.cold != nil {
			t.Fatalf("an idle connection holds a cold part: %+v", *f.tcb.cold)
		}
		if s := f.tcb.Stats(); s.SegsIn == 0 || s.SegsOut == 0 || s.BytesSent != 100 || s.BytesReceived != 100 {
			t.Errorf("stats %+v", s)
		}
		f.tcb.SetUserTimeout(5 * time.Second)
		if f.tcb.cold == nil || f.tcb.UserTimeout() != 5*time.Second {
			t.Errorf("a user timeout: cold part %v, UserTimeout %v", f.tcb.cold != nil, f.tcb.UserTimeout())
		}
	})
}

// TestCubicSize guards the 64-byte size class of CUBIC's per-connection
// state, which every connection allocates beside its TCB: one byte more
// would cost 16 (the next class is 80).
func TestCubicSize(t *testing.T) {
	if size := unsafe.Sizeof(cubicCC{}); size > 64 {
		t.Errorf("CUBIC's state takes %d bytes; the 64-byte size class holds it no longer", size)
	}
}
