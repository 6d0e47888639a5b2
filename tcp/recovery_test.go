package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// establishedSACK returns a fixture like established, but the peer's
// SYN-ACK offered SACK and an MSS of 1000, so SACK-based recovery applies,
// and with Reno, whose ssthresh is half the flight (CUBIC keeps 0.7 of it).
func establishedSACK(t *testing.T) *fixture { return establishedSACKWith(t, nil) }

// establishedRFC6675 is establishedSACK with RACK off, so that RFC 6675's
// DupThresh rule marks losses (Linux's net.ipv4.tcp_recovery=0).
func establishedRFC6675(t *testing.T) *fixture {
	return establishedSACKWith(t, func(c *Config) { c.NoRACK = true })
}

// establishedSACKWith is establishedSACK with mod applied to the Config.
func establishedSACKWith(t *testing.T, mod func(*Config)) *fixture {
	f := newFixture(t, func(c *Config) {
		c.Timestamps = false
		c.CongestionControl = "reno"
		if mod != nil {
			mod(c)
		}
	})
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.drain()
	f.at(100 * time.Millisecond)
	synAck := Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535}
	synAck.Options.SACKPermitted = true
	synAck.Options.MSS, synAck.Options.HasMSS = 1000, true
	f.in(synAck)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	return f
}

// sackAck is a pure ACK from the peer acknowledging n bytes, with SACK
// blocks given as byte offsets of our stream (0 is ISS+1).
func sackAck(n int, sacked ...int) Segment {
	s := Segment{Seq: testIRS + 1, Ack: testISS + 1 + Seq(n), Flags: wire.FlagACK, Window: 65535}
	for i := 0; i+1 < len(sacked); i += 2 {
		s.Options.SACK[s.Options.NumSACK] = wire.SACKBlock{
			Left: uint32(testISS + 1 + Seq(sacked[i])), Right: uint32(testISS + 1 + Seq(sacked[i+1]))}
		s.Options.NumSACK++
	}
	return s
}

func seg(off, n int) string {
	return fmt.Sprintf("<SEQ=%d><ACK=5001><CTL=ACK><LEN=%d>", 1001+off, n)
}

// Three ACKs that SACK new data trigger one fast retransmit of the first
// segment (RFC 6675 §5; packetdrill fr-4pkt-sack); a further ACK with no
// new SACK information does not count as a duplicate.
func TestSACKFastRetransmit(t *testing.T) {
	f := establishedRFC6675(t)
	f.tcb.Write(make([]byte, 4000))
	f.expect(seg(0, 1000), seg(1000, 1000), seg(2000, 1000), seg(3000, 1000))
	f.at(200 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.expect()
	f.in(sackAck(0, 1000, 2000)) // nothing new: not a duplicate ACK
	f.expect()
	f.in(sackAck(0, 1000, 3000))
	f.expect()
	f.in(sackAck(0, 1000, 4000))
	f.expect(seg(0, 1000))
	if got := f.tcb.Stats().FastRetrans; got != 1 {
		t.Errorf("FastRetrans = %d", got)
	}
	f.in(sackAck(4000))
	f.expect()
	if f.tcb.inRecovery {
		t.Error("still in recovery after the full ACK")
	}
}

// Two holes in one window are both repaired in one round trip: the second
// is retransmitted as soon as the scoreboard marks it lost and pipe leaves
// room, without waiting for a partial ACK (RFC 6675 §5, NextSeg rule 1),
// and SACKed segments are never resent.
func TestSACKRepairsSeveralHoles(t *testing.T) {
	f := establishedRFC6675(t)
	f.tcb.Write(make([]byte, 10000))
	var all []string
	for i := range 10 {
		all = append(all, seg(i*1000, 1000))
	}
	f.expect(all...)
	f.at(200 * time.Millisecond)
	// Segments 0 and 4 are lost; the others arrive, each drawing a SACK.
	f.in(sackAck(0, 1000, 2000))
	f.in(sackAck(0, 1000, 3000))
	f.in(sackAck(0, 1000, 4000))
	// Three SACKed segments above the first hole: it is lost. cwnd =
	// ssthresh = 5000; pipe = 10000 - 3000 SACKed - 1000 lost = 6000: only
	// the mandatory first retransmission goes.
	f.expect(seg(0, 1000))
	f.in(sackAck(0, 1000, 4000, 5000, 6000))
	f.in(sackAck(0, 1000, 4000, 5000, 7000))
	f.expect()
	f.in(sackAck(0, 1000, 4000, 5000, 8000))
	// Now 6 segments are SACKed: pipe = 1000 (the retransmission) + the
	// hole at 4000 (lost: three SACKed segments above it) not counted +
	// 8000-10000 = 3000: room for the lost hole.
	f.expect(seg(4000, 1000))
	f.in(sackAck(4000, 5000, 10000)) // the first retransmission arrived
	f.expect()
	f.in(sackAck(10000))
	if f.tcb.inRecovery || f.tcb.Stats().RetransSegs != 2 {
		t.Errorf("recovery %v, %d retransmissions; want done with 2", f.tcb.inRecovery, f.tcb.Stats().RetransSegs)
	}
}

// After a timeout the sender goes back to SND.UNA but skips what the
// receiver SACKed.
func TestRTOSkipsSACKedData(t *testing.T) {
	f := establishedRFC6675(t)
	f.tcb.Write(make([]byte, 5000))
	f.drain()
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 3000)) // one duplicate: no recovery
	f.expect()
	f.at(400 * time.Millisecond) // RTO: 300 ms after the last send
	f.expect(seg(0, 1000))
	f.in(sackAck(1000, 1000, 3000))
	f.expect(seg(3000, 1000), seg(4000, 1000))
}

// Fast retransmit works wherever the ISS lies: "recover" starts at the ISS
// (RFC 6582 §3.2 step 1), not at zero, which is more than 2^31 away from
// an ISS like this one and would look like unfinished recovery.
func TestFastRetransmitWithHighISS(t *testing.T) {
	const iss = Seq(0x90000000)
	f := newFixture(t, func(c *Config) { c.Timestamps = false })
	f.tcb = NewActive(&f.cfg, 0, f.params(iss))
	f.drain()
	f.at(100 * time.Millisecond)
	f.in(Segment{Seq: testIRS, Ack: iss + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535,
		Options: wire.TCPOptions{MSS: 1000, HasMSS: true}})
	f.drain()
	f.tcb.Write(make([]byte, 4000))
	f.drain()
	dup := Segment{Seq: testIRS + 1, Ack: iss + 1, Flags: wire.FlagACK, Window: 65535}
	for range 3 {
		f.in(dup)
	}
	f.expect(fmt.Sprintf("<SEQ=%d><ACK=5001><CTL=ACK><LEN=1000>", uint32(iss+1)))
}
