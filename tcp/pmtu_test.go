package tcp

import (
	"testing"
	"time"
)

// A "fragmentation needed" message lowers the MSS and the data in flight is
// resent at the new size at once; cwnd is kept (RFC 1191 §6.5).
func TestPathMTULowersMSSAndResends(t *testing.T) {
	f := establishedSACK(t) // MSS 1000, no timestamps
	f.tcb.Write(make([]byte, 2000))
	f.expect(seg(0, 1000), seg(1000, 1000))
	cwnd := f.tcb.Info().CWnd
	f.at(120 * time.Millisecond)
	if !f.tcb.PathMTU(f.now, testISS+1, 800, 20) {
		t.Fatal("message about data in flight rejected")
	}
	if got := f.tcb.Info().MSS; got != 760 {
		t.Errorf("MSS %d, want 800 - 20 - 20 = 760", got)
	}
	f.expect(seg(0, 760), seg(760, 760), seg(1520, 480))
	if f.tcb.Info().CWnd != cwnd {
		t.Errorf("cwnd %d, want %d kept", f.tcb.Info().CWnd, cwnd)
	}
	// A message quoting a sequence number outside the flight is ignored
	// (RFC 5927 §4.1), and a larger MTU changes nothing.
	if f.tcb.PathMTU(f.now, testISS+5000, 600, 20) {
		t.Error("message quoting an unsent sequence number accepted")
	}
	f.tcb.PathMTU(f.now, testISS+1, 1500, 20)
	if got := f.tcb.Info().MSS; got != 760 {
		t.Errorf("MSS %d after a larger MTU, want 760", got)
	}
	// A forged tiny MTU is floored.
	f.tcb.PathMTU(f.now, testISS+1, 68, 20)
	if got := f.tcb.Info().MSS; got != minPathMSS {
		t.Errorf("MSS %d, want the floor %d", got, minPathMSS)
	}
}
