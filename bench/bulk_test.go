package bench

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// bulkBytes is what one iteration of BenchmarkBulk moves.
const bulkBytes = 64 << 20

// bulkChunk is the size of each Write and Read call.
const bulkChunk = 256 << 10

// BenchmarkBulk sends bulkBytes per iteration from client to server over one
// connection and reports throughput in Gbit/s and process CPU seconds (user +
// system, both ends together) per GiB moved, and, where the network counts
// them, TCP retransmissions per iteration (the in-memory link drops packets
// when its queue is full, as a NIC would). Rows are named client-server.
func BenchmarkBulk(b *testing.B) {
	for _, s := range []setup{
		{"gvisor-gvisor/mtu1500", newGVisorPair(1500)},
		{"gvisor-gvisor/mtu65535", newGVisorPair(65535)},
		{"synack-synack/mtu1500", newSynackPair(1500)},
		{"synack-synack/mtu65535", newSynackPair(65535)},
		{"synack-gvisor/mtu1500", newSynackToGVisor(1500)},
		{"gvisor-synack/mtu1500", newGVisorToSynack(1500)},
		{"kernel/loopback", newKernelLoopback},
	} {
		b.Run(s.name, func(b *testing.B) { benchBulk(b, s.new(b)) })
	}
}

func benchBulk(b *testing.B, n network) {
	defer n.Close()
	client, server := connect(b, n)
	defer client.Close()
	defer server.Close()

	// The reader reports the running total after every bulkBytes it reads.
	progress := make(chan error, 1)
	go func() {
		buf := make([]byte, bulkChunk)
		var total int64
		for {
			k, err := server.Read(buf)
			total += int64(k)
			if total >= bulkBytes {
				total -= bulkBytes
				progress <- nil
			}
			if err != nil {
				if err != io.EOF {
					progress <- err
				}
				return
			}
		}
	}()

	rc, countsRetransmits := n.(retransmitCounter)
	var retrans0 uint64
	if countsRetransmits {
		retrans0 = rc.Retransmits()
	}
	chunk := make([]byte, bulkChunk)
	for i := range chunk {
		chunk[i] = byte(i * 7)
	}
	b.SetBytes(bulkBytes)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for sent := 0; sent < bulkBytes; sent += bulkChunk {
			if _, err := client.Write(chunk); err != nil {
				b.Fatalf("write: %v", err)
			}
		}
		if err := <-progress; err != nil {
			b.Fatalf("read: %v", err)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := cpuTime(b) - cpu0

	moved := float64(b.N) * bulkBytes
	b.ReportMetric(moved*8/elapsed.Seconds()/1e9, "Gbit/s")
	b.ReportMetric(cpu.Seconds()/(moved/(1<<30)), "CPU-s/GiB")
	if countsRetransmits {
		b.ReportMetric(float64(rc.Retransmits()-retrans0)/float64(b.N), "retrans/op")
	}
}

// connect opens one connection on n and returns both of its ends.
func connect(tb testing.TB, n network) (client, server net.Conn) {
	tb.Helper()
	ln, err := n.Listen()
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err = n.Dial(ctx, ln.Addr())
	if err != nil {
		tb.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		client.Close()
		tb.Fatal(err)
	}
	return client, server
}
