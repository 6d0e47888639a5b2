package synack_test

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
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

// soakSize is how many connections TestSoak holds open at once:
// SYNACK_SOAK, or 1,000 under the race detector (which allows 8,128
// goroutines) and 10,000 without it.
func soakSize(t *testing.T) int {
	if v := os.Getenv("SYNACK_SOAK"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			t.Fatalf("SYNACK_SOAK=%q: want a positive count", v)
		}
		return n
	}
	if raceEnabled {
		return 1000
	}
	return 10000
}

// soakBytes is what each end of a soak connection sends.
const soakBytes = 4096

// soakStagger is how far apart the connections start their exchange:
// connection i at i×10 µs (100,000 connections over 1 s, at most about
// 3,000 packets in the link's 5 ms delay line, under its 8,192-packet
// queue). On virtual time identical connections started at one instant
// keep identical RTOs, so every retransmission round arrives at one
// instant too: 100,000 bursts of 3 segments into an 8,192-packet queue
// lost 97 % of every round, and about 1,000 server orphans gave up after
// their 8 retries (TCPAbortOnTimeout), as Linux's would; a real network's
// timer slop spreads such rounds out. The soak is about loss, corruption
// and reordering, not about that lockstep.
const soakStagger = 10 * time.Microsecond

// soakPattern is what connection i sends in direction dir.
func soakPattern(i, dir int) []byte {
	b := make([]byte, soakBytes)
	for k := range b {
		b[k] = byte(k*31 + i*7 + dir*101)
	}
	return b
}

// soakStacks joins two stacks, each with 16 addresses (so that the
// client has enough ephemeral ports), by a pipe that delays, jitters,
// loses, reorders, duplicates and corrupts packets.
func soakStacks(t *testing.T, n int) (client, server *synack.Stack) {
	a, b := pipe.NewWithFaults(1500, 8192, clock.NewReal(), netem.Impairment{
		Delay: 5 * time.Millisecond, Jitter: time.Millisecond, Loss: 0.01, Reorder: 0.02,
		ReorderDelay: 3 * time.Millisecond, Duplicate: 0.01, Corrupt: 0.005, QueueLimit: 8192,
	})
	cfg := tcp.DefaultConfig()
	cfg.SendBufferSize, cfg.ReceiveBufferSize = 16<<10, 16<<10
	mk := func(name string, l *pipe.Endpoint, first byte) *synack.Stack {
		var addrs []netip.Prefix
		for k := range byte(16) {
			addrs = append(addrs, netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, first, k + 1}), 16))
		}
		// Every connection closes at once: beyond MaxOrphans (65536, as
		// Linux's tcp_max_orphans on a small machine) the server would
		// reset the rest, as it should; the soak is about loss and
		// corruption, so it allows them all.
		host := stack.Config{MaxOrphans: max(n, 65536)}
		s, err := synack.New(synack.Config{Name: name, TCP: &cfg, Links: []synack.Link{{Link: l, Addrs: addrs}}, Host: host})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	return mk("client", a, 0), mk("server", b, 1)
}

// soakServe answers each connection: it reads the client's bytes to the
// end, checks them, sends its own and closes.
func soakServe(t *testing.T, ln net.Listener, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			got, err := io.ReadAll(c)
			var i int
			if _, perr := fmt.Sscanf(string(got[:min(len(got), 8)]), "%08d", &i); err != nil || perr != nil || !bytes.Equal(got[8:], soakPattern(i, 0)) {
				t.Errorf("server: %d bytes from %v, %v", len(got), c.RemoteAddr(), err)
				return
			}
			c.Write(soakPattern(i, 1))
		}()
	}
}

// TestSoak holds soakSize connections open at once over a faulty link,
// then has every one send 4 KiB each way, all within a short interval
// (soakStagger apart): every byte
// must arrive intact (checksums catch the corruption), every connection
// must close in order within 10 minutes of virtual time, and both stacks
// must drain to nothing.
func TestSoak(t *testing.T) {
	n := soakSize(t)
	synctest.Test(t, func(t *testing.T) {
		cs, ss := soakStacks(t, n)
		ln, err := ss.Listen("tcp", ":9")
		if err != nil {
			t.Fatal(err)
		}
		var serving sync.WaitGroup
		serving.Add(1)
		go soakServe(t, ln, &serving)
		synctest.Wait()
		baseGoroutines, baseHeap := bubbleGoroutines(), heapInUse()
		conns := make([]*synack.Conn, n)
		var dialing sync.WaitGroup
		for w := range 64 {
			dialing.Add(1)
			go func() {
				defer dialing.Done()
				for i := w; i < n; i += 64 {
					dst := fmt.Sprintf("10.0.1.%d:9", 1+i%16)
					local := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(1 + (i/16)%16)}), 0)
					c, err := cs.DialTCP(t.Context(), "tcp", local, netip.MustParseAddrPort(dst))
					if err != nil {
						t.Errorf("dial %d: %v", i, err)
						return
					}
					conns[i] = c
				}
			}()
		}
		dialing.Wait()
		if t.Failed() {
			return
		}
		start := time.Now()
		est := cs.Counters().CurrEstab
		openHeap := heapInUse()
		var talking sync.WaitGroup
		for i, c := range conns {
			talking.Add(1)
			go func() {
				defer talking.Done()
				time.Sleep(time.Duration(i) * soakStagger)
				go func() {
					c.Write(append([]byte(fmt.Sprintf("%08d", i)), soakPattern(i, 0)...))
					c.CloseWrite()
				}()
				got, err := io.ReadAll(c)
				c.Close()
				if err != nil || !bytes.Equal(got, soakPattern(i, 1)) {
					t.Errorf("client %d: %d bytes back, %v", i, len(got), err)
				}
			}()
		}
		talking.Wait()
		took := time.Since(start)
		time.Sleep(2 * time.Minute) // past TIME_WAIT
		synctest.Wait()
		clear(conns)
		goroutines, heap := bubbleGoroutines(), heapInUse()
		t.Logf("goroutines %d before, %d after; heap %d B before, %d B with all open (%.0f B per connection, both ends), %d B after",
			baseGoroutines, goroutines, baseHeap, openHeap, float64(int64(openHeap)-int64(baseHeap))/float64(n), heap)
		if goroutines != baseGoroutines {
			t.Errorf("goroutines: %d before the soak, %d after", baseGoroutines, goroutines)
		}
		for _, s := range []*synack.Stack{cs, ss} {
			if c := s.Census(); c != (stack.Census{Listeners: c.Listeners}) {
				t.Errorf("%v holds %+v after the soak", s.Host().Name(), c)
			}
		}
		k := cs.Counters()
		sk := ss.Counters()
		t.Logf("%d connections open at once (%d established); their exchange took %v of virtual time; %d segments retransmitted, %d dropped for bad checksums on the server; server memory pressure %d times, %d and %d segments dropped over the memory limit, %d orphans reset, %d connections given up on timeout (client %d), %d listen overflows, %d listen drops",
			n, est, took, k.RetransSegs, sk.Drops[stack.DropBadChecksum], sk.TCPMemoryPressures, sk.TCPRcvQDrop, sk.TCPOFODrop, sk.TCPAbortOnMemory, sk.TCPAbortOnTimeout, k.TCPAbortOnTimeout, sk.ListenOverflows, sk.ListenDrops)
		if took > 10*time.Minute {
			t.Errorf("the exchange took %v", took)
		}
		ln.Close()
		serving.Wait()
		cs.Close()
		ss.Close()
	})
}
