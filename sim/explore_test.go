package sim

import (
	"flag"
	"testing"
	"time"
)

var (
	exploreSeeds  = flag.Int("seeds", 300, "TestExplore: how many worlds to explore")
	exploreSeed   = flag.Uint64("seed", 1, "TestExplore: the first world's seed")
	exploreBudget = flag.Int("shrink", 200, "TestExplore: runs spent shrinking a failing world")
)

// TestExplore runs -seeds random worlds from -seed on (see NewPlan),
// checking every invariant the explorer knows after every step. A failing
// world is shrunk, and its seed, its smaller plan and the ladder of the
// connection at fault are printed; `-seeds 1 -seed S` replays it.
func TestExplore(t *testing.T) {
	n := *exploreSeeds
	if n == 0 {
		// The worlds run on one goroutine, so the race detector has
		// little to find here and slows them thirtyfold; CI explores
		// 2,000 worlds without it (.ci/run).
		n = 300
		if raceEnabled {
			n = 30
		}
	}
	var checks, bytes int
	var virtual time.Duration
	for seed := *exploreSeed; seed < *exploreSeed+uint64(n); seed++ {
		p := NewPlan(seed)
		out := RunPlan(p, nil)
		checks += out.Checks
		bytes += out.Bytes
		virtual += out.VirtualTime
		if f := out.Failure; f != nil {
			small := Shrink(p, f.Kind, *exploreBudget)
			t.Fatalf("seed %d failed: %v\nreplay: go test ./sim -run 'TestExplore$' -seeds 1 -seed %d\n\nshrunk:\n%s", seed, f, seed, Report(small))
		}
	}
	t.Logf("%d worlds from seed %d: %d checks passed, %d bytes verified, %v of virtual time", n, *exploreSeed, checks, bytes, virtual)
}
