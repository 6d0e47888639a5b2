package synack_test

import (
	"bytes"
	"io"
	"net"
	"net/netip"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// gate is a link that drops the outbound packets its rule picks: the
// TCP segments from or to one of the ports in ports that carry none of
// the flags in keep.
type gate struct {
	link.Link
	mu    sync.Mutex
	ports map[uint16]wire.TCPFlags // port -> flags a segment must have to pass
}

func newGate(l link.Link) *gate { return &gate{Link: l, ports: map[uint16]wire.TCPFlags{}} }

// block drops the segments of port that carry none of keep.
func (g *gate) block(port uint16, keep wire.TCPFlags) {
	g.mu.Lock()
	g.ports[port] = keep
	g.mu.Unlock()
}

func (g *gate) WritePacket(pkt []byte) error {
	ip := wire.IPv4(pkt)
	if ip.Validate() == nil && ip.Protocol() == wire.ProtoTCP {
		seg := wire.TCP(ip.Payload())
		g.mu.Lock()
		keep, ok := g.ports[seg.SrcPort()]
		if !ok {
			keep, ok = g.ports[seg.DstPort()]
		}
		g.mu.Unlock()
		if ok && seg.Flags()&keep == 0 {
			return nil
		}
	}
	return g.Link.WritePacket(pkt)
}

// bubbleGoroutines counts the goroutines of the calling test's synctest
// bubble, by their headers in a dump of all goroutines: unlike
// runtime.NumGoroutine, it does not count goroutines of other tests that
// are still ending.
func bubbleGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	return bytes.Count(buf, []byte(", synctest bubble "))
}

// TestStackCloseInEveryState closes two stacks whose connections are in
// every state of the diagram (LISTEN, SYN_SENT, SYN_RCVD, ESTABLISHED,
// FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK, TIME_WAIT, and
// CLOSED ones gone from the table) while their users block in Accept,
// Dial and Read: every call returns, and no goroutine is left behind.
func TestStackCloseInEveryState(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := bubbleGoroutines()
		a, b := pipe.NewWithFaults(1500, 1024, clock.NewReal(), netem.Impairment{Delay: 10 * time.Millisecond})
		ga, gb := newGate(a), newGate(b)
		mk := func(name string, l link.Link, addr string) *synack.Stack {
			s, err := synack.New(synack.Config{Name: name, Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}})
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		cs, ss := mk("client", ga, "10.0.0.1/24"), mk("server", gb, "10.0.0.2/24")
		ln, err := ss.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 16)
		var users sync.WaitGroup
		var returned atomic.Int32
		users.Add(1)
		go func() {
			defer users.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					returned.Add(1)
					return
				}
				accepted <- c
			}
		}()
		// pair dials from local port p and returns both ends, with a
		// reader blocked on each that the stacks' Close must release.
		pair := func(p uint16) (client, server net.Conn) {
			c, err := cs.DialTCP(t.Context(), "tcp", netip.AddrPortFrom(netip.MustParseAddr("10.0.0.1"), p), netip.MustParseAddrPort("10.0.0.2:80"))
			if err != nil {
				t.Fatalf("dial from %d: %v", p, err)
			}
			return c, <-accepted
		}
		blockRead := func(c net.Conn) {
			users.Add(1)
			go func() { defer users.Done(); io.Copy(io.Discard, c); returned.Add(1) }()
		}
		c1, s1 := pair(40001) // ESTABLISHED both ways
		c2, s2 := pair(40002) // FIN_WAIT_2 / CLOSE_WAIT
		c2.(*synack.Conn).CloseWrite()
		c3, s3 := pair(40003) // FIN_WAIT_1 / CLOSE_WAIT: the server's ACK of the FIN is lost
		gb.block(40003, wire.FlagFIN|wire.FlagSYN|wire.FlagRST)
		c3.(*synack.Conn).CloseWrite()
		c4, s4 := pair(40004) // FIN_WAIT_2 / LAST_ACK: the client's ACK of the server's FIN is lost
		c4.(*synack.Conn).CloseWrite()
		c5, s5 := pair(40005) // CLOSING both ways: FINs cross, their ACKs are lost
		c6, s6 := pair(40006) // TIME_WAIT / CLOSED
		c7, s7 := pair(40007) // CLOSED both ways after an abort
		time.Sleep(100 * time.Millisecond)
		ga.block(40004, wire.FlagFIN|wire.FlagSYN|wire.FlagRST)
		s4.Close()
		ga.block(40005, wire.FlagFIN|wire.FlagSYN|wire.FlagRST)
		gb.block(40005, wire.FlagFIN|wire.FlagSYN|wire.FlagRST)
		c5.Close()
		s5.Close()
		c6.Close()
		c7.(*synack.Conn).SetLinger(0)
		c7.Close()
		s7.Close()
		// SYN_RCVD at the server: the handshake's last ACK is lost (the
		// client's side, ESTABLISHED, waits in Read).
		ga.block(40008, wire.FlagSYN|wire.FlagFIN|wire.FlagRST)
		c8, err := cs.DialTCP(t.Context(), "tcp", netip.MustParseAddrPort("10.0.0.1:40008"), netip.MustParseAddrPort("10.0.0.2:80"))
		if err != nil {
			t.Fatal(err)
		}
		// SYN_SENT: a dial to an address nobody answers.
		users.Add(1)
		go func() {
			defer users.Done()
			cs.Dial("tcp", "10.0.0.9:80")
			returned.Add(1)
		}()
		for _, c := range []net.Conn{c1, s1, c2, s2, c3, s3, c4, s6, c8} {
			blockRead(c)
		}
		time.Sleep(200 * time.Millisecond)
		synctest.Wait()
		want := map[tcp.State]bool{tcp.Listen: false, tcp.SynSent: false, tcp.SynReceived: false, tcp.Established: false, tcp.FinWait1: false,
			tcp.FinWait2: false, tcp.CloseWait: false, tcp.Closing: false, tcp.LastAck: false, tcp.TimeWait: false}
		for _, s := range []*synack.Stack{cs, ss} {
			c := s.Census()
			for st, n := range c.States {
				if n > 0 {
					want[tcp.State(st)] = true
				}
			}
			if c.Listeners > 0 {
				want[tcp.Listen] = true
			}
		}
		for st, seen := range want {
			if !seen {
				t.Errorf("no connection in %v before the stacks close", st)
			}
		}
		cs.Close()
		ss.Close()
		users.Wait()
		synctest.Wait()
		if got := returned.Load(); got != 11 {
			t.Errorf("%d blocked calls returned, want 11", got)
		}
		if after := bubbleGoroutines(); after != before {
			t.Errorf("goroutines: %d before the stacks, %d after they closed", before, after)
		}
	})
}
