package bench

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"
)

// idleConns is the number of connections BenchmarkIdleConnMemory holds open.
const idleConns = 10_000

// BenchmarkIdleConnMemory establishes idleConns connections on a fresh
// network per iteration and leaves them idle in ESTABLISHED. It reports the
// growth of the Go heap (HeapAlloc after a GC) divided by the number of
// connections, as bytes per connection (both endpoints together, including
// the net.Conn wrappers) and bytes per endpoint (half of that). Its ns/op
// includes building and tearing down the hosts and is not a result.
func BenchmarkIdleConnMemory(b *testing.B) {
	for _, s := range []setup{
		{"gvisor", newGVisorPair(1500)},
		{"synack", newSynackPair(1500)},
	} {
		b.Run(s.name, func(b *testing.B) {
			var perConn float64
			for range b.N {
				perConn += idleConnBytes(b, s.new(b))
			}
			perConn /= float64(b.N)
			b.ReportMetric(perConn, "B/conn")
			b.ReportMetric(perConn/2, "B/endpoint")
		})
	}
}

// idleConnBytes returns the heap growth per connection of holding idleConns
// established connections on n, then closes n.
func idleConnBytes(b *testing.B, n network) float64 {
	defer n.Close()
	ln, err := n.Listen()
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	clients := make([]net.Conn, 0, idleConns)
	servers := make([]net.Conn, 0, idleConns)
	before := heapAlloc()
	for range idleConns {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := n.Dial(ctx, ln.Addr())
		cancel()
		if err != nil {
			b.Fatalf("dial after %d connections: %v", len(clients), err)
		}
		clients = append(clients, c)
		s, err := ln.Accept()
		if err != nil {
			b.Fatalf("accept after %d connections: %v", len(servers), err)
		}
		servers = append(servers, s)
	}
	after := heapAlloc()
	runtime.KeepAlive(clients)
	runtime.KeepAlive(servers)
	return float64(after-before) / idleConns
}

// heapAlloc returns the live heap after a full garbage collection.
func heapAlloc() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
