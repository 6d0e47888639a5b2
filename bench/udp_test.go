package bench

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// udpNetwork is a network whose hosts also speak UDP.
type udpNetwork interface {
	network
	// ListenUDP opens a UDP socket on the server host at an ephemeral port.
	ListenUDP() (net.PacketConn, error)
	// DialUDP opens a UDP socket on the client host connected to addr,
	// the LocalAddr of a socket from ListenUDP.
	DialUDP(addr net.Addr) (net.Conn, error)
}

func (p *synackPair) ListenUDP() (net.PacketConn, error) {
	return p.server.st.ListenUDP("udp4", &net.UDPAddr{IP: serverAddr.Addr().AsSlice()})
}

func (p *synackPair) DialUDP(addr net.Addr) (net.Conn, error) {
	return p.client.st.DialUDP("udp4", nil, addr.(*net.UDPAddr))
}

func (p *gvisorPair) ListenUDP() (net.PacketConn, error) { return p.server.ListenUDP(0) }

func (p *gvisorPair) DialUDP(addr net.Addr) (net.Conn, error) {
	return p.client.DialUDP(addr.(*net.UDPAddr).AddrPort())
}

func (kernelLoopback) ListenUDP() (net.PacketConn, error) {
	return net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
}

func (kernelLoopback) DialUDP(addr net.Addr) (net.Conn, error) {
	return net.DialUDP("udp4", nil, addr.(*net.UDPAddr))
}

// udpBatch is the number of datagrams one iteration of BenchmarkUDP
// echoes; udpWindow bounds the echoes in flight, well below every queue
// on the way (the link's 1024 packets, each socket's receive buffer), so
// that nothing is dropped and a lost datagram fails the run.
const (
	udpBatch  = 20000
	udpWindow = 32
)

// BenchmarkUDP echoes udpBatch datagrams per iteration from a connected
// client socket through an echo server, with udpWindow in flight, and
// reports datagrams per second (both directions counted) and process CPU
// microseconds per datagram (both hosts together).
func BenchmarkUDP(b *testing.B) {
	for _, size := range []int{64, 1400} {
		for _, s := range []setup{
			{"gvisor", newGVisorPair(1500)},
			{"synack", newSynackPair(1500)},
			{"kernel", newKernelLoopback},
		} {
			b.Run(fmt.Sprintf("%s/%dB", s.name, size), func(b *testing.B) {
				benchUDP(b, s.new(b).(udpNetwork), size)
			})
		}
	}
}

func benchUDP(b *testing.B, n udpNetwork, size int) {
	defer n.Close()
	srv, err := n.ListenUDP()
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			if _, err := srv.WriteTo(buf[:k], from); err != nil {
				return
			}
		}
	}()
	c, err := n.DialUDP(srv.LocalAddr())
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	total := b.N * udpBatch
	c.SetDeadline(time.Now().Add(time.Duration(b.N) * time.Minute))
	tokens := make(chan struct{}, udpWindow)
	for range udpWindow {
		tokens <- struct{}{}
	}
	werr := make(chan error, 1)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime(b)
	go func() {
		msg := make([]byte, size)
		for range total {
			<-tokens
			if _, err := c.Write(msg); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	buf := make([]byte, 2048)
	for i := range total {
		if k, err := c.Read(buf); err != nil || k != size {
			b.Fatalf("echo %d of %d: %d bytes, %v", i, total, k, err)
		}
		tokens <- struct{}{}
	}
	elapsed, cpuUsed := time.Since(start), cpuTime(b)-cpu
	b.StopTimer()
	if err := <-werr; err != nil {
		b.Fatal(err)
	}
	datagrams := float64(2 * total)
	b.ReportMetric(datagrams/elapsed.Seconds(), "datagrams/s")
	b.ReportMetric(float64(cpuUsed.Microseconds())/datagrams, "CPU-µs/datagram")
}
