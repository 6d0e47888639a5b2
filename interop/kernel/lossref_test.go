//go:build linux

package kernel

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/internal/netns"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/link/tun"
	"github.com/synack-net/synack/sim"
)

// BenchmarkKernelLossRecovery puts sim's BenchmarkLossRecovery beside
// the Linux kernel: the same 4 MiB, the same paths (5 ms each way, 1 ms
// of jitter, the same loss and reordering in both directions, impaired
// by link/netem as the simulation's are), sent by the kernel or by
// synack to a kernel receiver in a namespace on a TUN device (no
// offload, MTU 1500). The kernel sender sits in a namespace of its own
// on a second TUN device; synack's is on the pipe itself. A relay in this
// process carries the packets across a pipe.NewWithFaults on the wall
// clock (the kernel has no virtual time, and this machine's has no
// sch_netem). Each iteration is one transfer, from connect to the
// receiver's EOF, with each sender's defaults (the kernel's: CUBIC, SACK,
// timestamps, RACK-TLP), but for the kernel's congestion control, CUBIC
// as synack's default, or BBR (loss is not its signal); the RTOs, retransmitted segments and tail loss
// probes are the sender's TcpExtTCPTimeouts, TcpRetransSegs and
// TcpExtTCPLossProbes. About three minutes at 20 transfers a case:
//
//	go test ./interop/kernel -run '^$' -bench KernelLossRecovery -benchtime=20x
func BenchmarkKernelLossRecovery(b *testing.B) {
	for _, c := range sim.RecoveryPaths {
		for _, sender := range []string{"kernel-cubic", "kernel-bbr", "synack"} {
			b.Run(c.Name+"/"+sender, func(b *testing.B) {
				w := newLossyPath(b, c.Impairment, strings.TrimPrefix(sender, "kernel-"))
				data := make([]byte, 4<<20)
				rand.Read(data)
				before := w.counters(b)
				var total time.Duration
				for range b.N {
					total += w.transfer(b, data)
				}
				after := w.counters(b)
				n := float64(b.N)
				b.ReportMetric(total.Seconds()/n, "wall-s/transfer")
				b.ReportMetric(float64(after.timeouts-before.timeouts)/n, "RTOs/transfer")
				b.ReportMetric(float64(after.retrans-before.retrans)/n, "retrans/transfer")
				b.ReportMetric(float64(after.probes-before.probes)/n, "TLPs/transfer")
			})
		}
	}
}

// The sender's and the receiver's addresses.
var (
	senderPrefix   = netip.MustParsePrefix("10.97.0.1/24")
	receiverPrefix = netip.MustParsePrefix("10.97.0.2/24")
)

// lossyPath is a sender, the kernel's or synack's, joined to a kernel
// receiver through an impaired pipe.
type lossyPath struct {
	kernel *kernelNS        // the kernel sender, or nil
	cc     string           // the kernel sender's congestion control
	st     *synack.Stack    // the synack sender, or nil
	ln     *net.TCPListener // the receiver's
}

// kernelNS is one kernel's namespace and its TUN device.
type kernelNS struct {
	ns  *netns.NS
	dev *tun.Device
}

// newLossyPath makes the namespaces and the sender: synack's for "synack",
// else the kernel's with that congestion control; it starts the relays,
// and all of it goes when b ends.
func newLossyPath(b *testing.B, imp netem.Impairment, sender string) *lossyPath {
	b.Helper()
	w := &lossyPath{}
	r := newKernelNS(b, receiverPrefix)
	clk := clock.NewReal()
	pa, pb := pipe.NewWithFaults(1500, 1024, clk, imp)
	b.Cleanup(func() { pa.Close(); pb.Close() })
	hops := [][2]link.Link{{pb, r.dev}, {r.dev, pb}}
	if sender == "synack" {
		st, err := synack.New(synack.Config{Name: "sender", Clock: clk,
			Links: []synack.Link{{Link: pa, Addrs: []netip.Prefix{senderPrefix}}}})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		w.st = st
	} else {
		w.kernel = newKernelNS(b, senderPrefix)
		w.cc = sender
		hops = append(hops, [2]link.Link{w.kernel.dev, pa}, [2]link.Link{pa, w.kernel.dev})
	}
	for _, hop := range hops {
		go relay(hop[0], hop[1])
	}
	var ln *net.TCPListener
	if err := r.ns.Do(func() (err error) {
		ln, err = net.ListenTCP("tcp4", net.TCPAddrFromAddrPort(netip.AddrPortFrom(receiverPrefix.Addr(), 0)))
		return err
	}); err != nil {
		b.Fatalf("listen: %v", err)
	}
	b.Cleanup(func() { ln.Close() })
	w.ln = ln
	return w
}

// newKernelNS makes a namespace with a plain TUN device holding p.
func newKernelNS(b *testing.B, p netip.Prefix) *kernelNS {
	ns := netns.New(b)
	ns.MustRun(b, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
	var dev *tun.Device
	if err := ns.Do(func() (err error) {
		dev, err = tun.OpenConfig(tun.Config{Name: tunName, MTU: 1500})
		return err
	}); err != nil {
		b.Fatalf("tun.OpenConfig in %s: %v", ns.Name(), err)
	}
	b.Cleanup(func() { dev.Close() })
	ns.MustIP(b, "addr", "add", p.String(), "dev", tunName)
	return &kernelNS{ns: ns, dev: dev}
}

// relay copies packets from one link to the other until either closes.
func relay(from, to link.Link) {
	buf := make([]byte, 1<<16)
	for {
		n, err := from.ReadPacket(buf)
		if err != nil {
			return
		}
		if to.WritePacket(buf[:n]) != nil {
			return
		}
	}
}

// transfer sends data from the sender to the receiver and returns the
// time from connect to the receiver's EOF.
func (w *lossyPath) transfer(b *testing.B, data []byte) time.Duration {
	b.Helper()
	start := time.Now()
	deadline := start.Add(2 * time.Minute)
	got := make(chan error, 1)
	go func() {
		c, err := w.ln.AcceptTCP()
		if err != nil {
			got <- err
			return
		}
		defer c.Close()
		c.SetDeadline(deadline)
		n, err := io.Copy(io.Discard, c)
		if err == nil && n != int64(len(data)) {
			err = errors.New("received " + strconv.FormatInt(n, 10) + " bytes")
		}
		got <- err
	}()
	c, err := w.dial()
	if err != nil {
		b.Fatalf("dial: %v", err)
	}
	c.SetDeadline(deadline)
	if _, err := c.Write(data); err != nil {
		b.Fatalf("write: %v", err)
	}
	c.Close()
	if err := <-got; err != nil {
		b.Fatalf("receive: %v", err)
	}
	return time.Since(start)
}

// dial connects the sender to the receiver.
func (w *lossyPath) dial() (net.Conn, error) {
	if w.st != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return w.st.DialContext(ctx, "tcp", w.ln.Addr().String())
	}
	var c net.Conn
	err := w.kernel.ns.Do(func() (err error) {
		// TCP_CONGESTION on the socket, as root may for any algorithm
		// the kernel has, allowed to others or not.
		d := net.Dialer{Timeout: time.Minute, Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptString(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CONGESTION, w.cc)
			}); err != nil {
				return err
			}
			return serr
		}}
		c, err = d.Dial("tcp4", w.ln.Addr().String())
		return err
	})
	return c, err
}

// kernelCounters are the sender's counters the benchmark reports.
type kernelCounters struct{ timeouts, retrans, probes uint64 }

// counters reads the sender's counters.
func (w *lossyPath) counters(b *testing.B) kernelCounters {
	if w.st != nil {
		k := w.st.Counters()
		return kernelCounters{timeouts: k.TCPTimeouts, retrans: k.RetransSegs, probes: k.TCPLossProbes}
	}
	return w.kernel.counters(b)
}

// counters reads them with nstat (absolute values, history untouched).
func (k *kernelNS) counters(b *testing.B) kernelCounters {
	b.Helper()
	out := k.ns.MustRun(b, "nstat", "-asz", "TcpExtTCPTimeouts", "TcpRetransSegs", "TcpExtTCPLossProbes")
	var c kernelCounters
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "TcpExtTCPTimeouts":
			c.timeouts = v
		case "TcpRetransSegs":
			c.retrans = v
		case "TcpExtTCPLossProbes":
			c.probes = v
		}
	}
	return c
}
