package clock

import (
	"testing"
	"testing/synctest"
	"time"
)

func TestRealNowFollowsTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewReal()
		if got := c.Now(); got != 0 {
			t.Fatalf("Now() at start = %v, want 0", got)
		}
		time.Sleep(3 * time.Second) // fake time inside the bubble
		if got := c.Now(); got != Instant(3*time.Second) {
			t.Fatalf("Now() = %v, want 3s", got)
		}
	})
}

func TestRealTimerFiresAtDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewReal()
		tm := c.NewTimer(Instant(time.Second))
		<-tm.C()
		if got := c.Now(); got != Instant(time.Second) {
			t.Fatalf("fired at %v, want 1s", got)
		}
	})
}

func TestRealTimerPastFiresAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewReal()
		time.Sleep(time.Second)
		tm := c.NewTimer(Instant(time.Millisecond))
		if !fired(tm) {
			t.Fatal("timer in the past did not fire at once")
		}
	})
}

func TestRealTimerResetDrainsAndRearms(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewReal()
		tm := c.NewTimer(Instant(time.Second))
		time.Sleep(2 * time.Second)
		synctest.Wait()
		tm.Reset(Instant(5 * time.Second))
		if fired(tm) {
			t.Fatal("Reset left a stale fire")
		}
		time.Sleep(3*time.Second - time.Nanosecond)
		synctest.Wait()
		if fired(tm) {
			t.Fatal("re-armed timer fired early")
		}
		<-tm.C()
		if got := c.Now(); got != Instant(5*time.Second) {
			t.Fatalf("fired at %v, want 5s", got)
		}
	})
}

func TestRealTimerResetEarlierAndLater(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewReal()
		tm := c.NewTimer(Instant(10 * time.Second))
		tm.Reset(Instant(2 * time.Second))
		<-tm.C()
		if got := c.Now(); got != Instant(2*time.Second) {
			t.Fatalf("fired at %v, want 2s", got)
		}
		tm.Reset(Instant(7 * time.Second))
		<-tm.C()
		if got := c.Now(); got != Instant(7*time.Second) {
			t.Fatalf("fired at %v, want 7s", got)
		}
	})
}

func TestRealTimerStop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := NewReal()
		tm := c.NewTimer(Instant(time.Second))
		tm.Stop()
		time.Sleep(2 * time.Second)
		synctest.Wait()
		if fired(tm) {
			t.Fatal("stopped timer fired")
		}
		tm.Reset(Never)
		time.Sleep(time.Hour)
		synctest.Wait()
		if fired(tm) {
			t.Fatal("timer armed at Never fired")
		}
	})
}
