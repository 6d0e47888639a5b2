package tcp

import (
	"syscall"
	"time"

	"github.com/synack-net/synack/clock"
)

// tcbCold is the part of a TCB that a healthy connection rarely touches:
// the counters of exceptional events, the rate limit of ACKs to
// unacceptable segments, the last ICMP soft error, the user timeout and
// the start of window probing. It is allocated
// when one of them is first needed and kept for the TCB's life, so that
// an idle connection does not carry it (TestTCBSizeClass,
// TestIdleConnHeap in the root package).
type tcbCold struct {
	// stats counts the exceptional events; its hot counters (those of
	// hotStats) stay zero and are kept in the TCB.
	stats ConnStats
	// lastInvalidAck is when an ACK last answered an unacceptable segment.
	lastInvalidAck clock.Instant
	// softErr is the last ICMP soft error (RFC 1122 §4.2.3.9), reported
	// instead of ETIMEDOUT if the connection later times out.
	softErr syscall.Errno
	// userTimeout is TCP_USER_TIMEOUT (RFC 5482): Config.UserTimeout
	// until SetUserTimeout.
	userTimeout time.Duration
	// probesStart is when the first of the window probes since the peer
	// last answered went out, for the user timeout; clock.Never when none.
	probesStart clock.Instant
}

// newCold returns an empty cold part for a connection of cfg.
func newCold(cfg *Config) tcbCold {
	return tcbCold{lastInvalidAck: clock.Never, probesStart: clock.Never, userTimeout: cfg.UserTimeout}
}

// hotStats are the counters of ConnStats that every segment moves, kept
// in the TCB itself.
type hotStats struct {
	SegsOut, SegsIn          uint64
	BytesSent, BytesReceived uint64
}

// coldPart returns the TCB's cold part, allocating it on first use.
func (t *TCB) coldPart() *tcbCold {
	if t.cold == nil {
		c := newCold(t.cfg)
		t.cold = &c
	}
	return t.cold
}

// coldStats returns the counters of exceptional events, for an increment.
func (t *TCB) coldStats() *ConnStats { return &t.coldPart().stats }

// lastInvalidAck is when an ACK last answered an unacceptable segment,
// or clock.Never.
func (t *TCB) lastInvalidAck() clock.Instant {
	if t.cold == nil {
		return clock.Never
	}
	return t.cold.lastInvalidAck
}

// setLastInvalidAck records at, allocating the cold part only for a time
// other than clock.Never.
func (t *TCB) setLastInvalidAck(at clock.Instant) {
	if t.cold != nil || at != clock.Never {
		t.coldPart().lastInvalidAck = at
	}
}

// softErr is the last ICMP soft error, 0 for none.
func (t *TCB) softErr() syscall.Errno {
	if t.cold == nil {
		return 0
	}
	return t.cold.softErr
}

// clearSoftErr forgets the ICMP soft error.
func (t *TCB) clearSoftErr() {
	if t.cold != nil {
		t.cold.softErr = 0
	}
}

// Stats returns what this connection counted; the host sums it.
func (t *TCB) Stats() ConnStats {
	var s ConnStats
	if t.cold != nil {
		s = t.cold.stats
	}
	s.SegsOut, s.SegsIn = t.hot.SegsOut, t.hot.SegsIn
	s.BytesSent, s.BytesReceived = t.hot.BytesSent, t.hot.BytesReceived
	return s
}

// userTimeout is the connection's TCP_USER_TIMEOUT, 0 for none.
func (t *TCB) userTimeout() time.Duration {
	if t.cold == nil {
		return t.cfg.UserTimeout
	}
	return t.cold.userTimeout
}

// probesStart is when window probing began, or clock.Never.
func (t *TCB) probesStart() clock.Instant {
	if t.cold == nil {
		return clock.Never
	}
	return t.cold.probesStart
}

// clearProbesStart records that no window probe is outstanding.
func (t *TCB) clearProbesStart() {
	if t.cold != nil {
		t.cold.probesStart = clock.Never
	}
}
