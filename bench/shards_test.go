package bench

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link/pipe"
)

// BenchmarkShards measures what spreading a stack over event loops buys
// (synack.Config.Shards): both ends are synack stacks of 1 or 2 shards
// each on one link/pipe, in one process, so the two stacks' loops, the
// two link readers and the applications share the machine's cores. The
// flows case is BenchmarkFlows (100 bulk flows, SYNACK_BENCH_BYTES in
// all), with the process's CPU time per GiB moved; the connect case is
// BenchmarkConnectConcurrent (64 dialers, SYNACK_BENCH_CONNS connections
// of one request and one answer each), with the CPU time per connection.
// CPU time is the figure to compare on a shared machine; the rates need a
// quiet one.
func BenchmarkShards(b *testing.B) {
	for _, n := range []int{1, 2} {
		run(b, fmt.Sprintf("flows%d/shards=%d", concurrentFlows, n), func(b *testing.B) {
			cpu0 := cpuTime(b)
			benchFlows(b, newShardedPair(1500, n)(b))
			moved := float64(b.N) * float64(bulkBytes(b)) / (1 << 30)
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()/moved, "CPU-s/GiB")
		})
		run(b, fmt.Sprintf("connect%d/shards=%d", concurrentDialers, n), func(b *testing.B) {
			cpu0 := cpuTime(b)
			benchConnectConcurrent(b, newShardedPair(1500, n)(b))
			conns := float64(b.N) * float64(envInt(b, "SYNACK_BENCH_CONNS", 10_000))
			b.ReportMetric((cpuTime(b)-cpu0).Seconds()*1e6/conns, "CPU-µs/conn")
		})
	}
}

// newShardedPair is newSynackPair with n shards on each stack.
func newShardedPair(mtu, n int) func(tb testing.TB) network {
	return func(tb testing.TB) network {
		ls, lc := pipe.New(mtu, linkQueueLen)
		host := func(name string, cfg synack.Config) *synackHost {
			cfg.Name, cfg.Shards = name, n
			st, err := synack.New(cfg)
			if err != nil {
				tb.Fatalf("synack host %s: %v", name, err)
			}
			return &synackHost{st: st}
		}
		return &synackPair{
			server: host("server", synack.Config{Links: []synack.Link{{Link: ls, Addrs: []netip.Prefix{serverAddr}}}}),
			client: host("client", synack.Config{Links: []synack.Link{{Link: lc, Addrs: []netip.Prefix{clientAddr}}}}),
		}
	}
}
