package tcp

import (
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// The shared steps of the per-state tests: one segment and what it must
// draw (reaction), the rate limit on ACKs to unacceptable segments, and a
// timer that gives up.

// reaction is what one segment from the peer must draw from a TCB in a
// given state (RFC 9293 §3.10.7): the segments sent at once, the state
// after, the error the connection then reports, the bytes the user may
// read, and the next deadline.
type reaction struct {
	name     string
	in       string        // the peer's segment, in RFC notation
	out      []string      // what the TCB sends at once
	state    State         // the state after it
	err      syscall.Errno // Err() after it
	readable int           // Readable() after it
	next     time.Duration // NextDeadline() after it; 0: as before the segment
}

// never is clock.Never as a reaction's next deadline.
const never = time.Duration(clock.Never)

// stateBuilder builds a fixture in one state, opened as o says.
type stateBuilder func(t *testing.T, o opening, mod func(*Config)) *fixture

// oneSide adapts a builder of a state that only one opening reaches.
func oneSide(b func(*testing.T, func(*Config)) *fixture) stateBuilder {
	return func(t *testing.T, _ opening, mod func(*Config)) *fixture { return b(t, mod) }
}

// checkReactions runs each case on a fresh fixture from build, for every
// opening in sides, each as a subtest.
func checkReactions(t *testing.T, sides []opening, build stateBuilder, cases []reaction) {
	t.Helper()
	for _, c := range cases {
		for _, o := range sides {
			t.Run(c.name+"/"+o.String(), func(t *testing.T) {
				f := build(t, o, nil)
				before := f.tcb.NextDeadline()
				f.recv(c.in)
				f.expect(c.out...)
				f.state(c.state)
				if got := f.tcb.Err(); got != c.err {
					t.Errorf("Err %v, want %v", got, c.err)
				}
				if got := f.tcb.Readable(); got != c.readable {
					t.Errorf("Readable %d, want %d", got, c.readable)
				}
				next := clock.Instant(c.next)
				if c.next == 0 {
					next = before
				}
				if got := f.tcb.NextDeadline(); got != next {
					t.Errorf("next deadline %v, want %v", got, next)
				}
			})
		}
	}
}

// later returns the fixture's time plus d, for at and edge.
func (f *fixture) later(d time.Duration) time.Duration { return time.Duration(f.now) + d }

// fastInvalidAcks limits ACKs to unacceptable segments to one per 100 ms
// instead of 500 ms, so that the limit's edge comes before the closing
// states' retransmission timers (300 ms after our FIN).
func fastInvalidAcks(c *Config) { c.AckRateLimit = 100 * time.Millisecond }

// checkInvalidAckRateLimit sends the unacceptable segment in three times
// from a fixture built with fastInvalidAcks: the first draws ack, the
// second, 1 ns before the limit has passed, nothing, and the third, at
// the limit, ack again (RFC 5961 §7; Linux tcp_invalid_ratelimit).
func checkInvalidAckRateLimit(t *testing.T, f *fixture, in, ack string) {
	t.Helper()
	start, state := f.now, f.tcb.State()
	f.recv(in)
	f.expect(ack)
	f.at(f.later(100*time.Millisecond - 1))
	f.recv(in)
	f.expect()
	f.at(time.Duration(start) + 100*time.Millisecond)
	f.recv(in)
	f.expect(ack)
	f.state(state)
	if s := f.tcb.Stats(); s.InvalidAcksLimited != 1 {
		t.Errorf("%d ACKs limited, want 1", s.InvalidAcksLimited)
	}
}

// fewRetries lets a synchronized connection, orphaned or not, retransmit
// for as long as two doubling timeouts from the RTO floor take (Linux's
// tcp_retries2, 15 by default, as a time: 200 ms + 400 ms here, 0.6 s
// after the first resend), and a SYN or SYN-ACK two retries, so that the
// tests of giving up stay short.
func fewRetries(c *Config) { c.Retries, c.OrphanRetries, c.SynRetries, c.SynAckRetries = 2, 2, 2, 2 }

// lastFired fails the test unless the last timer that fired is want.
func lastFired(t *testing.T, f *fixture, want Timer) {
	t.Helper()
	if n := len(f.obs.fired); n == 0 || f.obs.fired[n-1] != want {
		t.Errorf("timers fired %v, want %v last", f.obs.fired, want)
	}
}

// lastChange fails the test unless the last state change is want, written
// "FROM->TO (cause)".
func lastChange(t *testing.T, f *fixture, want string) {
	t.Helper()
	if n := len(f.obs.changes); n == 0 || f.obs.changes[n-1] != want {
		t.Errorf("changes %v, want %q last", f.obs.changes, want)
	}
}

// checkCallsAfterOurFin runs the user calls in a state whose sending side
// is closed (RFC 9293 §3.10): SEND and a half-close are refused with
// EPIPE, "connection closing"; CLOSE succeeds, sends nothing and leaves
// the state; ABORT then closes the connection, sending abort.
func checkCallsAfterOurFin(t *testing.T, build stateBuilder, abort ...string) {
	t.Helper()
	eachOpening(t, func(t *testing.T, o opening) {
		f := build(t, o, nil)
		state := f.tcb.State()
		callErrs(t, f, syscall.EPIPE, syscall.EPIPE, nil)
		f.expect()
		f.state(state)
		f.abort()
		f.expect(abort...)
		f.state(Closed)
		lastChange(t, f, state.String()+"->CLOSED (call abort)")
	})
}

// callErrs checks what Write, Shutdown and Close return, in that order
// (Close last, since it may change the state).
func callErrs(t *testing.T, f *fixture, write, shutdown, closeErr error) {
	t.Helper()
	if _, err := f.write(1); err != write {
		t.Errorf("Write: %v, want %v", err, write)
	}
	if err := f.shutdown(); err != shutdown {
		t.Errorf("Shutdown: %v, want %v", err, shutdown)
	}
	if err := f.close(); err != closeErr {
		t.Errorf("Close: %v, want %v", err, closeErr)
	}
}
