package tcp

import (
	"math/rand/v2"
	"testing"

	"github.com/synack-net/synack/wire"
)

func blocks(pairs ...uint32) []wire.SACKBlock {
	var b []wire.SACKBlock
	for i := 0; i+1 < len(pairs); i += 2 {
		b = append(b, wire.SACKBlock{Left: pairs[i], Right: pairs[i+1]})
	}
	return b
}

// The scoreboard merges blocks, ignores invalid ones and trims at SND.UNA.
func TestScoreboardUpdate(t *testing.T) {
	var sb scoreboard
	if !sb.update(1000, 9000, blocks(2000, 3000, 5000, 6000)) {
		t.Fatal("no bytes added")
	}
	if sb.update(1000, 9000, blocks(2000, 3000)) {
		t.Error("a repeated block added bytes")
	}
	sb.update(1000, 9000, blocks(3000, 4000, 8000, 9500, 500, 900)) // the last two are invalid
	want := []seqRange{{2000, 4000}, {5000, 6000}}
	if got := sb.ranges; len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("ranges %v, want %v", got, want)
	}
	sb.update(2500, 9000, nil)
	if got := sb.ranges; got[0] != (seqRange{2500, 4000}) {
		t.Errorf("after trim: %v", got)
	}
	sb.update(6000, 9000, nil)
	if !sb.empty() {
		t.Errorf("after SND.UNA passed every range: %v", sb.ranges)
	}
}

// The scoreboard agrees with a byte map for random blocks, across the
// sequence-number wrap.
func TestScoreboardMatchesByteMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		base := Seq(r.Uint32())
		if trial%4 == 0 {
			base = Seq(0xffffffff - 3000)
		}
		const span = 8000
		var sb scoreboard
		var bytes [span]bool
		for range 20 {
			lo := r.IntN(span)
			hi := lo + 1 + r.IntN(span-lo)
			sb.update(base, base.Add(span), blocks(uint32(base.Add(uint32(lo))), uint32(base.Add(uint32(hi)))))
			for i := lo; i < hi; i++ {
				bytes[i] = true
			}
		}
		for i := range span {
			if sb.sacked(base.Add(uint32(i))) != bytes[i] {
				t.Fatalf("trial %d: byte %d sacked=%v, map says %v", trial, i, !bytes[i], bytes[i])
			}
		}
	}
}

// IsLost (RFC 6675 §4): a hole is lost once three SACKed ranges, or more
// than two MSS of SACKed bytes, lie above it; pipe counts the holes that
// are not lost, plus what was retransmitted.
func TestScoreboardLossAndPipe(t *testing.T) {
	const mss = 1000
	var sb scoreboard
	// Sent 1000..9000; SACKed 3000-4000 and 6000-7000: two ranges, 2000
	// bytes, so nothing is lost yet.
	sb.update(1000, 9000, blocks(3000, 4000, 6000, 7000))
	if l := sb.lostBoundary(1000, mss); l != 1000 {
		t.Errorf("lost boundary %d, want none (1000)", l)
	}
	if p := sb.pipe(1000, 9000, mss); p != 6000 {
		t.Errorf("pipe %d, want 6000", p)
	}
	// A third range: the holes below 3000 and 4000-6000 are lost (three
	// ranges above them) and 7000-9000 is not.
	sb.update(1000, 9000, blocks(8000, 8500))
	if l := sb.lostBoundary(1000, mss); l != 3000 {
		t.Errorf("lost boundary %d, want 3000", l)
	}
	// Not lost: 4000-6000 (two ranges, 1500 bytes above), 7000-8000, 8500-9000.
	if p := sb.pipe(1000, 9000, mss); p != 3500 {
		t.Errorf("pipe %d, want 3500", p)
	}
	sb.highRxt = 2000 // 1000-2000 retransmitted
	if p := sb.pipe(1000, 9000, mss); p != 4500 {
		t.Errorf("pipe %d, want 4500", p)
	}
	s, e, ok := sb.nextHole(2000, 9000)
	if !ok || s != 2000 || e != 3000 {
		t.Errorf("next hole from 2000: %d-%d %v", s, e, ok)
	}
	s, e, ok = sb.nextHole(3500, 9000)
	if !ok || s != 4000 || e != 6000 {
		t.Errorf("next hole from 3500: %d-%d %v", s, e, ok)
	}
}

// The number of ranges is bounded; the highest are forgotten first.
func TestScoreboardBounded(t *testing.T) {
	var sb scoreboard
	for i := range 2 * scoreboardMaxRanges {
		sb.update(0, 1<<20, blocks(uint32(1000+i*100), uint32(1050+i*100)))
	}
	if len(sb.ranges) != scoreboardMaxRanges {
		t.Fatalf("%d ranges", len(sb.ranges))
	}
	sb.update(0, 1<<20, blocks(10, 20))
	if sb.ranges[0] != (seqRange{10, 20}) || len(sb.ranges) != scoreboardMaxRanges {
		t.Errorf("a lower block did not displace the highest: %v", sb.ranges[:2])
	}
}
