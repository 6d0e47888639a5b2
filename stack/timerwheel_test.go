package stack

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// wheelModel is the reference the wheel is checked against: a map of
// armed deadlines with their arming order, searched in full each time.
type wheelModel struct {
	armed map[*Conn]modelTimer
	seq   uint64
}

type modelTimer struct {
	d   clock.Instant
	seq uint64
}

func (m *wheelModel) set(c *Conn, d clock.Instant) {
	old, ok := m.armed[c]
	switch {
	case d == clock.Never:
		delete(m.armed, c)
	case !ok || old.d != d:
		m.seq++
		m.armed[c] = modelTimer{d, m.seq}
	}
}

// due returns the armed connections due at now, in firing order.
func (m *wheelModel) due(now clock.Instant) []*Conn {
	var out []*Conn
	for c, t := range m.armed {
		if t.d <= now {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b *Conn) int {
		ta, tb := m.armed[a], m.armed[b]
		return cmp.Or(cmp.Compare(ta.d, tb.d), cmp.Compare(ta.seq, tb.seq))
	})
	return out
}

func (m *wheelModel) next() clock.Instant {
	n := clock.Never
	for _, t := range m.armed {
		n = min(n, t.d)
	}
	return n
}

// TestTimerWheelAgainstModel drives the wheel with random arms, re-arms,
// cancels and advances of time, from sub-tick steps to jumps of days, and
// checks after every step that NextDeadline is exact and that what fires
// is exactly what is due, in (deadline, arming) order.
func TestTimerWheelAgainstModel(t *testing.T) {
	for _, base := range []clock.Instant{0, clock.Instant(1_700_000_000) * clock.Instant(time.Second)} {
		r := rand.New(rand.NewPCG(7, uint64(base)))
		var w timerWheel
		m := wheelModel{armed: map[*Conn]modelTimer{}}
		conns := make([]*Conn, 300)
		for i := range conns {
			conns[i] = newConn(nil, Tuple{})
		}
		now := base
		var recent []clock.Instant // deadlines to reuse, for ties
		for step := range 50000 {
			c := conns[r.IntN(len(conns))]
			switch op := r.IntN(10); {
			case op < 5:
				var d clock.Instant
				switch r.IntN(7) {
				case 0:
					d = now + clock.Instant(r.IntN(2000)) // within a tick
				case 1:
					d = now + clock.Instant(r.Int64N(int64(300*time.Millisecond)))
				case 2:
					d = now + clock.Instant(r.Int64N(int64(120*time.Second)))
				case 3:
					d = now + clock.Instant(r.Int64N(int64(72*time.Hour)))
				case 4:
					d = now - clock.Instant(r.Int64N(int64(time.Second))) // overdue
				default:
					if len(recent) > 0 {
						d = recent[r.IntN(len(recent))]
					} else {
						d = now
					}
				}
				recent = append(recent, d)
				if len(recent) > 20 {
					recent = recent[1:]
				}
				w.set(c, d)
				m.set(c, d)
			case op < 6:
				w.set(c, clock.Never)
				m.set(c, clock.Never)
			default:
				switch r.IntN(6) {
				case 0:
					now += clock.Instant(r.Int64N(int64(3 * time.Hour)))
				case 1:
					now += clock.Instant(r.Int64N(int64(2 * time.Second)))
				case 2:
					now = max(now, w.next()) // wake exactly at the next deadline
				default:
					now += clock.Instant(r.Int64N(int64(5 * time.Millisecond)))
				}
				want := m.due(now)
				for i, wc := range want {
					got := w.popDue(now)
					if got != wc {
						t.Fatalf("step %d: pop %d at %v: got deadline %v, want %v (seq %d)",
							step, i, now, m.armed[got], m.armed[wc], m.armed[wc].seq)
					}
					delete(m.armed, wc)
				}
				if got := w.popDue(now); got != nil {
					t.Fatalf("step %d: popped %v at %v, not due", step, m.armed[got], now)
				}
			}
			if got, want := w.next(), m.next(); got != want {
				t.Fatalf("step %d: next %v, want %v", step, got, want)
			}
		}
	}
}

// A timer fires at exactly its deadline: not one nanosecond before, and
// not later because of the wheel's 1 ms ticks, even far in the future.
func TestTimerWheelExactExpiry(t *testing.T) {
	var w timerWheel
	c := newConn(nil, Tuple{})
	for _, d := range []clock.Instant{1, 999_999, 1_048_577, clock.Instant(60*time.Second) + 7, clock.Instant(127 * time.Second)} {
		w.set(c, d)
		if got := w.next(); got != d {
			t.Fatalf("next %v, want %v", got, d)
		}
		if w.popDue(d-1) != nil {
			t.Fatalf("fired at %v, before its deadline %v", d-1, d)
		}
		if w.popDue(d) != c {
			t.Fatalf("did not fire at its deadline %v", d)
		}
		if w.next() != clock.Never {
			t.Fatal("still armed after firing")
		}
	}
}

// BenchmarkTimerWheel measures the wheel with a million connections
// armed, each with its own RTO between 200 ms and 1 s: "segment", a segment
// for a random connection every 100 ns that leaves an ACK delayed (now + 40
// ms) or restarts the RTO, with the due timers fired and the next deadline
// asked for, as the host's loop does; "rearm", the RTO restarted every 10 ms
// or so on each connection; "arm-cancel" on a full wheel; "fire", the cost
// of each timer that expires, in order.
func BenchmarkTimerWheel(b *testing.B) {
	const n = 1 << 20
	conns := make([]*Conn, n)
	rtos := make([]clock.Instant, n)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range conns {
		conns[i] = newConn(nil, Tuple{})
		rtos[i] = clock.Instant(200*time.Millisecond) + clock.Instant(r.Int64N(int64(800*time.Millisecond)))
	}
	// fresh returns an empty wheel with every connection armed for its RTO.
	fresh := func() *timerWheel {
		w := new(timerWheel)
		for i, c := range conns {
			c.timer = unarmed
			w.set(c, rtos[i])
		}
		return w
	}
	b.Run("segment", func(b *testing.B) {
		w := fresh()
		now := clock.Instant(0)
		for b.Loop() {
			now += 100
			j := r.IntN(n)
			if r.IntN(2) == 0 {
				w.set(conns[j], now+clock.Instant(40*time.Millisecond))
			} else {
				w.set(conns[j], now+rtos[j])
			}
			for c := w.popDue(now); c != nil; c = w.popDue(now) {
				w.set(c, now+rtos[0])
			}
			_ = w.next()
		}
	})
	b.Run("rearm", func(b *testing.B) {
		w := fresh()
		now := clock.Instant(0)
		for b.Loop() {
			now += clock.Instant(10 * time.Millisecond / n)
			j := r.IntN(n)
			w.set(conns[j], now+rtos[j])
			for c := w.popDue(now); c != nil; c = w.popDue(now) {
				w.set(c, now+rtos[0])
			}
			_ = w.next()
		}
	})
	b.Run("arm-cancel", func(b *testing.B) {
		w := fresh()
		c := conns[0]
		for b.Loop() {
			w.set(c, rtos[1])
			w.set(c, clock.Never)
		}
	})
	b.Run("fire", func(b *testing.B) {
		var w *timerWheel
		now, left := clock.Instant(0), 0
		for b.Loop() {
			if left == 0 {
				b.StopTimer()
				w, now, left = fresh(), 0, n
				b.StartTimer()
			}
			c := w.popDue(now)
			for c == nil {
				now = w.next()
				c = w.popDue(now)
			}
			left--
		}
	})
}
