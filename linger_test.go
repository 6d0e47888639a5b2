package synack_test

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/tcp"
)

// slowLink delays every packet it sends by delay, in order, and drops
// them all while cut is set.
type slowLink struct {
	link.Link
	delay time.Duration
	cut   atomic.Bool
	mu    sync.Mutex // one writer at a time for the link under it
}

func (l *slowLink) WritePacket(pkt []byte) error {
	if l.cut.Load() {
		return nil // lost, as on a full queue
	}
	p := bytes.Clone(pkt)
	l.mu.Lock()
	defer l.mu.Unlock()
	time.AfterFunc(l.delay, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.Link.WritePacket(p)
	})
	return nil
}

// slowStacks joins a client and a server whose packets take 50 ms each
// way, with a discard server on 10.0.0.2:80, and returns a connection to
// it and the client's link.
func slowStacks(t *testing.T) (*synack.Conn, *slowLink) {
	t.Helper()
	a, b := pipe.New(1500, 1024)
	la, lb := &slowLink{Link: a, delay: 50 * time.Millisecond}, &slowLink{Link: b, delay: 50 * time.Millisecond}
	cs, ss := newStack(t, "client", la, "10.0.0.1/24"), newStack(t, "server", lb, "10.0.0.2/24")
	return dialDiscardOn(t, cs, ss), la
}

// TestLingerWaitsForAck: with SetLinger(10), Close returns once the data
// and the FIN are acknowledged (one round trip after the last segment),
// where a plain Close returns at once in FIN_WAIT_1.
func TestLingerWaitsForAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for _, linger := range []int{-1, 10} {
			c, _ := slowStacks(t)
			c.Write(bytes.Repeat([]byte("linger "), 10000))
			c.SetLinger(linger)
			start := time.Now()
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			took, st := time.Since(start), c.State()
			switch {
			case linger < 0 && (took != 0 || st != tcp.FinWait1):
				t.Errorf("plain Close: returned after %v in %v, want at once in FIN_WAIT_1", took, st)
			case linger > 0 && (took < 100*time.Millisecond || took >= 10*time.Second || st != tcp.FinWait2 && st != tcp.TimeWait):
				t.Errorf("Close with linger: returned after %v in %v, want after a round trip in FIN_WAIT_2 or TIME_WAIT", took, st)
			}
		}
	})
}

// TestLingerTimesOut: when nothing is acknowledged, Close returns nil
// after exactly the linger time, and the connection goes on closing in
// the background (here once the path is restored).
func TestLingerTimesOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, out := slowStacks(t)
		out.cut.Store(true)
		c.Write([]byte("never acknowledged"))
		c.SetLinger(3)
		start := time.Now()
		if err := c.Close(); err != nil {
			t.Fatalf("Close: %v, want nil after the linger time", err)
		}
		if took, st := time.Since(start), c.State(); took != 3*time.Second || st != tcp.FinWait1 {
			t.Fatalf("Close returned after %v in %v, want 3s in FIN_WAIT_1", took, st)
		}
		out.cut.Store(false)
		time.Sleep(30 * time.Second) // retransmissions resume the close
		if st := c.State(); st != tcp.TimeWait {
			t.Errorf("30 s after the path came back: %v, want TIME_WAIT", st)
		}
	})
}
