package tcp

import (
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// Regression tests for the five data-path bugs a random-fault explorer
// found (issue 9), each at the level of the TCB. The simulations of
// sim/regress_test.go show the same bugs end to end.

// establishedTSSACK returns a fixture like established whose peer offered
// MSS 1460, SACK and timestamps, so every segment carries the 12 bytes of
// the timestamps option and MSS is 1448.
func establishedTSSACK(t *testing.T) *fixture {
	f := newFixture(t, nil)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.drain()
	f.at(100 * time.Millisecond)
	synAck := Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535}
	synAck.Options = wire.TCPOptions{MSS: 1460, HasMSS: true, SACKPermitted: true, HasTS: true, TSVal: 1}
	f.in(synAck)
	f.drain()
	return f
}

// Bug 1: a segment that carries SACK blocks carries that much less data,
// so that data and options together never exceed the MSS and the packet
// never exceeds the MTU (RFC 9293 §3.7.1; Linux tcp_current_mss).
func TestSACKBlocksShortenDataSegments(t *testing.T) {
	f := establishedTSSACK(t)
	for holes := 0; holes <= 4; holes++ {
		if holes > 0 {
			// Out-of-order data from the peer: one more hole each time.
			s := data(2000*holes, 100)
			s.Ack = f.tcb.snd.una
			s.Options = wire.TCPOptions{HasTS: true, TSVal: uint32(10 * holes)}
			f.in(s)
			f.drain()
		}
		f.tcb.Write(make([]byte, 3000))
		blocks := min(holes, 3) // three blocks fit beside the timestamps
		wantLen := 1448 - map[int]int{0: 0, 1: 12, 2: 20, 3: 28}[blocks]
		for i := 0; i < 2; i++ {
			s, ok := f.tcb.NextSegment(f.now, f.buf)
			if !ok {
				t.Fatalf("%d holes: segment %d not sent", holes, i)
			}
			if s.Options.NumSACK != blocks || len(s.Payload) != wantLen {
				t.Errorf("%d holes: %d SACK blocks and %d bytes of data, want %d and %d", holes, s.Options.NumSACK, len(s.Payload), blocks, wantLen)
			}
			if n := len(s.Payload) + s.Options.Len(); n > 1460 {
				t.Errorf("%d holes: data and options take %d bytes, more than the peer's MSS of 1460", holes, n)
			}
		}
		f.drain()
		f.in(Segment{Seq: testIRS + 1, Ack: f.tcb.snd.max, Flags: wire.FlagACK, Window: 65535,
			Options: wire.TCPOptions{HasTS: true, TSVal: uint32(10*holes + 5), TSEcr: f.tcb.tsNow(f.now)}})
		f.drain()
	}
}

// Bug 1 as retransmission: a resent segment also leaves room for SACK.
func TestSACKBlocksShortenRetransmissions(t *testing.T) {
	f := establishedTSSACK(t)
	f.tcb.Write(make([]byte, 1448))
	f.drain()
	f.in(data(500, 100)) // a hole in the peer's data
	f.drain()
	f.at(time.Duration(f.tcb.NextDeadline())) // the RTO
	s, ok := f.tcb.NextSegment(f.now, f.buf)
	if !ok || s.Seq != testISS+1 || len(s.Payload)+s.Options.Len() > 1460 || s.Options.NumSACK != 1 {
		t.Fatalf("retransmission %v (ok %v): data and options must fit the MSS of 1460", &s, ok)
	}
}

// Bug 3: after a retransmission timeout SND.NXT goes back to SND.UNA, but
// a pure ACK is numbered SND.MAX, which a peer that holds the data sent
// before the timeout still finds in its window.
func TestPureAckAfterTimeoutCarriesSndMax(t *testing.T) {
	f := established(t, nil)
	f.tcb.Write(make([]byte, 3000))
	f.expect(seg(0, 536), seg(536, 536), seg(1072, 536), seg(1608, 536), seg(2144, 536), seg(2680, 320))
	f.at(400 * time.Millisecond) // RTO 300 ms after the segments went at 100 ms
	f.expect(seg(0, 536))
	f.in(data(0, 100)) // the peer's data: an ACK is owed, cwnd allows no data
	f.expect("<SEQ=4001><ACK=5101><CTL=ACK><LEN=0>")
}

// Bug 4: when the peer's window has room for less than a segment, silly
// window avoidance waits; with nothing in flight to bring a window update
// the persist timer must fire and send what the window allows (RFC 9293
// §3.8.6.2.1's override timeout; Linux's probe timer), else a lost update
// stalls the connection for ever.
func TestSmallWindowPersistOverride(t *testing.T) {
	f := established(t, nil)
	f.tcb.Write(make([]byte, 2000))
	f.drain()
	small := ack(2000)
	small.Window = 300 // room for less than an MSS of 536, and below half the largest window
	f.in(small)
	f.tcb.Write(make([]byte, 3000))
	f.expect()
	deadline := f.tcb.NextDeadline()
	if rto := time.Duration(f.tcb.Info().RTO); deadline != f.now.Add(rto) {
		t.Fatalf("persist deadline %v, want the RTO (%v) after %v", deadline, rto, f.now)
	}
	f.at(time.Duration(deadline) - 1)
	f.expect()
	f.at(time.Duration(deadline))
	f.expect("<SEQ=3001><ACK=5001><CTL=ACK><LEN=300>")
	// The window closes behind it; from now on bare probes.
	closed := ack(2300)
	closed.Window = 0
	f.in(closed)
	f.expect()
	f.at(time.Duration(f.tcb.NextDeadline()))
	f.expect("<SEQ=3300><ACK=5001><CTL=ACK><LEN=0>")
}

// Bug 5: a keep-alive probe due when an ACK is owed does not replace it:
// the probe's sequence number is below the peer's window, so the peer
// drops it unread, ACK field included. The ACK goes first.
func TestKeepaliveProbeDoesNotReplaceOwedAck(t *testing.T) {
	f := established(t, func(c *Config) {
		c.KeepAlive = KeepAlive{Enable: true, Idle: 10 * time.Second, Interval: 2 * time.Second, Count: 3}
	})
	f.at(10100 * time.Millisecond) // the keep-alive is due
	// At the same instant the peer's SYN-ACK arrives again (our ACK of it
	// was lost), which must be answered by an ACK.
	f.in(Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535})
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>", "<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>")
}

// A sibling of bug 5: a bare window probe leaves a delayed ACK pending,
// since the peer cannot take the probe's ACK field.
func TestWindowProbeKeepsDelayedAck(t *testing.T) {
	f := established(t, func(c *Config) { c.QuickAcks = 0 })
	closed := ack(0)
	closed.Window = 0
	f.in(closed)
	f.tcb.Write(make([]byte, 10))
	f.expect()
	f.at(390 * time.Millisecond)
	d := data(0, 100)
	d.Window = 0
	f.in(d) // delayed: the ACK is due at 430 ms
	f.expect()
	f.at(400 * time.Millisecond)
	f.expect("<SEQ=1000><ACK=5101><CTL=ACK><LEN=0>") // the bare probe
	f.at(429 * time.Millisecond)
	f.expect()
	f.at(430 * time.Millisecond)
	f.expect("<SEQ=1001><ACK=5101><CTL=ACK><LEN=0>")
}

// Bug 2's root: a probe answered by a window that has room again lets the
// data go from SND.UNA, and the peer's acknowledgment of it is accepted:
// the sequence space stays in step.
func TestWindowProbeAnsweredResumesInStep(t *testing.T) {
	f := established(t, nil)
	closed := ack(0)
	closed.Window = 0
	f.in(closed)
	f.tcb.Write(make([]byte, 500))
	f.expect()
	f.at(400 * time.Millisecond)
	f.expect("<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>")
	f.in(ack(0))
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=500>")
	f.in(ack(500))
	if i := f.tcb.Info(); i.SndUna != testISS+501 || i.Unacked != 0 {
		t.Fatalf("after the ACK: SND.UNA %d, unacked %d", i.SndUna, i.Unacked)
	}
	if err := f.tcb.CheckInvariants(); err != nil {
		t.Fatal(err)
	}
}

// Found by the explorer after the five (seed 2006840): a peer shrinks its
// window to zero under data in flight and answers every probe the
// retransmission timer sends; when its window opens, the data goes out
// and the timer, still armed, fires before the ACK is back. As Linux's
// tcp_retransmit_timer does, the timeouts that met a zero window were
// probes, not retransmissions: they do not count towards Retries, so the
// connection lives on and retransmits, though more than the Retries bound
// (3.0 s for 3) has passed since its data was first sent.
func TestZeroWindowProbesAreNotRetransmissions(t *testing.T) {
	f := established(t, func(c *Config) { c.Retries = 3 })
	f.write(1000)
	f.drain()
	f.at(150 * time.Millisecond)
	shut := ack(0)
	shut.Window = 0
	f.in(shut) // the window shrinks to nothing under our 1,000 bytes
	for time.Duration(f.now) < 5*time.Second {
		f.at(time.Duration(f.tcb.NextDeadline()))
		if out := f.drain(); len(out) != 1 || out[0] != "<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>" {
			t.Fatalf("at %v the timer sent %v, want one window probe", f.now, out)
		}
		f.in(shut)
	}
	f.in(ack(0)) // the window opens: a loss window's worth goes at once
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=536>")
	f.at(time.Duration(f.tcb.NextDeadline())) // the ACK is late
	f.state(Established)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=536>")
	f.in(ack(1000))
	f.state(Established)
}

// Found by the explorer (seed 2010842): data sent before a path MTU drop
// is resent in smaller segments, so some of it stays unacknowledged
// beyond what the peer has acknowledged; the peer's window is then
// smaller than a segment. Silly window avoidance governs new data only
// (RFC 9293 §3.8.6.2.1): the retransmission timer must resend what the
// window allows, as Linux's tcp_retransmit_skb fits a retransmission to
// the window, instead of holding it back at every timeout until the
// connection times out.
func TestRetransmissionIntoASmallWindow(t *testing.T) {
	f := established(t, nil)
	f.write(2000)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=536>", "<SEQ=1537><ACK=5001><CTL=ACK><LEN=536>",
		"<SEQ=2073><ACK=5001><CTL=ACK><LEN=536>", "<SEQ=2609><ACK=5001><CTL=ACK><LEN=392>")
	f.at(150 * time.Millisecond)
	small := ack(1072)
	small.Window = 100
	f.in(small) // two segments arrived; the rest were lost, and the window is nearly full
	f.drain()
	f.at(time.Duration(f.tcb.NextDeadline()))
	f.expect("<SEQ=2073><ACK=5001><CTL=ACK><LEN=100>")
	f.state(Established)
}

// Found by the explorer (seed 2034628): when our ACK of the peer's last
// segment is lost, the peer resends it after its RTO; the ACK of the
// repeat must echo the repeat's timestamp, as Linux's does, or the
// peer's RTT sample spans its whole RTO, and with ACKs often lost its
// RTO stays near MaxRTO.
func TestRepeatOfTheLastSegmentEchoesItsTimestamp(t *testing.T) {
	f := establishedTSSACK(t)
	first := data(0, 100)
	first.Options = wire.TCPOptions{HasTS: true, TSVal: 100}
	f.in(first)
	f.at(200 * time.Millisecond) // the delayed ACK goes, and is lost
	f.drain()
	f.at(time.Second)
	repeat := first
	repeat.Options.TSVal = 900
	f.in(repeat)
	s, ok := f.tcb.NextSegment(f.now, f.buf)
	if !ok || s.Ack != testIRS+101 || s.Options.TSEcr != 900 {
		t.Fatalf("answer to the repeat %v (ok %v): want ACK %d echoing TSval 900", &s, ok, testIRS+101)
	}
}
