package tcp

import (
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// The windowed minimum forgets a sample minRTTWindow (300 s) old, and
// keeps, for when that happens, the least samples of later stretches of
// the window.
func TestWindowedMinRTT(t *testing.T) {
	var m windowedMinRTT
	s := func(at time.Duration) clock.Instant { return clock.Instant(at) }
	for _, c := range []struct {
		at, rtt, want time.Duration
	}{
		{0, 10 * time.Millisecond, 10 * time.Millisecond},
		{100 * time.Second, 50 * time.Millisecond, 10 * time.Millisecond},
		{200 * time.Second, 40 * time.Millisecond, 10 * time.Millisecond},
		{300 * time.Second, 60 * time.Millisecond, 10 * time.Millisecond}, // 300 s old: still in
		// The 10 ms sample leaves; the best of the rest, 40 ms, is next.
		{300*time.Second + 1, 60 * time.Millisecond, 40 * time.Millisecond},
		{400 * time.Second, 45 * time.Millisecond, 40 * time.Millisecond},
		// 40 ms leaves in turn; 45 ms (at 400 s) was kept as a candidate.
		{500*time.Second + 1, 70 * time.Millisecond, 45 * time.Millisecond},
		// A new minimum replaces everything at once.
		{501 * time.Second, 5 * time.Millisecond, 5 * time.Millisecond},
		// A window with no sample at all: the next one is the minimum.
		{900 * time.Second, 80 * time.Millisecond, 80 * time.Millisecond},
	} {
		m.update(s(c.at), c.rtt)
		if got := m.get(); got != c.want {
			t.Fatalf("after %v at %v: min %v, want %v (samples %v)", c.rtt, c.at, got, c.want, m.best)
		}
	}
}

// RACK's reordering window follows the windowed min_RTT (Linux's
// tcp_min_rtt, tcp_min_rtt_wlen = 300 s): a 10 ms round trip at the start
// no longer counts 400 s later, when the path's RTT has been 100 ms for
// 300 s. Four segments go at 400 s and the second is SACKed 100 ms later:
// the window is min_RTT/4 = 25 ms (2.5 ms with the all-time minimum), so
// the first is lost at 400 s + 100 ms + 25 ms, when the reordering timer
// fires (RFC 8985 §6.2 step 4, §6.3).
func TestRACKMinRTTWindowed(t *testing.T) {
	f := establishedSACK(t)
	f.tcb.Write(make([]byte, 1000))
	f.expect(seg(0, 1000))
	f.at(110 * time.Millisecond)
	f.in(sackAck(1000))
	if got := f.tcb.ld.rack.minRTT.get(); got != 10*time.Millisecond {
		t.Fatalf("min_RTT %v after a 10 ms round trip", got)
	}
	sent := 1000
	for _, at := range []time.Duration{100 * time.Second, 200 * time.Second, 300 * time.Second} {
		f.at(at)
		f.tcb.Write(make([]byte, 1000))
		f.expect(seg(sent, 1000))
		sent += 1000
		f.at(at + 100*time.Millisecond)
		f.in(sackAck(sent))
	}
	if got := f.tcb.ld.rack.minRTT.get(); got != 10*time.Millisecond {
		t.Fatalf("min_RTT %v before the 10 ms sample is 300 s old", got)
	}
	f.at(400 * time.Second)
	f.tcb.Write(make([]byte, 4000))
	f.expect(seg(sent, 1000), seg(sent+1000, 1000), seg(sent+2000, 1000), seg(sent+3000, 1000))
	f.at(400*time.Second + 100*time.Millisecond)
	f.in(sackAck(sent, sent+1000, sent+2000))
	f.expect()
	if got := f.tcb.ld.rack.minRTT.get(); got != 100*time.Millisecond {
		t.Fatalf("min_RTT %v, want the 100 ms of the last 300 s", got)
	}
	f.at(400*time.Second + 125*time.Millisecond - 1)
	f.expect()
	f.at(400*time.Second + 125*time.Millisecond)
	f.expect(seg(sent, 1000))
	if !f.tcb.inRecovery || f.tcb.Stats().Timeouts != 0 {
		t.Errorf("recovery %v, %d timeouts; want recovery by RACK, no timeout", f.tcb.inRecovery, f.tcb.Stats().Timeouts)
	}
}
