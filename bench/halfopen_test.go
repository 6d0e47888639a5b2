package bench

import (
	"encoding/binary"
	"net"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"

	"github.com/synack-net/synack/bench/gvnet"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
)

// halfOpen is the number of SYNs BenchmarkHalfOpenHeap sends: under the
// 4096 half-open requests both stacks keep per listener by default before
// they answer with SYN cookies (and keep nothing).
const halfOpen = 4000

// BenchmarkHalfOpenHeap measures the heap a connection in SYN_RCVD costs a
// listening host: the benchmark writes halfOpen SYNs from as many source
// ports into the host's link (link/pipe for both stacks) and never answers
// the SYN-ACKs, and reports the growth of the Go heap divided by the SYNs.
// synack's own host-level figure, for 100,000 requests, is
// `go test ./stack -run '^$' -bench HalfOpenHeap -benchtime=1x`.
func BenchmarkHalfOpenHeap(b *testing.B) {
	for _, s := range []struct {
		name   string
		listen func(tb testing.TB, l link.Link) (net.Listener, func())
	}{
		{"synack", func(tb testing.TB, l link.Link) (net.Listener, func()) {
			h := newSynackHost(tb, "server", l, serverAddr)
			ln, err := h.listen()
			if err != nil {
				tb.Fatal(err)
			}
			return ln, func() { h.st.Close() }
		}},
		{"gvisor", func(tb testing.TB, l link.Link) (net.Listener, func()) {
			h, err := gvnet.New(l, serverAddr)
			if err != nil {
				tb.Fatal(err)
			}
			ln, err := h.Listen(0)
			if err != nil {
				tb.Fatal(err)
			}
			return ln, h.Close
		}},
	} {
		run(b, s.name, func(b *testing.B) {
			var perConn float64
			for range b.N {
				ls, raw := pipe.New(1500, linkQueueLen)
				ln, closeHost := s.listen(b, ls)
				perConn += halfOpenHeap(b, raw, ln.Addr().(*net.TCPAddr).AddrPort())
				ln.Close()
				closeHost()
				raw.Close()
			}
			b.ReportMetric(perConn/float64(b.N), "heap-B/half-open")
		})
	}
}

// halfOpenHeap writes halfOpen SYNs to server through raw, waiting for a
// SYN-ACK to each, and returns the heap growth per SYN after the first.
func halfOpenHeap(b *testing.B, raw link.Link, server netip.AddrPort) float64 {
	var answered atomic.Int64
	go func() {
		buf := make([]byte, raw.MTU())
		for {
			n, err := raw.ReadPacket(buf)
			if err != nil {
				return
			}
			if t := header.TCP(buf[header.IPv4MinimumSize:n]); n >= header.IPv4MinimumSize+header.TCPMinimumSize &&
				t.Flags() == header.TCPFlagSyn|header.TCPFlagAck {
				answered.Add(1)
			}
		}
	}()
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := raw.WritePacket(synPacket(clientAddr.Addr(), uint16(10000+i), server)); err != nil {
				b.Fatalf("write SYN: %v", err)
			}
		}
		deadline := time.Now().Add(30 * time.Second)
		for answered.Load() < int64(to) {
			if time.Now().After(deadline) {
				b.Fatalf("%d SYN-ACKs for %d SYNs", answered.Load(), to)
			}
			runtime.Gosched()
		}
	}
	// One SYN first, so that whatever a listener makes once exists.
	send(0, 1)
	before := heapAlloc()
	for from := 1; from < halfOpen; from += 256 {
		send(from, min(from+256, halfOpen))
	}
	after := heapAlloc()
	return float64(after-before) / (halfOpen - 1)
}

// synPacket returns an IPv4 SYN with an MSS option from src:port to dst.
func synPacket(src netip.Addr, port uint16, dst netip.AddrPort) []byte {
	const tcpLen = header.TCPMinimumSize + 4
	pkt := make([]byte, header.IPv4MinimumSize+tcpLen)
	s, d := tcpip.AddrFrom4(src.As4()), tcpip.AddrFrom4(dst.Addr().As4())
	ip := header.IPv4(pkt)
	ip.Encode(&header.IPv4Fields{
		TotalLength: uint16(len(pkt)),
		TTL:         64,
		Protocol:    uint8(header.TCPProtocolNumber),
		SrcAddr:     s,
		DstAddr:     d,
	})
	ip.SetChecksum(^ip.CalculateChecksum())
	t := header.TCP(pkt[header.IPv4MinimumSize:])
	t.Encode(&header.TCPFields{
		SrcPort:    port,
		DstPort:    dst.Port(),
		SeqNum:     uint32(port) << 16,
		DataOffset: tcpLen,
		Flags:      header.TCPFlagSyn,
		WindowSize: 65535,
	})
	opt := t[header.TCPMinimumSize:]
	opt[0], opt[1] = header.TCPOptionMSS, 4
	binary.BigEndian.PutUint16(opt[2:], 1460)
	t.SetChecksum(^t.CalculateChecksum(header.PseudoHeaderChecksum(header.TCPProtocolNumber, s, d, tcpLen)))
	return pkt
}
