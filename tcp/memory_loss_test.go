package tcp

import (
	"testing"
	"time"
)

// Loss recovery's heap is charged with the buffers: the retransmission
// queue, 24 bytes a segment (four segments: the 96-byte capacity append
// gives), and the scoreboard's 32 ranges of 8 bytes once the peer SACKs.
// An ACK of everything keeps both for the next flight; a connection that
// ends, by abort or by becoming a TIME_WAIT entry, gives all of it back.
func TestMemoryChargesLossRecovery(t *testing.T) {
	for _, end := range []string{"abort", "free"} {
		a := &testAccount{high: 1 << 30}
		f := establishedSACK(t)
		f.tcb.SetMemory(a)
		f.tcb.Write(make([]byte, 4000))
		f.expect(seg(0, 1000), seg(1000, 1000), seg(2000, 1000), seg(3000, 1000))
		send := cap(*f.tcb.sendBuf.storage)
		if a.used != send+96 || a.forced != 96 {
			t.Fatalf("4 segments in flight: %d charged (%d forced), want %d of send storage + 96 (96 forced)", a.used, a.forced, send)
		}
		f.at(150 * time.Millisecond)
		f.in(sackAck(0, 1000, 2000))
		if a.used != send+96+256 {
			t.Fatalf("after a SACK: %d charged, want %d", a.used, send+96+256)
		}
		f.in(sackAck(4000))
		if a.used != 96+256 || f.tcb.MemoryHeld() != 96+256 {
			t.Fatalf("everything acknowledged: %d charged, %d held; want 352", a.used, f.tcb.MemoryHeld())
		}
		if end == "abort" {
			f.abort()
		} else {
			f.tcb.FreeBuffers()
		}
		if a.used != 0 || f.tcb.MemoryHeld() != 0 {
			t.Fatalf("after %s: %d charged, %d held; want 0", end, a.used, f.tcb.MemoryHeld())
		}
	}
}
