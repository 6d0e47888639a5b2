package netstack

import (
	"context"
	"io"
	"net"
	"net/netip"
	"testing"
	"time"

	"golang.zx2c4.com/wireguard/tun"
)

// BenchmarkTunnel measures TCP throughput through two wireguard-go
// devices over UDP on 127.0.0.1: synack's netstack sending to
// wireguard-go's gVisor netstack and receiving from it, beside the
// all-gVisor pair (wireguard-go's netstack on both ends). One connection
// carries b.N writes of 64 KiB; the time runs until the receiver has
// read them all. cpu-ms/MB is the process's CPU time (both stacks and
// both wireguard-go devices) per MB carried.
//
//	go test -run '^$' -bench Tunnel -benchtime 256x
func BenchmarkTunnel(b *testing.B) {
	var drops func() (out, in uint64)
	synack := func(tb testing.TB, addrs []netip.Addr) (tun.Device, *peer) {
		dev, p, n := synackPeer(tb, addrs, nil)
		drops = n.Drops
		return dev, p
	}
	gvisor := func(tb testing.TB, addrs []netip.Addr) (tun.Device, *peer) {
		dev, p, _ := gvisorPeer(tb, addrs, nil)
		return dev, p
	}
	for _, c := range []struct {
		name           string
		client, server func(testing.TB, []netip.Addr) (tun.Device, *peer)
	}{
		{"synack-to-gvisor", synack, gvisor},
		{"gvisor-to-synack", gvisor, synack},
		{"gvisor-to-gvisor", gvisor, gvisor},
	} {
		b.Run(c.name, func(b *testing.B) {
			drops = nil
			devC, client := c.client(b, addrsA)
			devS, server := c.server(b, addrsB)
			connect(b, devC, devS, addrsA, addrsB)
			stream(b, client, server, addrsB[0])
			if drops != nil {
				out, _ := drops()
				b.ReportMetric(float64(out)/float64(b.N), "drops/op")
			}
		})
	}
}

// stream sends b.N chunks of 64 KiB from client to server's dst.
func stream(b *testing.B, client, server *peer, dst netip.Addr) {
	ln, err := server.listen(netip.AddrPortFrom(netip.Addr{}, 5001))
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	got := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		got <- n
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.dial(ctx, "tcp", net.JoinHostPort(dst.String(), "5001"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	b.SetBytes(int64(len(buf)))
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	for range b.N {
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
		b.Fatal(err)
	}
	if n := <-got; n != int64(b.N*len(buf)) {
		b.Fatalf("received %d bytes, sent %d", n, b.N*len(buf))
	}
	b.StopTimer()
	// CPU time per MB moved depends far less than MB/s on what else
	// the machine runs.
	if cpu1, ok := cpuTime(); ok && cpuOK {
		b.ReportMetric(float64(cpu1-cpu0)/float64(time.Millisecond)/(float64(b.N*len(buf))/1e6), "cpu-ms/MB")
	}
}
