package bench

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// concurrentFlows is the number of connections BenchmarkFlows runs at once.
const concurrentFlows = 100

// BenchmarkFlows runs concurrentFlows bulk transfers at once over one link
// at MTU 1500, SYNACK_BENCH_BYTES (default 1 GiB) in all, an equal share
// each. It reports the aggregate Gbit/s (all bytes over the time the last
// flow finished) and Jain's fairness index of the flows' own throughputs
// (share over the time each took): 1 when all flows got the same rate,
// 1/n when one flow got everything.
func BenchmarkFlows(b *testing.B) {
	for _, s := range []setup{
		{"synack", newSynackPair(1500)},
		{"gvisor", newGVisorPair(1500)},
		{"kernel", newKernelLoopbackMTU(1500)},
	} {
		run(b, s.name, func(b *testing.B) { benchFlows(b, s.new(b)) })
	}
}

func benchFlows(b *testing.B, n network) {
	defer n.Close()
	share := bulkBytes(b) / concurrentFlows
	share -= share % 1024
	if share == 0 {
		share = 1024
	}
	clients := make([]net.Conn, concurrentFlows)
	servers := make([]net.Conn, concurrentFlows)
	for i := range clients {
		clients[i], servers[i] = connect(b, n)
	}
	defer func() {
		for i := range clients {
			clients[i].Close()
			servers[i].Close()
		}
	}()
	rc, countsRetransmits := n.(retransmitCounter)
	var retrans0 uint64
	if countsRetransmits {
		retrans0 = rc.Retransmits()
	}
	chunk := make([]byte, 64<<10)
	b.SetBytes(share * concurrentFlows)
	b.ResetTimer()
	var elapsed time.Duration
	var fairness float64
	for range b.N {
		took := make([]time.Duration, concurrentFlows)
		errs := make(chan error, 2*concurrentFlows)
		var wg sync.WaitGroup
		start := time.Now()
		for i := range clients {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for sent := int64(0); sent < share; {
					k, err := clients[i].Write(chunk[:min(int64(len(chunk)), share-sent)])
					sent += int64(k)
					if err != nil {
						errs <- err
						return
					}
				}
			}()
			go func() {
				defer wg.Done()
				buf := make([]byte, 64<<10)
				var got int64
				var err error
				for got < share && err == nil {
					var k int
					k, err = io.ReadFull(servers[i], buf[:min(int64(len(buf)), share-got)])
					got += int64(k)
				}
				took[i] = time.Since(start)
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		elapsed += time.Since(start)
		close(errs)
		if err := <-errs; err != nil {
			b.Fatalf("flow: %v", err)
		}
		fairness += jain(share, took)
	}
	b.StopTimer()
	moved := float64(b.N) * float64(share*concurrentFlows)
	b.ReportMetric(moved*8/elapsed.Seconds()/1e9, "Gbit/s")
	b.ReportMetric(fairness/float64(b.N), "jain")
	if countsRetransmits {
		b.ReportMetric(float64(rc.Retransmits()-retrans0)/float64(b.N), "retrans/op")
	}
}

// jain returns Jain's fairness index, (Σx)² / (n·Σx²), of the throughputs
// of flows that each moved share bytes in the times took.
func jain(share int64, took []time.Duration) float64 {
	var sum, sumSq float64
	for _, t := range took {
		x := float64(share) / t.Seconds()
		sum += x
		sumSq += x * x
	}
	return sum * sum / (float64(len(took)) * sumSq)
}
