package tcp

import (
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
)

// Linux's tcp_model_timeout: 15 retries from 200 ms, doubling to 120 s,
// are 924.6 s; an orphan's 8 are 102.2 s.
func TestModelTimeout(t *testing.T) {
	for _, c := range []struct {
		n    int
		want time.Duration
	}{
		{15, 924600 * time.Millisecond},
		{8, 102200 * time.Millisecond},
		{9, 204600 * time.Millisecond},
		{10, 324600 * time.Millisecond},
		{0, 200 * time.Millisecond},
	} {
		if got := modelTimeout(c.n, 200*time.Millisecond, 120*time.Second); got != c.want {
			t.Errorf("modelTimeout(%d) = %v, want %v", c.n, got, c.want)
		}
	}
}

// runTimers fires the TCB's timers one deadline after another, draining
// what it sends, until it closes or until limit; it returns the instants
// at which it sent something.
func runTimers(f *fixture, limit time.Duration) []clock.Instant {
	var sent []clock.Instant
	for f.tcb.State() != Closed {
		d := f.tcb.NextDeadline()
		if d == clock.Never || time.Duration(d) > limit {
			break
		}
		f.at(time.Duration(d))
		if len(f.drain()) > 0 {
			sent = append(sent, f.now)
		}
	}
	return sent
}

// A peer that stops answering is given up on by time, as Linux does with
// tcp_retries2: at the first retransmission timeout 924.6 s or more after
// the unacknowledged data was sent, silently, with ETIMEDOUT.
func TestRetransmissionsGiveUpByTime(t *testing.T) {
	f := established(t, nil)
	f.at(time.Second)
	f.write(100)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=100>")
	resent := runTimers(f, 2*time.Hour)
	f.state(Closed)
	if f.tcb.Err() != syscall.ETIMEDOUT {
		t.Fatalf("err %v", f.tcb.Err())
	}
	bound := clock.Instant(time.Second + 924600*time.Millisecond)
	last := resent[len(resent)-1]
	if last >= bound || f.now < bound {
		t.Fatalf("last resend at %v, closed at %v; the bound is %v", last, f.now, bound)
	}
	if len(resent) < 10 {
		t.Fatalf("%d resends: %v", len(resent), resent)
	}
}

// An orphan (its user closed it) gives up sooner: tcp_orphan_retries' 8,
// 102.2 s.
func TestOrphanGivesUpSooner(t *testing.T) {
	f := established(t, nil)
	f.at(time.Second)
	f.write(100)
	f.close()
	f.expect("<SEQ=1001><ACK=5001><CTL=FIN,ACK><LEN=100>")
	resent := runTimers(f, 2*time.Hour)
	bound := clock.Instant(time.Second + 102200*time.Millisecond)
	if f.tcb.State() != Closed || resent[len(resent)-1] >= bound || f.now < bound || f.now > bound+clock.Instant(2*time.Minute) {
		t.Fatalf("closed %v at %v after resends %v; the bound is %v", f.tcb.State(), f.now, resent, bound)
	}
}

// Zero-window probes to a peer that answers none: after Retries (15)
// probes, backing off to 120 s apart, ETIMEDOUT.
func TestWindowProbesToADeadPeerGiveUp(t *testing.T) {
	f := established(t, nil)
	closed := ack(0)
	closed.Window = 0
	f.in(closed)
	f.write(10)
	f.expect()
	probes := runTimers(f, 24*time.Hour)
	if f.tcb.State() != Closed || f.tcb.Err() != syscall.ETIMEDOUT || len(probes) != 15 {
		t.Fatalf("%v %v after %d probes at %v", f.tcb.State(), f.tcb.Err(), len(probes), probes)
	}
	if gap := probes[14].Sub(probes[13]); gap != 120*time.Second {
		t.Errorf("the last probes are %v apart, want MaxRTO", gap)
	}
}

// A live peer that answers every probe with a zero window keeps the
// connection for ever (Linux), unless a user timeout is set: then it ends
// exactly that long after the first probe, the persist timer clamped to
// it as Linux's tcp_clamp_probe0_to_user_timeout does.
func TestWindowProbesAnsweredAndTheUserTimeout(t *testing.T) {
	for _, uto := range []time.Duration{0, 30 * time.Second} {
		f := established(t, func(c *Config) { c.UserTimeout = uto })
		closed := ack(0)
		closed.Window = 0
		f.in(closed)
		f.write(10)
		f.expect()
		var first clock.Instant
		for f.tcb.State() != Closed && f.now < clock.Instant(24*time.Hour) {
			f.at(time.Duration(f.tcb.NextDeadline()))
			if out := f.drain(); len(out) > 0 {
				if first == 0 {
					first = f.now
				}
				f.in(closed) // answered, still closed
			}
		}
		switch {
		case uto == 0 && f.tcb.State() != Established:
			t.Fatalf("no user timeout: %v %v at %v", f.tcb.State(), f.tcb.Err(), f.now)
		case uto > 0 && (f.tcb.State() != Closed || f.tcb.Err() != syscall.ETIMEDOUT || f.now.Sub(first) != uto):
			t.Fatalf("user timeout %v: %v %v at %v, first probe at %v", uto, f.tcb.State(), f.tcb.Err(), f.now, first)
		}
	}
}

// TCP_USER_TIMEOUT per connection overrides the stack default: unacked
// data ends the connection exactly then (TimerUser).
func TestSetUserTimeout(t *testing.T) {
	f := established(t, func(c *Config) { c.UserTimeout = time.Hour })
	f.tcb.SetUserTimeout(5 * time.Second)
	if f.tcb.UserTimeout() != 5*time.Second {
		t.Fatal("not set")
	}
	f.at(time.Second)
	f.write(10)
	f.drain()
	for f.tcb.State() != Closed {
		f.at(time.Duration(f.tcb.NextDeadline()))
		f.drain()
	}
	if f.now != clock.Instant(6*time.Second) || f.tcb.Err() != syscall.ETIMEDOUT {
		t.Fatalf("closed at %v with %v, want 6s ETIMEDOUT", f.now, f.tcb.Err())
	}
	lastFired(t, f, TimerUser)
}

// Keep-alive with a user timeout gives up once the peer has been silent
// that long and a probe went unanswered, rather than after Count probes.
func TestKeepaliveUserTimeout(t *testing.T) {
	f := established(t, func(c *Config) {
		c.KeepAlive = KeepAlive{Enable: true, Idle: 10 * time.Second, Interval: 5 * time.Second, Count: 100}
		c.UserTimeout = 22 * time.Second
	})
	// The last segment came at 100 ms: probes at 10.1, 15.1, 20.1 s; at
	// 25.1 s the peer has been silent 25 s >= 22 s: reset and ETIMEDOUT.
	probe := "<SEQ=1000><ACK=5001><CTL=ACK><LEN=0>"
	f.edge(10100*time.Millisecond, probe)
	f.edge(15100*time.Millisecond, probe)
	f.edge(20100*time.Millisecond, probe)
	f.edge(25100*time.Millisecond, "<SEQ=1001><ACK=5001><CTL=RST,ACK><LEN=0>")
	endedBy(t, f, TimerKeepalive, syscall.ETIMEDOUT)
}

// No keep-alive probe while data is outstanding: the retransmission timer
// watches the peer.
func TestNoKeepaliveWhileDataOutstanding(t *testing.T) {
	f := established(t, func(c *Config) {
		c.KeepAlive = KeepAlive{Enable: true, Idle: time.Second, Interval: time.Second, Count: 3}
	})
	f.at(500 * time.Millisecond)
	f.write(10)
	f.drain()
	for f.now < clock.Instant(5*time.Second) {
		f.at(time.Duration(f.tcb.NextDeadline()))
		for _, s := range f.drain() {
			if s != "<SEQ=1001><ACK=5001><CTL=ACK><LEN=10>" {
				t.Fatalf("at %v sent %s, want only retransmissions", f.now, s)
			}
		}
	}
	lastFired(t, f, TimerRetransmit)
}

// A peer that closes its window under data in flight (the data beyond it
// is dropped): each retransmission timeout sends a bare probe, not
// nothing, and the connection lives while the peer answers; once the peer
// has been silent for MaxRTO it ends (Linux's tcp_retransmit_timer).
func TestRetransmissionIntoAZeroWindow(t *testing.T) {
	f := established(t, func(c *Config) { c.Retries = 2 }) // 1.4 s of retries would end it otherwise
	f.at(time.Second)
	f.write(2000)
	f.drain()
	closed := ack(500)
	closed.Window = 0
	f.in(closed) // 500 bytes taken, 1,500 in flight beyond the window
	f.expect()
	probes := 0
	for f.now < clock.Instant(60*time.Second) {
		f.at(time.Duration(f.tcb.NextDeadline()))
		for _, s := range f.drain() {
			if s != "<SEQ=1500><ACK=5001><CTL=ACK><LEN=0>" {
				t.Fatalf("at %v sent %s, want a bare probe at SND.UNA-1", f.now, s)
			}
			probes++
			f.in(closed) // answered: still closed
		}
	}
	if f.tcb.State() != Established || probes < 5 {
		t.Fatalf("after 60 s of answered probes: %v, %d probes", f.tcb.State(), probes)
	}
	// The peer goes silent: MaxRTO (120 s) after it last answered, the
	// connection ends at the next timeout.
	last := f.now
	for f.tcb.State() != Closed {
		f.at(time.Duration(f.tcb.NextDeadline()))
		f.drain()
	}
	if f.tcb.Err() != syscall.ETIMEDOUT || f.now.Sub(last) <= 120*time.Second || f.now.Sub(last) > 240*time.Second {
		t.Fatalf("ended at %v (%v after the last answer) with %v", f.now, f.now.Sub(last), f.tcb.Err())
	}
}
