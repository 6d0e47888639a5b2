package bench

import (
	"context"
	"io"
	"net"
	"testing"
	"time"
)

// bulkChunk is the size of each Write and Read call.
const bulkChunk = 256 << 10

// coldBytes is the start of a transfer reported on its own: a fresh
// process pays for growing its heap and buffers there.
const coldBytes = 64 << 20

// bulkSetups are BenchmarkBulk's rows, named client-server where they mix
// implementations. synack runs on link/pipe, gVisor on its channel
// endpoints joined directly, the kernel on a namespace's loopback at the
// row's MTU. The rows marked on-pipe run gVisor through gvnet's copying
// adapter onto link/pipe: the mixed rows need it, and gvisor-on-pipe shows
// what it costs gVisor.
var bulkSetups = []setup{
	{"synack/mtu1500", newSynackPair(1500)},
	{"gvisor/mtu1500", newGVisorPair(1500)},
	{"kernel/mtu1500", newKernelLoopbackMTU(1500)},
	{"synack/mtu65535", newSynackPair(65535)},
	{"gvisor/mtu65535", newGVisorPair(65535)},
	{"kernel/mtu65535", newKernelLoopbackMTU(65535)},
	{"gvisor-on-pipe/mtu65535", newGVisorOnPipe(65535)},
	{"synack-gvisor-on-pipe/mtu1500", newSynackToGVisor(1500)},
	{"gvisor-synack-on-pipe/mtu1500", newGVisorToSynack(1500)},
}

// BenchmarkBulk sends SYNACK_BENCH_BYTES (default 1 GiB) per iteration from
// client to server over one connection and reports throughput in Gbit/s,
// process CPU seconds (user + system, both ends together) per GiB moved,
// the time the first 64 MiB took (cold-ms: in a fresh process, the cost of
// growing the heap) and the throughput after them (warm-Gbit/s), and, where
// the network counts them, TCP retransmissions per iteration (the in-memory
// links drop packets when their 1024-packet queue is full, as a NIC would).
// Run it with -benchtime=1x, once per process (cmd/benchtable does).
func BenchmarkBulk(b *testing.B) {
	for _, s := range bulkSetups {
		run(b, s.name, func(b *testing.B) { benchBulk(b, s.new(b)) })
	}
}

func benchBulk(b *testing.B, n network) {
	defer n.Close()
	total := bulkBytes(b)
	client, server := connect(b, n)
	defer client.Close()
	defer server.Close()

	// The reader reports the running total after every total bytes it
	// reads, and the moment the first coldBytes arrived.
	progress := make(chan error, 1)
	cold := make(chan time.Time, 1)
	go func() {
		buf := make([]byte, bulkChunk)
		var got, all int64
		for {
			k, err := server.Read(buf)
			got += int64(k)
			if all < coldBytes && all+int64(k) >= coldBytes {
				cold <- time.Now()
			}
			all += int64(k)
			if got >= total {
				got -= total
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
	b.SetBytes(total)
	cpu0 := cpuTime(b)
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		for sent := int64(0); sent < total; sent += bulkChunk {
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

	moved := float64(b.N) * float64(total)
	b.ReportMetric(moved*8/elapsed.Seconds()/1e9, "Gbit/s")
	b.ReportMetric(cpu.Seconds()/(moved/(1<<30)), "CPU-s/GiB")
	if moved > coldBytes {
		coldTime := (<-cold).Sub(start)
		b.ReportMetric(float64(coldTime.Microseconds())/1e3, "cold-ms")
		b.ReportMetric((moved-coldBytes)*8/(elapsed-coldTime).Seconds()/1e9, "warm-Gbit/s")
	}
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
