package bench

import (
	"context"
	"fmt"
	"io"
	"net"
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
		run(b, s.name, func(b *testing.B) { benchConnect(b, s.new(b)) })
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

// concurrentDialers is the number of goroutines that dial at once in
// BenchmarkConnectConcurrent.
const concurrentDialers = 64

// BenchmarkConnectConcurrent runs concurrentDialers dialers at once, each
// connecting, sending one byte, reading the server's one-byte answer and
// closing, SYNACK_BENCH_CONNS connections (default 10,000) per iteration in
// all; the server answers each connection on a goroutine of its own, reads
// EOF and closes. It reports conn/s.
func BenchmarkConnectConcurrent(b *testing.B) {
	for _, s := range []setup{
		{"synack", newSynackPair(1500)},
		{"gvisor", newGVisorPair(1500)},
		{"kernel", newKernelLoopback},
	} {
		run(b, s.name, func(b *testing.B) { benchConnectConcurrent(b, s.new(b)) })
	}
}

func benchConnectConcurrent(b *testing.B, n network) {
	defer n.Close()
	conns := envInt(b, "SYNACK_BENCH_CONNS", 10_000)
	ln, err := n.Listen()
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	served := make(chan error, concurrentDialers)
	go func() {
		for {
			s, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { served <- answerOnce(s) }()
		}
	}()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		next := make(chan struct{}, conns)
		for range conns {
			next <- struct{}{}
		}
		close(next)
		dialed := make(chan error, concurrentDialers)
		for range concurrentDialers {
			go func() {
				for range next {
					if err := dialOnce(n, ln.Addr()); err != nil {
						dialed <- err
						return
					}
				}
				dialed <- nil
			}()
		}
		for range concurrentDialers {
			if err := <-dialed; err != nil {
				b.Fatalf("client: %v", err)
			}
		}
		for range conns {
			if err := <-served; err != nil {
				b.Fatalf("server: %v", err)
			}
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N*conns)/elapsed.Seconds(), "conn/s")
}

// dialOnce connects to addr, sends a byte, reads the one-byte answer and
// closes.
func dialOnce(n network, addr net.Addr) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := n.Dial(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := c.Write([]byte{'q'}); err != nil {
		return err
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil {
		return err
	}
	return nil
}

// answerOnce reads one byte from s, answers it, reads EOF and closes s.
func answerOnce(s net.Conn) error {
	defer s.Close()
	b := make([]byte, 1)
	if _, err := io.ReadFull(s, b); err != nil {
		return err
	}
	if _, err := s.Write(b); err != nil {
		return err
	}
	if k, err := s.Read(b); k != 0 || err != io.EOF {
		return fmt.Errorf("read after the answer = %d, %v; want EOF", k, err)
	}
	return nil
}
