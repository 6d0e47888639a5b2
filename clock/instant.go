// Package clock gives synack its notion of time: an Instant type used by every
// sans-IO component, a real clock, and a virtual clock that tests advance.
//
// Nothing below the host driver reads a clock. Components take the current
// Instant as an argument and report the next Instant at which they need to be
// woken; the driver (a goroutine with a real clock, or a simulation with a
// virtual one) is the only caller of Now.
package clock

import (
	"fmt"
	"time"
)

// Instant is a point in time: nanoseconds since the epoch of the clock that
// produced it. Instants from different clocks are not comparable.
type Instant int64

// Never is the Instant that a component returns as its next deadline when it
// does not need to be woken.
const Never Instant = 1<<63 - 1

// Add returns i+d, saturating at Never.
func (i Instant) Add(d time.Duration) Instant {
	if i == Never {
		return Never
	}
	s := i + Instant(d)
	if d > 0 && s < i {
		return Never
	}
	return s
}

// Sub returns the duration i-j.
func (i Instant) Sub(j Instant) time.Duration { return time.Duration(i - j) }

// Before reports whether i is strictly before j.
func (i Instant) Before(j Instant) bool { return i < j }

// After reports whether i is strictly after j.
func (i Instant) After(j Instant) bool { return i > j }

// Min returns the earlier of i and j.
func Min(i, j Instant) Instant {
	if i < j {
		return i
	}
	return j
}

// String formats i as seconds since the epoch with microsecond precision,
// e.g. "3.000250s", or "never".
func (i Instant) String() string {
	if i == Never {
		return "never"
	}
	sign := ""
	v := int64(i)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%06ds", sign, v/1e9, (v%1e9)/1e3)
}
