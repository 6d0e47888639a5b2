package tcp

import (
	"slices"
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// pushFlags sends everything due now and returns, per data segment, its
// length and whether it carries PSH.
func (f *fixture) pushFlags() (lens []int, psh []bool) {
	for {
		s, ok := f.tcb.NextSegment(f.now, f.buf)
		if !ok {
			return lens, psh
		}
		if len(s.Payload) > 0 {
			lens = append(lens, len(s.Payload))
			psh = append(psh, s.Flags&wire.FlagPSH != 0)
		}
	}
}

// PSH goes on the segment that ends the data written so far and on the
// last segment of a burst that the window cuts short (RFC 9293 §3.9.1;
// what a Linux TSO burst looks like on the wire), and nowhere else.
func TestPushOnEndOfWriteAndEndOfBurst(t *testing.T) {
	f := established(t, nil) // MSS 536, initial window 10 segments
	f.tcb.Write(make([]byte, 3*536+100))
	lens, psh := f.pushFlags()
	if want := []int{536, 536, 536, 100}; !slices.Equal(lens, want) {
		t.Fatalf("lengths %v, want %v", lens, want)
	}
	if want := []bool{false, false, false, true}; !slices.Equal(psh, want) {
		t.Errorf("PSH %v, want %v (end of the write only)", psh, want)
	}

	f = established(t, nil)
	f.tcb.Write(make([]byte, 12*536))
	lens, psh = f.pushFlags()
	if len(lens) != 10 {
		t.Fatalf("sent %d segments, want the initial window of 10", len(lens))
	}
	for i, p := range psh {
		if p != (i == 9) {
			t.Fatalf("PSH %v: want it on the last segment of the burst only", psh)
		}
	}
	// One ACK opens room for two more (slow start): the end of the write.
	f.in(ack(536))
	lens, psh = f.pushFlags()
	if !slices.Equal(lens, []int{536, 536}) || !slices.Equal(psh, []bool{false, true}) {
		t.Errorf("after an ACK: %v %v, want two segments, PSH on the last", lens, psh)
	}
}

// A single segment released mid-write, alone, carries no PSH: the peer's
// window opens by exactly one segment at a time.
func TestNoPushOnLoneSegmentMidWrite(t *testing.T) {
	f := established(t, nil)
	f.tcb.Write(make([]byte, 30*536))
	f.in(Segment{Seq: testIRS + 1, Ack: testISS + 1, Flags: wire.FlagACK, Window: 536})
	for i := 1; i <= 3; i++ {
		lens, psh := f.pushFlags()
		if !slices.Equal(lens, []int{536}) || !slices.Equal(psh, []bool{false}) {
			t.Fatalf("step %d: %v %v, want one 536-byte segment without PSH", i, lens, psh)
		}
		f.in(Segment{Seq: testIRS + 1, Ack: testISS + 1 + Seq(i*536), Flags: wire.FlagACK, Window: 536})
	}
}

// Minshall's Nagle: the partial tail of a write goes out behind full
// segments, but a second small segment waits while the first is
// unacknowledged.
func TestNagleMinshall(t *testing.T) {
	f := established(t, func(c *Config) { c.NoDelay = false })
	f.tcb.Write(make([]byte, 536+10))
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=536>", "<SEQ=1537><ACK=5001><CTL=ACK><LEN=10>")
	f.tcb.Write(make([]byte, 5))
	f.expect()
	f.in(ack(536)) // the full segment: the small one is still out
	f.expect()
	f.in(ack(546))
	f.expect("<SEQ=1547><ACK=5001><CTL=ACK><LEN=5>")
}

// An abort on a connection with timestamps carries one, fresh
// (RFC 7323 §3.2; packetdrill reset_tsval).
func TestAbortResetCarriesTimestamp(t *testing.T) {
	f := newFixture(t, nil)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.drain()
	f.at(100 * time.Millisecond)
	synAck := Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535}
	synAck.Options.TSVal, synAck.Options.HasTS = 777, true
	f.in(synAck)
	f.drain()
	f.at(time.Second)
	f.tcb.Abort(f.now)
	rst, ok := f.tcb.NextSegment(f.now, f.buf)
	if !ok || rst.Flags != wire.FlagRST|wire.FlagACK {
		t.Fatalf("sent %v %v, want RST,ACK", brief(&rst), ok)
	}
	if o := rst.Options; !o.HasTS || o.TSVal != f.tcb.tsNow(f.now) || o.TSEcr != 777 {
		t.Errorf("RST timestamps %+v, want val %d ecr 777", o, f.tcb.tsNow(f.now))
	}
}

// In a simultaneous open our SYN-ACK repeats our SYN (same ISN, same
// options), whatever the crossing SYN offered (Linux does the same).
func TestSimultaneousOpenSynAckRepeatsOurOptions(t *testing.T) {
	f := newFixture(t, nil)
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	syn, _ := f.tcb.NextSegment(f.now, f.buf)
	f.drain()
	f.in(Segment{Seq: testIRS, Flags: wire.FlagSYN, Window: 65535}) // no options
	f.state(SynReceived)
	synAck, ok := f.tcb.NextSegment(f.now, f.buf)
	if !ok || synAck.Flags != wire.FlagSYN|wire.FlagACK || synAck.Seq != syn.Seq || synAck.Ack != testIRS+1 {
		t.Fatalf("sent %s, want SYN,ACK with our ISN", brief(&synAck))
	}
	o, s := synAck.Options, syn.Options
	if o.MSS != s.MSS || o.HasWScale != s.HasWScale || o.WScale != s.WScale || o.SACKPermitted != s.SACKPermitted || o.HasTS != s.HasTS {
		t.Errorf("SYN-ACK options %+v, want those of our SYN %+v", o, s)
	}
}

// Data arriving after the user closed resets the connection with the reset
// a closed port would send, built from the segment (RFC 2525 §2.17; Linux).
func TestDataAfterCloseDrawsStrayReset(t *testing.T) {
	f := established(t, nil)
	f.tcb.Close(f.now)
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=0>")
	f.in(data(0, 100))
	f.expect("<SEQ=1001><CTL=RST><LEN=0>")
	f.state(Closed)
}

// A read sends a window update only when the peer's remaining window was
// at most half the buffer and the read at least doubles it (Linux's
// __tcp_cleanup_rbuf); smaller openings wait for the next ACK.
func TestWindowUpdateAfterRead(t *testing.T) {
	f := established(t, func(c *Config) { c.ReceiveBufferSize, c.ReceiveBufferMax = 8192, 0 })
	f.in(data(0, 3000))
	f.in(data(3000, 3000))
	f.drain()
	if left := f.tcb.Info().RcvWnd; left != 2192 {
		t.Fatalf("setup: the peer has %d bytes of window, want 2192", left)
	}
	f.tcb.Read(make([]byte, 1000)) // 3192 free: less than twice 2192
	f.expect()
	f.tcb.Read(make([]byte, 5000)) // 8192 free
	f.expect("<SEQ=1001><ACK=11001><CTL=ACK><LEN=0>")
	f.tcb.Read(make([]byte, 10)) // nothing left to read: nothing to say
	f.expect()
}

// ACKs that answer unacceptable segments are limited to one per
// AckRateLimit on a connection (RFC 5961 §7; Linux tcp_invalid_ratelimit).
func TestInvalidAckRateLimit(t *testing.T) {
	f := established(t, nil)
	old := Segment{Seq: testIRS + 1 + 100000, Ack: testISS + 1, Flags: wire.FlagACK} // past the window
	rst := Segment{Seq: testIRS + 100, Flags: wire.FlagRST}
	f.at(time.Second)
	f.in(old)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	f.in(old)
	f.in(rst) // in window, not at RCV.NXT: a challenge ACK, but limited
	f.at(1499 * time.Millisecond)
	f.in(old)
	f.expect()
	f.at(1500 * time.Millisecond)
	f.in(rst)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	if s := f.tcb.Stats(); s.InvalidAcksLimited != 3 || s.ChallengeAcks != 2 {
		t.Errorf("limited %d, challenge ACKs %d; want 3 and 2", s.InvalidAcksLimited, s.ChallengeAcks)
	}
	f.state(Established)
}

// A repeat of data already received is acknowledged every time, however
// often it comes: as Linux's tcp_oow_rate_limited does, the rate limit
// spares segments that carry data, which cannot be part of an ACK loop and
// are most often retransmissions whose sender lost our first ACK.
func TestRepeatedDataIsAlwaysAcknowledged(t *testing.T) {
	f := established(t, nil)
	old := data(-1000, 10) // entirely before RCV.NXT
	f.at(time.Second)
	for i := range 3 {
		f.at(time.Second + time.Duration(i)*time.Millisecond)
		f.in(old)
		f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	}
	if s := f.tcb.Stats(); s.InvalidAcksLimited != 0 {
		t.Errorf("%d ACKs limited, want none", s.InvalidAcksLimited)
	}
}
