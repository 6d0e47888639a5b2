package tcp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// isnTestKey is a fixed secret for the tests.
var isnTestKey = [16]byte{0x5e, 0xc7, 0xe1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xff}

// TestISNClock checks that the ISN of a tuple advances one per 4 µs (RFC 6528 §3), across the wrap.
func TestISNClock(t *testing.T) {
	g := NewISNGenerator(isnTestKey)
	local := netip.MustParseAddrPort("10.0.0.1:40000")
	remote := netip.MustParseAddrPort("10.0.0.2:80")
	t0 := clock.Instant(5 * time.Second)
	base := g.ISN(t0, local, remote)
	if again := g.ISN(t0, local, remote); again != base {
		t.Fatalf("ISN not deterministic: %d then %d", base, again)
	}
	// RFC 6528 §3: M ticks every 4 µs.
	for _, c := range []struct {
		d    time.Duration
		want uint32
	}{
		{3 * time.Microsecond, 0},
		{4 * time.Microsecond, 1},
		{time.Millisecond, 250},
		{time.Second, 250000},
	} {
		if got := g.ISN(t0.Add(c.d), local, remote).Sub(base); got != int32(c.want) {
			t.Errorf("after %v the ISN grew by %d, want %d", c.d, got, c.want)
		}
	}
	// M wraps around 2^32 (every ~4.77 hours) and the ISN wraps with it.
	wrap := time.Duration(1<<32) * isnTick
	if got := g.ISN(t0.Add(wrap+8*time.Microsecond), local, remote); got != base.Add(2) {
		t.Fatalf("after one full turn of M plus 8µs: ISN %d, want %d", got, base.Add(2))
	}
}

// TestISNTuples checks that distinct IPv4 and IPv6 tuples and keys give distinct ISNs.
func TestISNTuples(t *testing.T) {
	g := NewISNGenerator(isnTestKey)
	now := clock.Instant(42 * time.Second)
	tuples := [][2]string{
		{"10.0.0.1:40000", "10.0.0.2:80"},
		{"10.0.0.1:40001", "10.0.0.2:80"},
		{"10.0.0.1:40000", "10.0.0.2:81"},
		{"10.0.0.2:80", "10.0.0.1:40000"}, // the reverse direction
		{"10.0.0.3:40000", "10.0.0.2:80"},
		{"[::ffff:10.0.0.1]:40000", "[::ffff:10.0.0.2]:80"}, // IPv4-mapped form
		{"[2001:db8::1]:40000", "[2001:db8::2]:80"},
		{"[2001:db8::1]:40000", "[2001:db8::3]:80"},
		{"[fe80::1]:40000", "[fe80::2]:80"},
	}
	seen := map[Seq]int{}
	for i, tu := range tuples {
		isn := g.ISN(now, netip.MustParseAddrPort(tu[0]), netip.MustParseAddrPort(tu[1]))
		if j, dup := seen[isn]; dup {
			t.Fatalf("tuples %v and %v share ISN %d", tuples[j], tu, isn)
		}
		seen[isn] = i
	}
	// IPv6 tuples follow the same clock.
	l6 := netip.MustParseAddrPort("[2001:db8::1]:40000")
	r6 := netip.MustParseAddrPort("[2001:db8::2]:443")
	if d := g.ISN(now.Add(400*time.Microsecond), l6, r6).Sub(g.ISN(now, l6, r6)); d != 100 {
		t.Fatalf("IPv6 ISN grew by %d in 400µs, want 100", d)
	}
	// A different key gives a different ISN for the same tuple.
	other := isnTestKey
	other[0] ^= 1
	l4 := netip.MustParseAddrPort("10.0.0.1:40000")
	r4 := netip.MustParseAddrPort("10.0.0.2:80")
	if NewISNGenerator(other).ISN(now, l4, r4) == g.ISN(now, l4, r4) {
		t.Fatal("the key does not change the ISN")
	}
}

// TestISNNoAlloc checks that ISN does not allocate.
func TestISNNoAlloc(t *testing.T) {
	g := NewISNGenerator(isnTestKey)
	l := netip.MustParseAddrPort("[2001:db8::1]:40000")
	r := netip.MustParseAddrPort("[2001:db8::2]:443")
	if a := testing.AllocsPerRun(100, func() { g.ISN(7, l, r) }); a != 0 {
		t.Fatalf("ISN allocates %.1f times", a)
	}
}
