//go:build linux

package kernel

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/synack-net/synack/stack"
)

// The SYN flood: floodSYNs spoofed SYNs at floodRate a second, while
// floodClients kernel clients connect over the flood's length, to a
// listener with a backlog of floodBacklog; smaller by raceScale under the
// race detector.
const (
	floodSYNs    = 50000 / raceScale
	floodRate    = 10000 / raceScale
	floodClients = 1000 / raceScale
	floodBacklog = 128
)

// floodOutcome is what one flood run measured.
type floodOutcome struct {
	flood    floodResult
	ok       int // clients whose echo came back whole
	firstErr error
	peak     int // the most half-open connections sampled
	tunDrops int // packets the device's queue towards synack dropped
	// retrans is the segments the namespace's kernel retransmitted (its
	// Tcp RetransSegs), SYNs included.
	retrans int
	c       stack.Counters
}

// TestSynFlood: spoofed SYNs from random sources flood a listener while
// the kernel's clients connect. With the default SYN cookies (mode 1:
// once the SYN queue is full, as Linux's tcp_syncookies=1) at least 99%
// of the clients get through, the SYN queue never holds more than the
// backlog, and no cookie fails to check out (the flood sends no ACKs).
// With cookies off the flood fills the SYN queue with requests whose
// SYN-ACKs go nowhere, and the clients' SYNs are dropped: far fewer get
// through. The flood lasts floodSYNs/floodRate seconds (it stops by
// itself, at twice that at the latest) and the clients' dials are bounded
// by dialTimeout, so each run ends by itself.
func TestSynFlood(t *testing.T) {
	on := runFlood(t, stack.SynCookiesOnOverflow)
	t.Logf("cookies on: %d/%d clients; flood %d SYNs sent (%d refused) in %v; peak half-open %d; cookies sent %d, received %d, failed %d; ListenDrops %d, ListenOverflows %d",
		on.ok, floodClients, on.flood.sent, on.flood.refused, on.flood.took.Round(time.Millisecond), on.peak,
		on.c.SyncookiesSent, on.c.SyncookiesRecv, on.c.SyncookiesFailed, on.c.ListenDrops, on.c.ListenOverflows)
	t.Logf("cookies on: the device dropped %d packets, the kernel retransmitted %d segments; first error: %v", on.tunDrops, on.retrans, on.firstErr)
	if on.ok*100 < floodClients*99 {
		t.Errorf("cookies on: %d of %d clients got through, want at least 99%% (first error: %v)", on.ok, floodClients, on.firstErr)
	}
	// A client takes one cookie, and one more only for a SYN it
	// retransmitted: a SYN delayed in the flood past the client's whole
	// exchange draws a fresh cookie's SYN-ACK in the client's TIME_WAIT,
	// whose ACK then passes the check (the echo moved both sequence
	// numbers alike, and a cookie checks their difference; Linux's does
	// too).
	if on.c.SyncookiesSent == 0 || on.c.SyncookiesRecv > uint64(floodClients+on.retrans) {
		t.Errorf("cookies on: sent %d, received %d; want some sent, at most one taken per client and one per kernel retransmission (%d)",
			on.c.SyncookiesSent, on.c.SyncookiesRecv, on.retrans)
	}
	// The flood sends no ACKs, so a cookie fails only when a client's
	// handshake ACK was lost and a later segment (its FIN) came first:
	// only when the device dropped packets.
	if on.tunDrops == 0 && on.c.SyncookiesFailed != 0 {
		t.Errorf("cookies on: %d cookies failed with no packet lost", on.c.SyncookiesFailed)
	}
	if on.peak > floodBacklog {
		t.Errorf("cookies on: %d half-open connections, beyond the backlog of %d", on.peak, floodBacklog)
	}

	off := runFlood(t, stack.SynCookiesNever)
	t.Logf("cookies off: %d/%d clients; flood %d SYNs sent (%d refused) in %v; peak half-open %d; ListenDrops %d, ListenOverflows %d",
		off.ok, floodClients, off.flood.sent, off.flood.refused, off.flood.took.Round(time.Millisecond), off.peak,
		off.c.ListenDrops, off.c.ListenOverflows)
	t.Logf("cookies off: the device dropped %d packets; first error: %v", off.tunDrops, off.firstErr)
	if off.ok*10 > floodClients {
		t.Errorf("cookies off: %d of %d clients got through; a SYN queue full of spoofed requests should turn away nearly all", off.ok, floodClients)
	}
	if off.c.SyncookiesSent != 0 || off.c.ListenDrops == 0 {
		t.Errorf("cookies off: %d cookies sent, %d SYNs dropped; want none and some", off.c.SyncookiesSent, off.c.ListenDrops)
	}
	if off.peak > floodBacklog {
		t.Errorf("cookies off: %d half-open connections, beyond the backlog of %d", off.peak, floodBacklog)
	}
}

// runFlood floods a listener in a new namespace, with the SYN cookie mode
// given, while the kernel's clients connect to it one by one at even
// intervals over the flood's length, each echoing a message (echoOnce).
func runFlood(t *testing.T, cookies stack.SynCookieMode) floodOutcome {
	t.Helper()
	e := newEnvWith(t, envOptions{host: stack.Config{SynCookies: cookies}})
	// The device's queue towards synack (500 packets by default) would
	// overflow in the bursts of a 2-core machine and drop the clients'
	// packets with the flood's: the test is of synack's SYN queue, not
	// of the device's.
	e.ns.MustIP(t, "link", "set", tunName, "txqueuelen", "10000")
	ln := e.synackListen(floodBacklog)
	port := addrPort(ln.Addr()).Port()
	var served sync.WaitGroup
	var mu sync.Mutex
	var conns []io.Closer
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		served.Wait()
	})
	served.Go(func() {
		for {
			c, err := ln.AcceptTCP()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			served.Go(func() {
				c.SetDeadline(time.Now().Add(ioTimeout))
				io.Copy(c, c)
				c.Close()
			})
		}
	})
	f, err := newFlooder(e.ns, addrPort(ln.Addr()), uint64(cookies)+1)
	if err != nil {
		t.Fatalf("raw socket: %v", err)
	}
	defer f.close()

	var out floodOutcome
	stop := make(chan struct{})
	var sampled sync.WaitGroup
	sampled.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			out.peak = max(out.peak, ln.HalfOpen())
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})

	length := time.Duration(floodSYNs) * time.Second / floodRate
	var ok atomic.Int64
	var errOnce sync.Once
	var clients sync.WaitGroup
	for i := range floodClients {
		clients.Add(1)
		time.AfterFunc(time.Duration(i)*length/floodClients, func() {
			defer clients.Done()
			if err := echoOnce(func() (halfCloser, error) { return e.kernelDial(port) }, i); err != nil {
				errOnce.Do(func() { out.firstErr = err })
				return
			}
			ok.Add(1)
		})
	}
	out.flood, err = f.flood(floodSYNs, floodRate, 2*length)
	clients.Wait()
	close(stop)
	sampled.Wait()
	if err != nil {
		t.Fatalf("flood: %v", err)
	}
	out.ok = int(ok.Load())
	out.c = e.st.Counters()
	out.tunDrops = tunDrops(t, e)
	out.retrans = kernelRetransSegs(t, e)
	return out
}

// kernelRetransSegs returns the Tcp RetransSegs counter of the kernel in
// the test's namespace (its /proc/net/snmp, read from inside it).
func kernelRetransSegs(t *testing.T, e *env) int {
	t.Helper()
	var names []string
	for _, line := range strings.Split(e.ns.MustRun(t, "cat", "/proc/net/snmp"), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "Tcp:" {
			continue
		}
		if names == nil {
			names = fields
			continue
		}
		for i, name := range names {
			if name == "RetransSegs" && i < len(fields) {
				n, err := strconv.Atoi(fields[i])
				if err != nil {
					t.Fatalf("RetransSegs: %v", err)
				}
				return n
			}
		}
	}
	t.Fatal("no Tcp RetransSegs in the namespace's /proc/net/snmp")
	return 0
}

// tunDrops returns the packets the kernel dropped at the TUN device's
// queue towards synack (ip netns exec mounts the namespace's /sys).
func tunDrops(t *testing.T, e *env) int {
	t.Helper()
	out := e.ns.MustRun(t, "cat", "/sys/class/net/"+tunName+"/statistics/tx_dropped")
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("tx_dropped: %v", err)
	}
	return n
}
