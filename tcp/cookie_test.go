package tcp

import (
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

var (
	cookieLocal  = netip.MustParseAddrPort("10.0.0.2:80")
	cookieRemote = netip.MustParseAddrPort("10.0.0.1:40000")
)

// A cookie decodes to the MSS it was made with, from the table's largest
// value not above the peer's, for a minute's count and the next; then it
// is refused, as one for another tuple or peer ISN is.
func TestCookieRoundTrip(t *testing.T) {
	j := NewCookieJar([16]byte{1, 2, 3})
	at := clock.Instant(10*time.Minute + 30*time.Second)
	for _, c := range []struct {
		remote  netip.AddrPort
		peerMSS uint16
		want    uint16
	}{
		{cookieRemote, 1460, 1460}, {cookieRemote, 1459, 1440}, {cookieRemote, 1000, 536}, {cookieRemote, 100, 536},
		{netip.MustParseAddrPort("[fd00::1]:40000"), 9000, 8940}, {netip.MustParseAddrPort("[fd00::1]:40000"), 1440, 1440},
	} {
		local := cookieLocal
		if c.remote.Addr().Is6() {
			local = netip.MustParseAddrPort("[fd00::2]:80")
		}
		cookie, mss := j.Make(at, local, c.remote, 5000, c.peerMSS)
		if mss != c.want {
			t.Errorf("MSS %d for a peer's %d, want %d", mss, c.peerMSS, c.want)
		}
		for _, later := range []time.Duration{0, 29 * time.Second, 89 * time.Second} {
			if got, ok := j.Check(at.Add(later), local, c.remote, 5000, cookie); !ok || got != mss {
				t.Errorf("%v later: %d, %v; want %d", later, got, ok, mss)
			}
		}
		if _, ok := j.Check(at.Add(90*time.Second), local, c.remote, 5000, cookie); ok {
			t.Error("a cookie two counts old was accepted")
		}
		// (The peer's ISN is added, so one off by less than the table's
		// size would decode to a neighbouring MSS: as with Linux's, only
		// the ACK's own SEG.SEQ-1 is ever checked.)
		if _, ok := j.Check(at, local, c.remote, 5000+100000, cookie); ok {
			t.Error("a cookie for another peer ISN was accepted")
		}
		other := netip.AddrPortFrom(c.remote.Addr(), c.remote.Port()+1)
		if _, ok := j.Check(at, local, other, 5000, cookie); ok {
			t.Error("a cookie for another port was accepted")
		}
		if _, ok := NewCookieJar([16]byte{9}).Check(at, local, c.remote, 5000, cookie); ok {
			t.Error("a cookie made with another key was accepted")
		}
	}
}

// Forged cookies rarely pass: of 100,000 random ones about 2 x 4/2^24 do
// (two live counts, four MSS indexes), so none should here.
func TestCookieForgeriesFail(t *testing.T) {
	j := NewCookieJar([16]byte{7})
	passed := 0
	x := uint32(12345)
	for range 100000 {
		x = x*1664525 + 1013904223
		if _, ok := j.Check(clock.Instant(time.Hour), cookieLocal, cookieRemote, 5000, Seq(x)); ok {
			passed++
		}
	}
	if passed > 1 {
		t.Fatalf("%d of 100000 random cookies passed", passed)
	}
}

// The timestamp carries the window scale and SACK, never runs ahead of
// our clock, and an echo from the future is refused.
func TestCookieTimestamp(t *testing.T) {
	for _, o := range []CookieOptions{{}, {WScaleOK: true, WScale: 7, SACKOK: true}, {WScaleOK: true, WScale: 14}, {SACKOK: true}, {WScaleOK: true, WScale: 0}} {
		for _, now := range []uint32{1000, 1023, 1024, 0xffffffff} {
			ts := CookieTSVal(now, o)
			if int32(ts-now) > 0 || now-ts >= 1<<cookieTSBits {
				t.Errorf("TSval %d for clock %d", ts, now)
			}
			got, ok := DecodeCookieTS(ts, now+5)
			if !ok || got != o {
				t.Errorf("options %+v came back as %+v, %v", o, got, ok)
			}
		}
	}
	if _, ok := DecodeCookieTS(2000, 1000); ok {
		t.Error("an echo from the future was accepted")
	}
}
