package tcp

import (
	"slices"
	"testing"

	"github.com/synack-net/synack/wire"
)

// sackOf returns the SACK blocks of s as byte offsets of the peer's
// stream (0 is IRS+1).
func sackOf(s Segment) []int {
	var out []int
	for _, b := range s.Options.SACK[:s.Options.NumSACK] {
		out = append(out, int(Seq(b.Left).Sub(testIRS+1)), int(Seq(b.Right).Sub(testIRS+1)))
	}
	return out
}

// A repeat of out-of-order data already held, above RCV.NXT, is reported
// in a D-SACK block ahead of the SACK block that holds it (RFC 2883 §4.2),
// once; a segment that repeats part of it and adds more reports the part
// repeated, and one spanning two held ranges the first (Linux's
// tcp_data_queue_ofo). Each draws its ACK at once. So does the segment
// that fills the hole, for what it repeats of the data beyond.
func TestDSACKOutOfOrderDuplicate(t *testing.T) {
	f := establishedSACK(t)
	step := func(s Segment, want ...int) {
		t.Helper()
		f.in(s)
		out, ok := f.tcb.NextSegment(f.now, f.buf)
		if !ok || out.Ack != testIRS+1 || out.Flags != wire.FlagACK || len(out.Payload) != 0 {
			t.Fatalf("after %v: sent %v (ok %v), want a duplicate ACK of 5001", s, brief(&out), ok)
		}
		if got := sackOf(out); !slices.Equal(got, want) {
			t.Fatalf("after data at %d: SACK blocks %v, want %v", s.Seq.Sub(testIRS+1), got, want)
		}
		f.drain()
	}
	step(data(1000, 100), 1000, 1100)             // a hole at 0: plain SACK
	step(data(1000, 100), 1000, 1100, 1000, 1100) // the repeat: D-SACK first
	step(data(1050, 100), 1050, 1100, 1000, 1150) // half repeated
	step(data(3000, 100), 3000, 3100, 1000, 1150) // a second range, no repeat
	// Spanning both ranges and the hole between: the first part repeated.
	step(data(1100, 2000), 1100, 1150, 1000, 3100)
	// The segment that fills the hole and repeats held data: the ACK
	// covers everything and reports the repeat below it.
	f.in(data(0, 1100))
	out, ok := f.tcb.NextSegment(f.now, f.buf)
	if !ok || out.Ack != testIRS+1+3100 || !slices.Equal(sackOf(out), []int{1000, 1100}) {
		t.Fatalf("after the hole filled: ACK %d, SACK %v (ok %v), want 3100 with D-SACK 1000-1100",
			out.Ack.Sub(testIRS+1), sackOf(out), ok)
	}
	if f.tcb.dsackPending() {
		t.Fatal("a D-SACK is still pending after its ACK")
	}
}
