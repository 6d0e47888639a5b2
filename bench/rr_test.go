package bench

import (
	"io"
	"testing"
	"time"
)

// BenchmarkRequestResponse bounces one byte between client and server over
// one connection, SYNACK_BENCH_RR round trips (default 20,000) per
// iteration, and reports round trips per second: the latency of a wake-up
// through each stack and its link, not bandwidth.
func BenchmarkRequestResponse(b *testing.B) {
	for _, s := range []setup{
		{"synack", newSynackPair(1500)},
		{"gvisor", newGVisorPair(1500)},
		{"kernel", newKernelLoopback},
	} {
		run(b, s.name, func(b *testing.B) { benchRequestResponse(b, s.new(b)) })
	}
}

func benchRequestResponse(b *testing.B, n network) {
	defer n.Close()
	rounds := envInt(b, "SYNACK_BENCH_RR", 20_000)
	client, server := connect(b, n)
	defer client.Close()
	defer server.Close()
	echoed := make(chan error, 1)
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := io.ReadFull(server, buf); err != nil {
				if err != io.EOF {
					echoed <- err
				}
				close(echoed)
				return
			}
			if _, err := server.Write(buf); err != nil {
				echoed <- err
				return
			}
		}
	}()
	req, resp := []byte{'x'}, make([]byte, 1)
	b.ResetTimer()
	start := time.Now()
	for range b.N * rounds {
		if _, err := client.Write(req); err != nil {
			b.Fatalf("request: %v", err)
		}
		if _, err := io.ReadFull(client, resp); err != nil || resp[0] != 'x' {
			b.Fatalf("response %q: %v", resp, err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	client.Close()
	if err := <-echoed; err != nil {
		b.Fatalf("server: %v", err)
	}
	b.ReportMetric(float64(b.N*rounds)/elapsed.Seconds(), "rt/s")
	b.ReportMetric(float64(elapsed.Microseconds())/float64(b.N*rounds), "us/rt")
}
