package synack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// churnSize is how many connections TestChurn makes: SYNACK_CHURN, or
// 2,000 under the race detector and 20,000 without it. The README's
// Reliability section gives the figures of a run of a million.
func churnSize(t *testing.T) int {
	if v := os.Getenv("SYNACK_CHURN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("SYNACK_CHURN=%q: want a positive count", v)
		}
		return n
	}
	if raceEnabled {
		return 2000
	}
	return 20000
}

// churnStacks joins a client and a server stack by a pipe that delays,
// loses, reorders and duplicates packets, with SYN retries cut to 2 so
// that a dial to an address nobody answers times out after 7 s, and
// keep-alive on: an abort's RST may be lost, and without keep-alive the
// peer, which has nothing to send, would wait for ever (as on Linux).
func churnStacks(t *testing.T) (client, server *synack.Stack) {
	a, b := pipe.NewWithFaults(1500, 4096, clock.NewReal(), netem.Impairment{
		Delay: time.Millisecond, Jitter: 500 * time.Microsecond, Loss: 0.005,
		Reorder: 0.01, ReorderDelay: 2 * time.Millisecond, Duplicate: 0.005, QueueLimit: 4096,
	})
	cfg := tcp.DefaultConfig()
	cfg.SynRetries = 2
	cfg.KeepAlive = tcp.KeepAlive{Enable: true, Idle: 30 * time.Second, Interval: 5 * time.Second, Count: 3}
	mk := func(name string, l *pipe.Endpoint, addr string) *synack.Stack {
		s, err := synack.New(synack.Config{Name: name, TCP: &cfg, Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return mk("client", a, "10.0.0.1/24"), mk("server", b, "10.0.0.2/24")
}

// churnEcho serves echo on ln until it closes: each connection copies
// what it reads back and closes at EOF.
func churnEcho(ln net.Listener, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			io.Copy(c, c)
			c.Close()
		}()
	}
}

// churnOutcomes counts how the churn's connections ended.
type churnOutcomes struct{ echoed, aborted, refused, timedOut atomic.Int64 }

// churnOne makes connection i: most echo a few bytes and close in order;
// one in ten is aborted after its write, one in twenty dials a closed port
// (refused), one in fifty dials an address nobody answers (timed out).
func churnOne(ctx context.Context, s *synack.Stack, i int, out *churnOutcomes) error {
	addr := "10.0.0.2:7"
	switch {
	case i%50 == 7:
		addr = "10.0.0.9:7"
	case i%20 == 3:
		addr = "10.0.0.2:8"
	}
	c, err := s.DialContext(ctx, "tcp", addr)
	switch {
	case addr == "10.0.0.9:7" && errors.Is(err, syscall.ETIMEDOUT):
		out.timedOut.Add(1)
		return nil
	case addr == "10.0.0.2:8" && errors.Is(err, syscall.ECONNREFUSED):
		out.refused.Add(1)
		return nil
	case err != nil:
		return fmt.Errorf("dial %d to %s: %w", i, addr, err)
	}
	msg := bytes.Repeat([]byte{byte(i)}, 1+i%3000)
	if i%10 == 1 {
		c.(*synack.Conn).SetLinger(0)
		c.Write(msg)
		c.Close()
		out.aborted.Add(1)
		return nil
	}
	go func() { c.Write(msg); c.(*synack.Conn).CloseWrite() }()
	got, err := io.ReadAll(c)
	c.Close()
	if err != nil || !bytes.Equal(got, msg) {
		return fmt.Errorf("connection %d: echoed %d of %d bytes, %v", i, len(got), len(msg), err)
	}
	out.echoed.Add(1)
	return nil
}

// churn makes n connections from 64 workers.
func churn(t *testing.T, s *synack.Stack, first, n int, out *churnOutcomes) {
	t.Helper()
	var wg sync.WaitGroup
	next := atomic.Int64{}
	next.Store(int64(first))
	errs := make(chan error, 64)
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= first+n {
					return
				}
				if err := churnOne(context.Background(), s, i, out); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	// A connection that stalls with no timer running leaves every
	// goroutine blocked, which synctest reports as a deadlock.
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// heapInUse is the live heap after two collections (the second frees what
// sync.Pools kept through the first).
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestChurn opens, uses and closes churnSize connections through the
// public API (echoed, aborted, refused and timed out ones) over a faulty
// link, three times, and checks that the third round leaves goroutines,
// heap, timers and tables where the second left them: nothing leaks per
// connection.
func TestChurn(t *testing.T) {
	n := churnSize(t)
	synctest.Test(t, func(t *testing.T) {
		cs, ss := churnStacks(t)
		ln, err := ss.Listen("tcp", ":7")
		if err != nil {
			t.Fatal(err)
		}
		var serving sync.WaitGroup
		serving.Add(1)
		go churnEcho(ln, &serving)
		var out churnOutcomes
		drain := func() {
			time.Sleep(2 * time.Minute) // past TIME_WAIT (60 s), SYN timeouts and keep-alives
			synctest.Wait()
		}
		// Two rounds grow the tables, pools and maps (which never shrink)
		// to what the churn needs, whatever the peaks of either; what a
		// third round of the same size adds to the heap would be a leak.
		churn(t, cs, 0, n, &out)
		drain()
		churn(t, cs, n, n, &out)
		drain()
		baseGoroutines, baseHeap := bubbleGoroutines(), heapInUse()
		churn(t, cs, 2*n, n, &out)
		drain()
		goroutines, heap := bubbleGoroutines(), heapInUse()
		for _, s := range []*synack.Stack{cs, ss} {
			if c := s.Census(); c != (stack.Census{Listeners: c.Listeners}) {
				t.Errorf("%v holds %+v after the churn", s.Host().Name(), c)
			}
		}
		grown := int64(heap) - int64(baseHeap)
		t.Logf("3 x %d connections: %d echoed, %d aborted, %d refused, %d timed out; over the third round goroutines %d -> %d, heap %d -> %d bytes (%+d, %.2f B per connection)",
			n, out.echoed.Load(), out.aborted.Load(), out.refused.Load(), out.timedOut.Load(), baseGoroutines, goroutines, baseHeap, heap, grown, float64(grown)/float64(n))
		if goroutines != baseGoroutines {
			t.Errorf("goroutines: %d before the churn, %d after", baseGoroutines, goroutines)
		}
		// Per connection nothing may stay: beyond 256 KiB of noise (1 MiB
		// under the race detector, whose sync.Pools drop what they are
		// given), one byte per connection.
		noise := int64(256 << 10)
		if raceEnabled {
			noise = 1 << 20
		}
		if grown > noise+int64(n) {
			t.Errorf("the heap grew by %d bytes over %d connections", grown, n)
		}
		if out.refused.Load() == 0 || out.timedOut.Load() == 0 || out.aborted.Load() == 0 {
			t.Errorf("the churn missed a kind of ending: %+v", &out)
		}
		ln.Close()
		serving.Wait()
		cs.Close()
		ss.Close()
	})
}
