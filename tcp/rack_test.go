package tcp

import (
	"testing"
	"time"
)

// In establishedSACK SRTT is 100 ms. Four segments go at 100 ms and the
// second is SACKed at 150 ms: RACK.rtt is 50 ms, min_RTT 50 ms, and with
// no reordering seen and fewer than DupThresh segments SACKed the
// reordering window is min_RTT/4 = 12.5 ms. The first segment is lost
// when 50 + 12.5 ms have passed since it was sent, at 162.5 ms, when the
// reordering timer fires and fast recovery resends it (RFC 8985 §6.3).
func TestRACKReorderTimer(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 4000))
	f.drain()
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.expect()
	f.at(162*time.Millisecond + 499*time.Microsecond)
	f.expect()
	f.at(162*time.Millisecond + 500*time.Microsecond)
	f.expect(seg(0, 1000))
	if !f.tcb.inRecovery || f.tcb.Stats().FastRetrans != 1 || f.tcb.Stats().Timeouts != 0 {
		t.Errorf("recovery %v, %d fast retransmits, %d timeouts; want recovery, 1, 0",
			f.tcb.inRecovery, f.tcb.Stats().FastRetrans, f.tcb.Stats().Timeouts)
	}
}

// A segment that arrives late, within the reordering window, is not
// resent, and its late delivery below RACK.fack marks reordering seen.
func TestRACKReorderingWithinWindow(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 4000))
	f.drain()
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.at(160 * time.Millisecond)
	f.in(sackAck(2000))
	f.at(200 * time.Millisecond)
	f.expect()
	if f.tcb.inRecovery || f.tcb.Stats().RetransSegs != 0 || !f.tcb.ld.rack.reordSeen {
		t.Errorf("recovery %v, %d retransmissions, reordering seen %v; want none, 0, seen",
			f.tcb.inRecovery, f.tcb.Stats().RetransSegs, f.tcb.ld.rack.reordSeen)
	}
}

// With DupThresh segments SACKed and no reordering seen the window is
// zero (Linux's tcp_rack_reo_wnd): the ACK that SACKs the third resends
// the hole at once, as RFC 6675 would.
func TestRACKThreeSACKedAtOnce(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 5000))
	f.drain()
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.in(sackAck(0, 1000, 3000))
	f.expect()
	f.in(sackAck(0, 1000, 4000))
	f.expect(seg(0, 1000))
}

// A lost retransmission is found by time like any other loss (RFC 8985
// §6.2): once data sent after it is SACKed and a round trip has passed,
// it goes again, with no retransmission timeout. Here the first of six
// segments and its first retransmission are lost; PRR lets one new
// segment out beside the retransmission.
func TestRACKLostRetransmission(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 6000))
	f.drain()
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.in(sackAck(0, 1000, 3000))
	f.in(sackAck(0, 1000, 4000))
	f.expect(seg(0, 1000)) // to be lost again
	f.tcb.Write(make([]byte, 1000))
	f.in(sackAck(0, 1000, 5000))
	f.expect(seg(6000, 1000))
	f.at(200 * time.Millisecond)
	f.in(sackAck(0, 1000, 5000, 6000, 7000)) // the new segment, sent with the resend
	f.expect(seg(0, 1000))
	if f.tcb.Stats().Timeouts != 0 || f.tcb.Stats().RetransSegs != 2 {
		t.Errorf("%d timeouts, %d retransmissions; want 0, 2", f.tcb.Stats().Timeouts, f.tcb.Stats().RetransSegs)
	}
}

// D-SACKs reporting every retransmission of a recovery received twice
// undo its window reduction (RFC 2883 §5, RFC 3708; Linux's
// tcp_try_undo_dsack), and widen RACK's reordering window (RFC 8985 §6.2
// step 4).
func TestDSACKUndoesSpuriousRecovery(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 4000))
	f.drain()
	cwnd, ssthresh := f.tcb.cc.cwnd(), f.tcb.cc.ssthresh()
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.in(sackAck(0, 1000, 3000))
	f.in(sackAck(0, 1000, 4000))
	f.expect(seg(0, 1000))
	if f.tcb.cc.ssthresh() >= ssthresh {
		t.Fatalf("ssthresh %d: recovery did not reduce it", f.tcb.cc.ssthresh())
	}
	f.at(151 * time.Millisecond)
	f.in(sackAck(4000)) // the original arrived: recovery ends
	f.at(200 * time.Millisecond)
	f.in(sackAck(4000, 0, 1000)) // and so did the retransmission
	if got, gotS := f.tcb.cc.cwnd(), f.tcb.cc.ssthresh(); got < cwnd || gotS != ssthresh {
		t.Errorf("cwnd %d, ssthresh %d after the D-SACK; want at least %d, %d", got, gotS, cwnd, ssthresh)
	}
	if f.tcb.ld.rack.reoMult != 2 {
		t.Errorf("reordering window multiplier %d, want 2", f.tcb.ld.rack.reoMult)
	}
}

// PRR (RFC 6937) on a window of ten with the first lost, Reno: ssthresh
// 5000, RecoverFS (cwnd before) 10000. The third SACK starts recovery and
// the fast retransmit goes whatever PRR's proportional part (500 bytes)
// says. While pipe is above ssthresh the next ACK releases
// ceil(2000·5000/10000) - 1000 = 0; at ssthresh nothing more; from then on
// each delivered segment releases one, holding pipe at ssthresh.
func TestPRRReduction(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 20000))
	var first []string
	for i := range 10 {
		first = append(first, seg(i*1000, 1000))
	}
	f.expect(first...)
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.in(sackAck(0, 1000, 3000))
	f.in(sackAck(0, 1000, 4000))
	f.expect(seg(0, 1000)) // the fast retransmit
	var got []string
	for i := 5; i <= 10; i++ {
		f.in(sackAck(0, 1000, i*1000))
		got = append(got, f.drain()...)
	}
	want := []string{seg(10000, 1000), seg(11000, 1000), seg(12000, 1000), seg(13000, 1000)}
	if len(got) != len(want) {
		t.Fatalf("sent %v during recovery, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("sent %v during recovery, want %v", got, want)
		}
	}
}

// A repeat of data already received, wholly below RCV.NXT, is reported in
// a D-SACK block of the ACK it draws (RFC 2883 §4 case 1), once.
func TestDSACKSent(t *testing.T) {
	f := establishedSACK(t)
	d := data(0, 100)
	f.in(d)
	f.drain()
	f.in(d)
	s, ok := f.tcb.NextSegment(f.now, f.buf)
	if !ok || s.Options.NumSACK != 1 || s.Options.SACK[0].Left != uint32(testIRS+1) || s.Options.SACK[0].Right != uint32(testIRS+101) {
		t.Fatalf("ACK of the repeat: ok %v, SACK %v", ok, s.Options.SACK[:s.Options.NumSACK])
	}
	f.tcb.Write(make([]byte, 10))
	s, _ = f.tcb.NextSegment(f.now, f.buf)
	if s.Options.NumSACK != 0 {
		t.Errorf("the D-SACK went again: %v", s.Options.SACK[:s.Options.NumSACK])
	}
}

// Once everything is acknowledged, a retransmission queue grown past
// rackKeptSegs is freed, so that an idle connection does not keep a bulk
// transfer's queue.
func TestRACKQueueReleased(t *testing.T) {
	f := establishedSACK(t)
	for range 100 {
		f.tcb.Write(make([]byte, 1000))
		f.drain()
		f.in(sackAck(int(f.tcb.snd.max.Sub(testISS + 1))))
	}
	f.tcb.Write(make([]byte, 100000))
	f.drain()
	f.at(150 * time.Millisecond)
	grown := 0
	for off := int(f.tcb.snd.una.Sub(testISS + 1)); ; off += 2000 {
		grown = max(grown, cap(f.tcb.ld.rack.segs))
		f.in(sackAck(min(off, int(f.tcb.snd.max.Sub(testISS+1)))))
		f.drain()
		if f.tcb.snd.una == f.tcb.snd.max {
			break
		}
	}
	if grown <= rackKeptSegs {
		t.Fatalf("the queue grew to %d segments only", grown)
	}
	if r := f.tcb.ld.rack; r.segs != nil {
		t.Errorf("retransmission queue kept, len %d cap %d", len(r.segs), cap(r.segs))
	}
}

// A partial ACK that leaves nothing SACKed does not stop recovery from
// resending what RACK marked lost above it: here the first and the last
// two of six segments are lost; the fast retransmit of the first is
// acknowledged with everything up to the tail, and the tail, sent before
// that retransmission and unacknowledged a round trip later, goes again
// without waiting for the RTO: one segment per ACK, as PRR allows with a
// new loss marked (no extra segment for SND.UNA's advance).
func TestRACKResendsTailAfterPartialAck(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 6000))
	f.drain()
	f.at(150 * time.Millisecond)
	f.in(sackAck(0, 1000, 2000))
	f.in(sackAck(0, 1000, 3000))
	f.in(sackAck(0, 1000, 4000))
	f.expect(seg(0, 1000))
	f.at(200 * time.Millisecond)
	f.in(sackAck(4000)) // the retransmission arrived; 4000-6000 did not
	f.expect(seg(4000, 1000))
	f.at(250 * time.Millisecond)
	f.in(sackAck(5000))
	f.expect(seg(5000, 1000))
	if f.tcb.Stats().Timeouts != 0 {
		t.Errorf("%d timeouts", f.tcb.Stats().Timeouts)
	}
}
