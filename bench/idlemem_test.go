package bench

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/synack-net/synack/link/pipe"
)

// connsPerClientAddr is how many connections BenchmarkIdleConnMemory opens
// from each client address, within the 28,232 ports of the ephemeral range
// (32768-60999) both stacks use.
const connsPerClientAddr = 20_000

// idleDialers is the number of goroutines that open the idle connections.
const idleDialers = 64

// idleNetwork is a network whose client host has many addresses.
type idleNetwork interface {
	network
	// DialFrom connects from an ephemeral port of the client's i-th
	// address to addr.
	DialFrom(ctx context.Context, i int, addr net.Addr) (net.Conn, error)
}

// diagnoser is implemented by networks that can say what their hosts
// counted, for a benchmark that fails.
type diagnoser interface{ diagnose() string }

// clientAddrN returns the client host's i-th address: 10.0.0.2, .3, ...
func clientAddrN(i int) netip.Prefix {
	a := clientAddr.Addr().As4()
	a[3] += byte(i)
	return netip.PrefixFrom(netip.AddrFrom4(a), clientAddr.Bits())
}

// BenchmarkIdleConnMemory establishes SYNACK_IDLE_CONNS connections
// (default 10,000; 1,000,000 fits synack in a few GiB) on a fresh network
// per iteration, from as many client addresses as their ports need, and
// leaves them idle in ESTABLISHED. Both ends live in this process. It
// reports the growth of the Go heap (HeapAlloc after a GC) and of the
// resident set per connection (both endpoints together, net.Conn wrappers
// included), the heap per endpoint (half of it), and the goroutines each
// connection added. Its ns/op includes building and tearing down the hosts
// and is not a result.
func BenchmarkIdleConnMemory(b *testing.B) {
	for _, s := range []struct {
		name string
		new  func(tb testing.TB, addrs int) idleNetwork
	}{
		{"synack", newSynackIdlePair},
		{"gvisor", newGVisorIdlePair},
	} {
		run(b, s.name, func(b *testing.B) {
			conns := envInt(b, "SYNACK_IDLE_CONNS", 10_000)
			addrs := (conns + connsPerClientAddr - 1) / connsPerClientAddr
			if addrs > 250 {
				b.Fatalf("SYNACK_IDLE_CONNS=%d needs more than 250 client addresses", conns)
			}
			var m idleMemory
			for range b.N {
				m = m.add(idleConnMemory(b, s.new(b, addrs), conns))
			}
			n := float64(b.N)
			b.ReportMetric(m.heap/n, "heap-B/conn")
			b.ReportMetric(m.heap/n/2, "heap-B/endpoint")
			b.ReportMetric(m.rss/n, "rss-B/conn")
			b.ReportMetric(m.goroutines/n, "goroutines/conn")
			b.ReportMetric(m.totalHeap/n/(1<<20), "heap-MiB")
		})
	}
}

// idleMemory is what holding idle connections cost, per connection except
// totalHeap.
type idleMemory struct{ heap, rss, goroutines, totalHeap float64 }

func (m idleMemory) add(o idleMemory) idleMemory {
	return idleMemory{m.heap + o.heap, m.rss + o.rss, m.goroutines + o.goroutines, m.totalHeap + o.totalHeap}
}

// idleConnMemory holds conns established connections on n and returns
// their cost, then closes n.
func idleConnMemory(b *testing.B, n idleNetwork, conns int) idleMemory {
	defer n.Close()
	ln, err := n.Listen()
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	clients := make([]net.Conn, conns)
	servers := make([]net.Conn, 0, conns)
	heap0, rss0, g0 := heapAlloc(), rss(), runtime.NumGoroutine()

	accepted := make(chan error, 1)
	go func() {
		for len(servers) < conns {
			s, err := ln.Accept()
			if err != nil {
				accepted <- fmt.Errorf("accept after %d connections: %w", len(servers), err)
				return
			}
			servers = append(servers, s)
		}
		accepted <- nil
	}()
	var wg sync.WaitGroup
	errs := make(chan error, idleDialers)
	for d := range idleDialers {
		wg.Go(func() {
			for i := d; i < conns; i += idleDialers {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				c, err := n.DialFrom(ctx, i/connsPerClientAddr, ln.Addr())
				cancel()
				if err != nil {
					errs <- fmt.Errorf("dial %d: %w", i, err)
					return
				}
				clients[i] = c
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		if d, ok := n.(diagnoser); ok {
			b.Logf("%s", d.diagnose())
		}
		b.Fatalf("%v (heap %d MiB)", err, (heapAlloc()-heap0)>>20)
	}
	if err := <-accepted; err != nil {
		b.Fatal(err)
	}
	heap1, rss1, g1 := heapAlloc(), rss(), runtime.NumGoroutine()
	runtime.KeepAlive(clients)
	runtime.KeepAlive(servers)
	c := float64(conns)
	return idleMemory{
		heap:       float64(heap1-heap0) / c,
		rss:        float64(rss1-rss0) / c,
		goroutines: float64(g1-g0) / c,
		totalHeap:  float64(heap1 - heap0),
	}
}

// heapAlloc returns the live heap after a full garbage collection.
func heapAlloc() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// synackIdlePair is a synack pair whose client has many addresses.
type synackIdlePair struct{ *synackPair }

func newSynackIdlePair(tb testing.TB, addrs int) idleNetwork {
	ls, lc := pipe.New(1500, linkQueueLen)
	p := &synackPair{server: newSynackHost(tb, "server", ls, serverAddr)}
	ps := make([]netip.Prefix, addrs)
	for i := range ps {
		ps[i] = clientAddrN(i)
	}
	p.client = newSynackHostAddrs(tb, "client", lc, ps)
	return synackIdlePair{p}
}

func (p synackIdlePair) DialFrom(ctx context.Context, i int, addr net.Addr) (net.Conn, error) {
	remote, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil, err
	}
	c, err := p.client.st.DialTCP(ctx, "tcp", netip.AddrPortFrom(clientAddrN(i).Addr(), 0), remote)
	if err != nil {
		return nil, err
	}
	// synack's Dial turns keep-alive on at 15 s, as Go's net does, and
	// gVisor's gonet does not: idle here means sending nothing. (A million
	// connections probing every 15 s are 67,000 probes and as many ACKs a
	// second, enough to overrun this link's queue and time dials out.)
	return c, c.SetKeepAlive(false)
}

func (p synackIdlePair) diagnose() string {
	return fmt.Sprintf("server counters %+v\nclient counters %+v", p.server.st.Counters(), p.client.st.Counters())
}

// gvisorIdlePair is a gVisor pair whose client has many addresses.
type gvisorIdlePair struct{ *gvisorPair }

func newGVisorIdlePair(tb testing.TB, addrs int) idleNetwork {
	p := newGVisorPair(1500)(tb).(*gvisorPair)
	for i := 1; i < addrs; i++ {
		if err := p.client.AddAddress(clientAddrN(i)); err != nil {
			p.Close()
			tb.Fatal(err)
		}
	}
	return gvisorIdlePair{p}
}

func (p gvisorIdlePair) DialFrom(ctx context.Context, i int, addr net.Addr) (net.Conn, error) {
	remote, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return nil, err
	}
	return p.client.DialFrom(ctx, clientAddrN(i).Addr(), remote)
}
