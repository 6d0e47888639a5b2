package bench

import (
	"context"
	"io"
	"testing"
	"time"
)

// connectBatch is the number of connections one iteration of
// BenchmarkConnect opens and closes, so that a few iterations suffice.
const connectBatch = 1000

// BenchmarkConnect opens and closes connectBatch connections per iteration,
// one after another: connect, accept, then a 4-way close in which the client
// closes first and the server closes after reading EOF. It reports conn/s.
func BenchmarkConnect(b *testing.B) {
	for _, s := range []setup{
		{"gvisor", newGVisorPair(1500)},
		{"synack", newSynackPair(1500)},
		{"kernel", newKernelLoopback},
	} {
		b.Run(s.name, func(b *testing.B) { benchConnect(b, s.new(b)) })
	}
}

func benchConnect(b *testing.B, n network) {
	defer n.Close()
	ln, err := n.Listen()
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	buf := make([]byte, 16)
	b.ResetTimer()
	start := time.Now()
	for range b.N * connectBatch {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := n.Dial(ctx, ln.Addr())
		cancel()
		if err != nil {
			b.Fatalf("dial: %v", err)
		}
		s, err := ln.Accept()
		if err != nil {
			b.Fatalf("accept: %v", err)
		}
		if err := c.Close(); err != nil {
			b.Fatalf("client close: %v", err)
		}
		if k, err := s.Read(buf); k != 0 || err != io.EOF {
			b.Fatalf("server read = %d, %v; want EOF", k, err)
		}
		if err := s.Close(); err != nil {
			b.Fatalf("server close: %v", err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer() // keep the teardown of the hosts out of ns/op
	b.ReportMetric(float64(b.N*connectBatch)/elapsed.Seconds(), "conn/s")
}
