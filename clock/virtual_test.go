package clock

import (
	"container/heap"
	"slices"
	"sync"
	"testing"
	"time"
)

// fired reports whether t has a fire waiting, consuming it.
func fired(t Timer) bool {
	select {
	case <-t.C():
		return true
	default:
		return false
	}
}

func TestVirtualStartsAtZero(t *testing.T) {
	v := NewVirtual()
	if got := v.Now(); got != 0 {
		t.Fatalf("Now() = %v, want 0", got)
	}
	if got := v.NextTimer(); got != Never {
		t.Fatalf("NextTimer() = %v, want never", got)
	}
}

func TestVirtualTimerFiresAtDeadlineNotBefore(t *testing.T) {
	v := NewVirtual()
	tm := v.NewTimer(Instant(10 * time.Millisecond))
	if got := v.NextTimer(); got != Instant(10*time.Millisecond) {
		t.Fatalf("NextTimer() = %v, want 0.010000s", got)
	}
	v.Advance(10*time.Millisecond - 1)
	if fired(tm) {
		t.Fatal("timer fired 1ns before its deadline")
	}
	v.Advance(1)
	if !fired(tm) {
		t.Fatal("timer did not fire at its deadline")
	}
	if fired(tm) {
		t.Fatal("timer fired twice")
	}
	if got := v.NextTimer(); got != Never {
		t.Fatalf("NextTimer() after firing = %v, want never", got)
	}
}

func TestVirtualTimerInPastFiresAtOnce(t *testing.T) {
	v := NewVirtual()
	v.AdvanceTo(100)
	if !fired(v.NewTimer(100)) {
		t.Fatal("timer at Now did not fire at once")
	}
	if !fired(v.NewTimer(5)) {
		t.Fatal("timer in the past did not fire at once")
	}
	if fired(v.NewTimer(Never)) {
		t.Fatal("timer at Never fired")
	}
	if got := v.NextTimer(); got != Never {
		t.Fatalf("NextTimer() = %v, want never", got)
	}
}

func TestVirtualFiresInDeadlineOrderTiesByCreation(t *testing.T) {
	v := NewVirtual()
	// Deadlines deliberately out of creation order, with a tie at 20.
	deadlines := []Instant{30, 20, 10, 20}
	ids := map[uint64]int{}
	for i, at := range deadlines {
		ids[v.NewTimer(at).(*virtualTimer).id] = i
	}
	// advanceLocked fires timers in the order the heap yields them.
	var order []int
	for len(v.armed) > 0 {
		order = append(order, ids[heap.Pop(&v.armed).(*virtualTimer).id])
	}
	want := []int{2, 1, 3, 0}
	if !slices.Equal(order, want) {
		t.Fatalf("fire order %v, want %v", order, want)
	}
}

func TestVirtualTieOrderWithinOneAdvance(t *testing.T) {
	v := NewVirtual()
	a := v.NewTimer(20)
	b := v.NewTimer(10)
	c := v.NewTimer(20)
	// NextTimer follows the earliest armed timer as timers are stopped.
	if v.NextTimer() != 10 {
		t.Fatalf("NextTimer() = %v", v.NextTimer())
	}
	b.Stop()
	if v.NextTimer() != 20 {
		t.Fatalf("NextTimer() after Stop = %v", v.NextTimer())
	}
	v.Advance(25)
	if !fired(a) || !fired(c) || fired(b) {
		t.Fatal("want a and c fired, b stopped")
	}
	if v.Now() != 25 {
		t.Fatalf("Now() = %v, want 25", v.Now())
	}
}

func TestVirtualResetDrainsPendingFire(t *testing.T) {
	v := NewVirtual()
	tm := v.NewTimer(10)
	v.Advance(10) // fires, not received
	tm.Reset(50)
	if fired(tm) {
		t.Fatal("Reset left a stale fire in the channel")
	}
	v.Advance(39)
	if fired(tm) {
		t.Fatal("re-armed timer fired early")
	}
	v.Advance(1)
	if !fired(tm) {
		t.Fatal("re-armed timer did not fire")
	}
}

func TestVirtualResetMovesArmedTimer(t *testing.T) {
	v := NewVirtual()
	tm := v.NewTimer(100)
	tm.Reset(40)
	if got := v.NextTimer(); got != 40 {
		t.Fatalf("NextTimer() = %v, want 40", got)
	}
	tm.Reset(Never)
	if got := v.NextTimer(); got != Never {
		t.Fatalf("NextTimer() after Reset(Never) = %v, want never", got)
	}
	v.Advance(time.Hour)
	if fired(tm) {
		t.Fatal("timer reset to Never fired")
	}
}

func TestVirtualStopDrainsAndDisarms(t *testing.T) {
	v := NewVirtual()
	tm := v.NewTimer(10)
	tm.Stop()
	v.Advance(20)
	if fired(tm) {
		t.Fatal("stopped timer fired")
	}
	tm.Reset(30)
	v.Advance(10)
	tm.Stop()
	if fired(tm) {
		t.Fatal("Stop left an unreceived fire")
	}
	tm.Stop() // stopping twice is harmless
}

func TestVirtualTimeNeverGoesBack(t *testing.T) {
	v := NewVirtual()
	v.AdvanceTo(100)
	v.AdvanceTo(50)
	v.Advance(-10)
	if got := v.Now(); got != 100 {
		t.Fatalf("Now() = %v, want 100", got)
	}
}

func TestVirtualConcurrentUse(t *testing.T) {
	v := NewVirtual()
	const workers, rounds = 8, 200
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tm := v.NewTimer(v.Now().Add(time.Duration(w + 1)))
			for range rounds {
				tm.Reset(v.Now().Add(time.Duration(w + 1)))
				_ = v.NextTimer()
			}
			tm.Stop()
		}()
	}
	for range rounds {
		v.Advance(1)
	}
	wg.Wait()
	if got := v.Now(); got != rounds {
		t.Fatalf("Now() = %v, want %d", got, rounds)
	}
	if got := v.NextTimer(); got != Never {
		t.Fatalf("NextTimer() = %v after all timers stopped", got)
	}
}
