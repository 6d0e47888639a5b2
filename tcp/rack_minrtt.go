package tcp

import (
	"time"

	"github.com/synack-net/synack/clock"
)

// minRTTWindow is how long an RTT sample counts towards RACK's min_RTT
// (RFC 8985 §6.2 step 4 leaves the filter to the implementation): Linux's
// net.ipv4.tcp_min_rtt_wlen, 300 s by default, so that a path whose delay
// grew for good (a route change) widens the reordering window again.
const minRTTWindow = 300 * time.Second

// rttSample is one RTT measurement and when it was taken.
type rttSample struct {
	at  clock.Instant
	rtt time.Duration
}

// windowedMinRTT is the least RTT measured over the last minRTTWindow,
// kept as Kathleen Nichols' windowed min filter does (Linux's win_minmax,
// behind tcp_min_rtt) in three samples: the minimum, and the least
// samples of later stretches of the window, which take its place as it
// ages out. It costs constant space and time per sample, and changes only
// when a sample comes.
type windowedMinRTT struct {
	best [3]rttSample
}

// get returns the windowed minimum, 0 before any sample.
func (m *windowedMinRTT) get() time.Duration { return m.best[0].rtt }

// reset forgets every sample but s.
func (m *windowedMinRTT) reset(s rttSample) { m.best = [3]rttSample{s, s, s} }

// update takes a sample rtt (at least 1 ns) measured at now.
func (m *windowedMinRTT) update(now clock.Instant, rtt time.Duration) {
	s := rttSample{at: now, rtt: max(rtt, 1)}
	// A new minimum, or a window through which the newest candidate has
	// aged too, starts over.
	if m.best[0].rtt == 0 || s.rtt <= m.best[0].rtt || now.Sub(m.best[2].at) > minRTTWindow {
		m.reset(s)
		return
	}
	switch {
	case s.rtt <= m.best[1].rtt:
		m.best[1], m.best[2] = s, s
	case s.rtt <= m.best[2].rtt:
		m.best[2] = s
	}
	age := now.Sub(m.best[0].at)
	switch {
	case age > minRTTWindow:
		// The minimum has left the window: the later candidates move
		// up, twice if the second has left it too.
		m.best = [3]rttSample{m.best[1], m.best[2], s}
		if now.Sub(m.best[0].at) > minRTTWindow {
			m.best = [3]rttSample{m.best[1], m.best[2], s}
		}
	case m.best[1].at == m.best[0].at && age > minRTTWindow/4:
		// A quarter of the window without a second candidate: take one
		// from the second quarter.
		m.best[1], m.best[2] = s, s
	case m.best[2].at == m.best[1].at && age > minRTTWindow/2:
		// Half the window without a third: take one from the second half.
		m.best[2] = s
	}
}
