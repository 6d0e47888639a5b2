package pipe

import (
	"errors"
	"io"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/netem"
)

// reader reads packets from e on its own goroutine, publishing each one (or
// the error that ended reading) on a channel the test polls after
// synctest.Wait.
type reader struct {
	pkts chan string
	err  chan error
}

func startReader(e *Endpoint) *reader {
	r := &reader{pkts: make(chan string, 64), err: make(chan error, 1)}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, err := e.ReadPacket(buf)
			if err != nil {
				r.err <- err
				return
			}
			r.pkts <- string(buf[:n])
		}
	}()
	return r
}

// got returns the packets read so far, once every goroutine has settled.
func (r *reader) got() []string {
	synctest.Wait()
	var out []string
	for {
		select {
		case p := <-r.pkts:
			out = append(out, p)
		default:
			return out
		}
	}
}

func TestFaultyDelayIsExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual()
		a, b := NewWithFaults(1500, 8, clk, netem.Impairment{Delay: 10 * time.Millisecond})
		r := startReader(b)
		mustWrite(t, a, []byte("one"))
		clk.Advance(5 * time.Millisecond)
		mustWrite(t, a, []byte("two"))
		clk.Advance(5*time.Millisecond - 1)
		if got := r.got(); len(got) != 0 {
			t.Fatalf("read %q before the delay elapsed", got)
		}
		clk.Advance(1)
		if got := r.got(); len(got) != 1 || got[0] != "one" {
			t.Fatalf("at 10ms read %q, want [one]", got)
		}
		clk.Advance(5 * time.Millisecond)
		if got := r.got(); len(got) != 1 || got[0] != "two" {
			t.Fatalf("at 15ms read %q, want [two]", got)
		}
		a.Close()
		b.Close()
		if err := <-r.err; !errors.Is(err, net.ErrClosed) {
			t.Fatalf("reader ended with %v", err)
		}
	})
}

func TestFaultyZeroDelayIsSynchronous(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual()
		a, b := NewWithFaults(1500, 8, clk, netem.Impairment{})
		mustWrite(t, a, []byte("now"))
		// No clock movement and no goroutine hop needed.
		mustRead(t, b, []byte("now"))
		a.Close()
		b.Close()
	})
}

func TestFaultyLossAndDuplicate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual()
		a, b := NewWithFaults(1500, 8, clk, netem.Impairment{Loss: 1})
		mustWrite(t, b, []byte("lost"))
		mustWrite(t, a, []byte("kept"))
		if s := b.Stats(); s.Faults.Lost != 1 || s.Delivered != 0 || s.Sent != 1 {
			t.Fatalf("stats %+v", s)
		}
		a.Close()
		b.Close()

		a, b = NewWithFaults(1500, 8, clk, netem.Impairment{Duplicate: 1})
		mustWrite(t, a, []byte("twice"))
		mustRead(t, b, []byte("twice"))
		mustRead(t, b, []byte("twice"))
		if s := a.Stats(); s.Faults.Duplicated != 1 || s.Delivered != 2 {
			t.Fatalf("stats %+v", s)
		}
		a.Close()
		b.Close()
	})
}

func TestFaultyReceiveQueueStillBounded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual()
		a, b := NewWithFaults(1500, 2, clk, netem.Impairment{Delay: time.Millisecond})
		for range 5 {
			mustWrite(t, a, []byte("x"))
		}
		clk.Advance(time.Millisecond)
		synctest.Wait()
		if s := a.Stats(); s.Delivered != 2 || s.DroppedFull != 3 {
			t.Fatalf("stats %+v, want 2 delivered, 3 dropped", s)
		}
		a.Close()
		b.Close()
	})
}

func TestFaultyPathQueueLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual()
		a, b := NewWithFaults(1500, 8, clk, netem.Impairment{Delay: time.Millisecond, QueueLimit: 2})
		for range 3 {
			mustWrite(t, a, []byte("x"))
		}
		if s := a.Stats(); s.Faults.DroppedQueue != 1 {
			t.Fatalf("stats %+v, want 1 dropped at the path's queue", s)
		}
		a.Close()
		b.Close()
	})
}

func TestFaultyCloseLetsInFlightArrive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual()
		a, b := NewWithFaults(1500, 8, clk, netem.Impairment{Delay: time.Second})
		r := startReader(b)
		mustWrite(t, a, []byte("in flight"))
		a.Close()
		if got := r.got(); len(got) != 0 {
			t.Fatalf("read %q early", got)
		}
		clk.Advance(time.Second)
		if got := r.got(); len(got) != 1 || got[0] != "in flight" {
			t.Fatalf("read %q, want the packet in flight", got)
		}
		if err := <-r.err; err != io.EOF {
			t.Fatalf("after the sender's last packet: %v, want io.EOF", err)
		}
		b.Close()
		// synctest.Test returns only once the delivery goroutines exited.
	})
}

func TestFaultyReceiverCloseDiscardsInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewVirtual()
		a, b := NewWithFaults(1500, 8, clk, netem.Impairment{Delay: time.Hour})
		mustWrite(t, a, []byte("never read"))
		b.Close()
		synctest.Wait()
		mustWrite(t, a, []byte("to nobody"))
		if s := a.Stats(); s.DroppedClosed != 1 {
			t.Fatalf("stats %+v", s)
		}
		a.Close()
	})
}

func TestFaultyWithRealClockUnderSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clk := clock.NewReal()
		a, b := NewWithFaults(1500, 8, clk, netem.Impairment{Delay: 30 * time.Millisecond})
		start := time.Now()
		mustWrite(t, a, []byte("hi"))
		mustRead(t, b, []byte("hi"))
		if took := time.Since(start); took != 30*time.Millisecond {
			t.Fatalf("packet took %v, want 30ms", took)
		}
		a.Close()
		b.Close()
	})
}

func TestFaultyPipeIsDeterministic(t *testing.T) {
	imp := netem.Impairment{Loss: 0.2, Duplicate: 0.1, Delay: time.Millisecond, Jitter: 3 * time.Millisecond}
	run := func() []string {
		var got []string
		synctest.Test(t, func(t *testing.T) {
			clk := clock.NewVirtual()
			a, b := NewWithFaults(1500, 256, clk, imp)
			r := startReader(b)
			for i := range 200 {
				mustWrite(t, a, []byte{byte(i)})
				clk.Advance(100 * time.Microsecond)
				got = append(got, r.got()...)
			}
			clk.Advance(time.Second)
			got = append(got, r.got()...)
			a.Close()
			b.Close()
		})
		return got
	}
	first, second := run(), run()
	if len(first) < 100 {
		t.Fatalf("only %d packets arrived", len(first))
	}
	if len(first) != len(second) {
		t.Fatalf("runs differ: %d vs %d packets", len(first), len(second))
	}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("runs differ at packet %d", i)
		}
	}
}

// Corruption flips one bit of the delivered copy; the sender's packet and
// the stats say so.
func TestFaultyCorrupt(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := NewWithFaults(1500, 8, clock.NewVirtual(), netem.Impairment{Corrupt: 1})
		sent := []byte("corrupt me")
		mustWrite(t, a, sent)
		buf := make([]byte, 64)
		n, err := b.ReadPacket(buf)
		if err != nil || n != len(sent) {
			t.Fatalf("read %d, %v", n, err)
		}
		diff := 0
		for i := range n {
			for x := buf[i] ^ "corrupt me"[i]; x != 0; x &= x - 1 {
				diff++
			}
		}
		if diff != 1 || string(sent) != "corrupt me" || a.Stats().Faults.Corrupted != 1 {
			t.Fatalf("%d bits differ, sent %q, stats %+v", diff, sent, a.Stats())
		}
		a.Close()
		b.Close()
	})
}
