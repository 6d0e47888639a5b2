package synack_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// shardedStack attaches a stack of n shards, with a fixed secret (so
// that where each tuple lands is the same on every run), to l.
func shardedStack(t *testing.T, name string, n int, l link.Link, addrs ...string) *synack.Stack {
	t.Helper()
	cfg := synack.Config{Name: name, Shards: n, Links: []synack.Link{{Link: l}}}
	for _, a := range addrs {
		cfg.Links[0].Addrs = append(cfg.Links[0].Addrs, netip.MustParsePrefix(a))
	}
	cfg.Host.Secret = [16]byte{byte(n), name[0]}
	s, err := synack.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if got := len(s.Shards()); got != n {
		t.Fatalf("%d shards, want %d", got, n)
	}
	return s
}

// shardedPair joins a client (10.0.0.1, fd00::1) of cn shards and a
// server (10.0.0.2, fd00::2) of sn shards by a pipe.
func shardedPair(t *testing.T, cn, sn int) (client, server *synack.Stack) {
	a, b := pipe.New(1500, 1024)
	return shardedStack(t, "client", cn, a, "10.0.0.1/24", "fd00::1/64"),
		shardedStack(t, "server", sn, b, "10.0.0.2/24", "fd00::2/64")
}

// everyShardHolds fails unless each shard of s holds a connection.
func everyShardHolds(t *testing.T, s *synack.Stack) {
	t.Helper()
	for i, h := range s.Shards() {
		if c := h.Census(); c.Conns == 0 {
			t.Errorf("%s shard %d holds no connection", h.Name(), i)
		}
	}
}

// TestShardsManyConnections: 64 connections, over both families, from a
// client of 2 or 4 shards to a server of 4 or 2: every shard of both
// stacks gets some, the counters and census of each stack are its
// shards' sums, the accepts take from every shard of the server's
// listener as each connection echoes its own message, and once all are
// closed and past TIME_WAIT no shard holds anything.
func TestShardsManyConnections(t *testing.T) {
	for _, n := range [][2]int{{2, 4}, {4, 2}} {
		t.Run(fmt.Sprintf("client=%d,server=%d", n[0], n[1]), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				cs, ss := shardedPair(t, n[0], n[1])
				ln, err := ss.Listen("tcp", ":7")
				if err != nil {
					t.Fatal(err)
				}
				go echo(ln)
				const conns = 64
				var cc []*synack.Conn
				for i := range conns {
					to := "10.0.0.2:7"
					if i%2 == 1 {
						to = "[fd00::2]:7"
					}
					c, err := cs.Dial("tcp", to)
					if err != nil {
						t.Fatal(err)
					}
					cc = append(cc, c)
				}
				synctest.Wait()
				everyShardHolds(t, cs)
				everyShardHolds(t, ss)
				if c := cs.Census(); c.Conns != conns || c.States[tcp.Established] != conns {
					t.Errorf("client census %d conns, %d established; want %d", c.Conns, c.States[tcp.Established], conns)
				}
				if c := ss.Census(); c.Conns != conns || c.Listeners != 1 {
					t.Errorf("server census %d conns, %d listeners; want %d, 1", c.Conns, c.Listeners, conns)
				}
				if k := cs.Counters(); k.ActiveOpens != conns || k.CurrEstab != conns {
					t.Errorf("client ActiveOpens %d CurrEstab %d, want %d", k.ActiveOpens, k.CurrEstab, conns)
				}
				if k := ss.Counters(); k.PassiveOpens != conns || k.CurrEstab != conns {
					t.Errorf("server PassiveOpens %d CurrEstab %d, want %d", k.PassiveOpens, k.CurrEstab, conns)
				}
				for i, c := range cc {
					echoRoundTrip(t, c, []byte(fmt.Sprintf("connection %d", i)))
					c.Close()
				}
				ln.Close()
				time.Sleep(2 * time.Minute) // past TIME_WAIT
				synctest.Wait()
				for _, s := range []*synack.Stack{cs, ss} {
					if c := s.Census(); c != (stack.Census{}) {
						t.Errorf("%+v left after the close", c)
					}
				}
			})
		})
	}
}

// TestShardsEphemeralPortsAreTheirShards: each shard picks ports whose
// tuple it owns, so a 4-tuple never repeats across shards even when the
// range is small enough that all of it is used: 16 ports, 16 connections
// to one peer, over 4 shards, then a 17th finds none.
func TestShardsEphemeralPortsAreTheirShards(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.New(1500, 1024)
		cfg := synack.Config{Name: "client", Shards: 4, Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}}}
		cfg.Host.EphemeralPortLow, cfg.Host.EphemeralPortHigh = 40000, 40015
		cs, err := synack.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		ss := shardedStack(t, "server", 2, b, "10.0.0.2/24")
		ln, err := ss.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		go echo(ln)
		ports := map[string]bool{}
		for range 16 {
			c, err := cs.Dial("tcp", "10.0.0.2:80")
			if err != nil {
				t.Fatal(err)
			}
			if ports[c.LocalAddr().String()] {
				t.Fatalf("port %v picked twice", c.LocalAddr())
			}
			ports[c.LocalAddr().String()] = true
		}
		everyShardHolds(t, cs)
		if _, err := cs.Dial("tcp", "10.0.0.2:80"); !errors.Is(err, syscall.EADDRNOTAVAIL) {
			t.Errorf("17th dial: %v, want EADDRNOTAVAIL", err)
		}
	})
}

// TestShardsICMPErrorReachesTheConnection: the ICMP port unreachable
// that answers each of 16 SYNs from a client of 4 shards is placed by
// the tuple it quotes, so it reaches the shard that holds the connection
// and fails the dial at once with ECONNREFUSED (on any other shard it
// would be ignored and the dial would time out after its SYN retries).
func TestShardsICMPErrorReachesTheConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, peer := pipe.New(1500, 1024)
		cs := shardedStack(t, "client", 4, a, "10.0.0.1/24")
		const dials = 16
		errs := make(chan error, dials)
		for i := range dials {
			go func() {
				_, err := cs.Dial("tcp", fmt.Sprintf("10.0.0.2:%d", 1000+i))
				errs <- err
			}()
		}
		// Read the SYNs before answering any, so that every dial is in
		// SYN_SENT on its shard.
		var syns [][]byte
		buf := make([]byte, 1500)
		for len(syns) < dials {
			n, err := peer.ReadPacket(buf)
			if err != nil {
				t.Fatal(err)
			}
			syns = append(syns, bytes.Clone(buf[:n]))
		}
		synctest.Wait()
		everyShardHolds(t, cs)
		start := time.Now()
		for _, syn := range syns {
			peer.WritePacket(portUnreachable(syn))
		}
		for range dials {
			if err := <-errs; !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("dial: %v, want ECONNREFUSED", err)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("the dials failed after %v, want at once", d)
		}
	})
}

// portUnreachable is the ICMP port unreachable (RFC 792) that 10.0.0.2
// sends about the IPv4 packet pkt, quoting all of it.
func portUnreachable(pkt []byte) []byte {
	ip := wire.IPv4(pkt)
	msg := make([]byte, wire.ICMPHeaderLen+len(pkt))
	wire.PutICMPv4(msg, 3, 3, 0, pkt)
	out := make([]byte, wire.IPv4MinHeaderLen+len(msg))
	wire.PutIPv4Header(out, ip.Dst(), ip.Src(), wire.ProtoICMPv4, 64, 1, len(msg))
	copy(out[wire.IPv4MinHeaderLen:], msg)
	return out
}

// TestShardsUDPAndPing: UDP sockets and ping sockets (on shard 0 of a
// sharded stack) exchange datagrams and echoes with another sharded
// stack, in both families.
func TestShardsUDPAndPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := shardedPair(t, 4, 2)
		srv, err := ss.ListenUDP("udp", &net.UDPAddr{Port: 53})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		go serveUDPEcho(srv)
		for _, to := range []string{"10.0.0.2:53", "[fd00::2]:53"} {
			c, err := cs.DialUDPAddrPort("udp", netip.AddrPort{}, netip.MustParseAddrPort(to))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 8 {
				msg := []byte(fmt.Sprintf("datagram %d", i))
				if _, err := c.Write(msg); err != nil {
					t.Fatal(err)
				}
				got := make([]byte, 100)
				n, err := c.Read(got)
				if err != nil || !bytes.Equal(got[:n], msg) {
					t.Fatalf("echo from %s: %q, %v", to, got[:n], err)
				}
			}
			c.Close()
		}
		for _, f := range []struct {
			network, target string
			v6              bool
		}{{"ping4", "10.0.0.2", false}, {"ping6", "fd00::2", true}} {
			c, err := cs.ListenPing(f.network, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.WriteTo(echoRequest(t, f.v6, 1, []byte("x")), &net.IPAddr{IP: net.ParseIP(f.target)}); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 1500)
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				t.Fatal(err)
			}
			if e := parseEchoReply(t, f.v6, buf[:n]); e.Seq != 1 {
				t.Errorf("%s: reply seq %d", f.network, e.Seq)
			}
			c.Close()
		}
		if k := cs.Counters(); k.UDPOutDatagrams != 16 || k.UDPInDatagrams != 16 || k.ICMPInEchoReps != 2 {
			t.Errorf("client UDP out %d in %d, echo replies %d; want 16, 16, 2", k.UDPOutDatagrams, k.UDPInDatagrams, k.ICMPInEchoReps)
		}
	})
}

// TestShardsAcceptQueueShared: the shards' accept queues count together
// against the listener's backlog, as one listen(2) socket's does: with a
// backlog of 1, of 8 handshakes spread over 4 shards one connection
// waits for Accept and the other final ACKs are dropped
// (ListenOverflows), whichever shard owns them, leaving those
// connections half-open until Accept makes room.
func TestShardsAcceptQueueShared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := shardedPair(t, 4, 4)
		ln, err := ss.ListenBacklog("tcp", "10.0.0.2:0", 1)
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		const dials = 8
		ctx, cancel := context.WithCancel(context.Background())
		dialed := make(chan net.Conn, dials)
		for range dials {
			go func() {
				c, _ := cs.DialContext(ctx, "tcp", addr)
				dialed <- c
			}()
		}
		// Before the clients' SYN retransmission, 1 s after their SYNs.
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		// Each of the other seven had its SYN or its final ACK dropped
		// (counted once or more, with what followed it).
		if p, k := ln.Pending(), ss.Counters(); p != 1 || k.ListenOverflows < dials-1 {
			t.Errorf("Pending %d, ListenOverflows %d; want 1 and at least %d", p, k.ListenOverflows, dials-1)
		}
		cancel()
		for range dials {
			if c := <-dialed; c != nil {
				c.Close()
			}
		}
	})
}

// TestShardsListen: a listener of a sharded stack takes port 0 as one
// port on every shard, conflicts as one, reports its queues summed over
// the shards, and once closed frees its address on all of them.
func TestShardsListen(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := shardedPair(t, 4, 4)
		ln, err := ss.ListenBacklog("tcp", "10.0.0.2:0", 64)
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if _, err := ss.Listen("tcp", addr); !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("second Listen on %s: %v, want EADDRINUSE", addr, err)
		}
		const conns = 16
		for range conns {
			c, err := cs.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
		}
		synctest.Wait()
		// The 16 wait, spread over the four shards' queues.
		if p, b := ln.Pending(), ln.Backlog(); p != conns || b != 64 {
			t.Errorf("Pending %d Backlog %d, want %d, 64", p, b, conns)
		}
		if s := ss.Sockets(); len(s) != 1+conns || s[0].SendQ != 64 || s[0].RecvQ != conns {
			t.Errorf("stack's listener row %+v (of %d rows), want Send-Q 64, Recv-Q %d", s[0], len(s), conns)
		}
		// Each shard's copy shows the backlog the copies share.
		for i, h := range ss.Shards() {
			if s := h.Sockets(); s[0].SendQ != 64 || s[0].RecvQ == 0 {
				t.Errorf("shard %d listener: Send-Q %d (want the shared 64), Recv-Q %d", i, s[0].SendQ, s[0].RecvQ)
			}
		}
		for range conns {
			c, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
		if p := ln.Pending(); p != 0 {
			t.Errorf("Pending %d after accepting all", p)
		}
		ln.Close()
		ln2, err := ss.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("Listen again after Close: %v", err)
		}
		ln2.Close()
	})
}

// TestShardsClose: closing stacks of 4 shards with connections on every
// shard returns blocked Reads and Accepts and ends every goroutine.
func TestShardsClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := bubbleGoroutines()
		a, b := pipe.New(1500, 1024)
		cfg := func(name, addr string, l link.Link) synack.Config {
			return synack.Config{Name: name, Shards: 4, Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}}
		}
		cs, err := synack.New(cfg("client", "10.0.0.1/24", a))
		if err != nil {
			t.Fatal(err)
		}
		ss, err := synack.New(cfg("server", "10.0.0.2/24", b))
		if err != nil {
			t.Fatal(err)
		}
		ln, err := ss.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		var users sync.WaitGroup
		for range 32 {
			c, err := cs.Dial("tcp", "10.0.0.2:80")
			if err != nil {
				t.Fatal(err)
			}
			s, err := ln.Accept()
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []net.Conn{c, s} {
				users.Add(1)
				go func() { defer users.Done(); io.Copy(io.Discard, c) }()
			}
		}
		users.Add(1)
		go func() { defer users.Done(); ln.Accept() }()
		synctest.Wait()
		cs.Close()
		ss.Close()
		users.Wait()
		synctest.Wait()
		if after := bubbleGoroutines(); after != before {
			t.Errorf("goroutines: %d before the stacks, %d after they closed", before, after)
		}
	})
}

// TestShardsRunTheAPITests runs a representative set of the package's
// tests on stacks of 2 and of 4 shards (the default shard count being
// GOMAXPROCS): dial, listen and accept, refusals and timeouts, both
// families, the forwarders, UDP, ping and close. (TestSubscribeFastAndSlow
// is left out: its fast reader must keep up in real time, which fails
// now and then with one shard too.)
func TestShardsRunTheAPITests(t *testing.T) {
	tests := []struct {
		name string
		f    func(*testing.T)
	}{
		{"DialAcceptEcho", TestDialAcceptEcho},
		{"DialRefused", TestDialRefused},
		{"DialTimesOut", TestDialTimesOut},
		{"AbortResetsPeer", TestAbortResetsPeer},
		{"ListenPortZero", TestListenPortZero},
		{"ListenTwiceIsEADDRINUSE", TestListenTwiceIsEADDRINUSE},
		{"ListenBothFamilies", TestListenBothFamilies},
		{"StackCloseInEveryState", TestStackCloseInEveryState},
		{"CloseWakesBlockedReadAndWrite", TestCloseWakesBlockedReadAndWrite},
		{"ForwardTunnel", TestForwardTunnel},
		{"ForwardUDPFlow", TestForwardUDPFlow},
		{"UDPEcho", TestUDPEcho},
		{"UDPConnRefused", TestUDPConnRefused},
		{"PingBetweenStacks", TestPingBetweenStacks},
		{"Churn", TestChurn},
	}
	for _, n := range []int{2, 4} {
		t.Run(fmt.Sprintf("shards=%d", n), func(t *testing.T) {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(n))
			for _, tt := range tests {
				t.Run(tt.name, tt.f)
			}
		})
	}
}

// TestShardsForwardOwnAddress: the forwarder of a stack of 4 shards (a
// copy on each) takes connections to the stack's own address and ports with
// no listener, whatever shard their tuple hashes to; they keep working
// after the forwarder closes, and the stack still dials out on every
// shard.
func TestShardsForwardOwnAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ts := shardedPair(t, 2, 4)
		fl, err := ts.ListenForward(stack.ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for {
				r, err := fl.Accept(t.Context())
				if err != nil {
					return
				}
				go func() {
					c, err := r.Complete(t.Context())
					if err != nil {
						return
					}
					io.Copy(c, c)
					c.Close()
				}()
			}
		}()
		const conns = 16
		var cc []*synack.Conn
		for i := range conns {
			c, err := cs.Dial("tcp", fmt.Sprintf("10.0.0.2:%d", 9000+i))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			cc = append(cc, c)
		}
		roundTrip := func(c *synack.Conn, msg string) {
			t.Helper()
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
				t.Fatalf("echo %q: %q, %v", msg, got, err)
			}
		}
		for _, c := range cc {
			roundTrip(c, "before")
		}
		fl.Close()
		for _, c := range cc {
			roundTrip(c, "after the forwarder closed")
		}
		ln, err := cs.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		go echo(ln)
		for range conns {
			c, err := ts.Dial("tcp", "10.0.0.1:80")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			roundTrip(c, "out")
		}
		everyShardHolds(t, ts)
	})
}

// TestShardsForwardSpread: the connections a stack of 4 shards forwards,
// to addresses it does not own (the tun2socks case), spread over all
// its shards, each on the shard its tuple hashes to, and echo; Pending
// counts the unanswered requests of every shard, and the forwarder's
// opening and closing are recorded once.
func TestShardsForwardSpread(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.New(1500, 1024)
		cs := shardedStack(t, "client", 1, a, "10.0.0.1/24")
		log := new(trace.Log)
		ts, err := synack.New(synack.Config{Name: "server", Shards: 4, Recorder: log,
			Links: []synack.Link{{Link: b, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer ts.Close()
		fl, err := ts.ListenForward(stack.ForwardOptions{})
		if err != nil {
			t.Fatal(err)
		}
		const conns = 64
		var cc []*synack.Conn
		dialed := make(chan *synack.Conn, conns)
		for i := range conns {
			go func() {
				c, err := cs.Dial("tcp", fmt.Sprintf("10.0.0.%d:443", 100+i%100))
				if err != nil {
					t.Error(err)
				}
				dialed <- c
			}()
		}
		synctest.Wait()
		if got := fl.Pending(); got != conns {
			t.Errorf("Pending %d with %d SYNs unanswered, want %d", got, conns, conns)
		}
		for range conns {
			r, err := fl.Accept(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			go func() {
				c, err := r.Complete(t.Context())
				if err != nil {
					t.Error(err)
					return
				}
				io.Copy(c, c)
				c.Close()
			}()
		}
		for range conns {
			c := <-dialed
			if c == nil {
				t.FailNow()
			}
			defer c.Close()
			cc = append(cc, c)
		}
		for _, c := range cc {
			msg := c.LocalAddr().String()
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(msg))
			if _, err := io.ReadFull(c, got); err != nil || string(got) != msg {
				t.Fatalf("echo %q: %q, %v", msg, got, err)
			}
		}
		everyShardHolds(t, ts)
		fl.Close()
		synctest.Wait()
		listens, closes := 0, 0
		for _, e := range log.Events {
			if e.Kind == trace.KindState && e.Local.Port() == 0 {
				switch e.To {
				case tcp.Listen:
					listens++
				case tcp.Closed:
					closes++
				}
			}
		}
		if listens != 1 || closes != 1 {
			t.Errorf("the forwarder's opening recorded %d times and closing %d; want once each", listens, closes)
		}
	})
}

// TestShardsSubscribe: a subscription to a stack of 4 shards gets every
// event the stack's Recorder got, from all shards, each connection's in
// the order recorded.
func TestShardsSubscribe(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.New(1500, 1024)
		log := new(trace.Log)
		cs, err := synack.New(synack.Config{Name: "client", Shards: 4, Recorder: log,
			Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/24")}}}})
		if err != nil {
			t.Fatal(err)
		}
		defer cs.Close()
		ss := shardedStack(t, "server", 2, b, "10.0.0.2/24")
		ln, err := ss.Listen("tcp", ":7")
		if err != nil {
			t.Fatal(err)
		}
		go echo(ln)
		sub := trace.NewSubscription(1 << 16)
		cs.Subscribe(sub)
		got := collect(sub)
		var cc []*synack.Conn
		for range 16 {
			c, err := cs.Dial("tcp", "10.0.0.2:7")
			if err != nil {
				t.Fatal(err)
			}
			cc = append(cc, c)
		}
		everyShardHolds(t, cs)
		for _, c := range cc {
			echoRoundTrip(t, c, []byte("hello"))
			c.Close()
		}
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		sub.Close()
		perConn := func(evs []trace.Event) map[netip.AddrPort][]trace.Event {
			m := map[netip.AddrPort][]trace.Event{}
			for _, e := range evs {
				m[e.Local] = append(m[e.Local], e)
			}
			return m
		}
		want, have := perConn(log.Events), perConn(<-got)
		if len(want) != 16 || sub.Dropped() != 0 {
			t.Fatalf("recorder saw %d connections, subscription dropped %d", len(want), sub.Dropped())
		}
		for local, evs := range want {
			if !slices.Equal(have[local], evs) {
				t.Errorf("%v: subscription has %d events, recorder %d", local, len(have[local]), len(evs))
			}
		}
	})
}

// TestShardsShareTheMemoryAccount: the shards of a stack charge one
// buffer memory account (Config.Host.Memory bounds them together): with
// data queued on connections of every shard, each shard's host reports
// the same allocation, which the stack's counters report once.
func TestShardsShareTheMemoryAccount(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := shardedPair(t, 4, 2)
		ln, err := ss.Listen("tcp", ":9")
		if err != nil {
			t.Fatal(err)
		}
		for range 16 {
			c, err := cs.Dial("tcp", "10.0.0.2:9")
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := ln.Accept(); err != nil { // never read
				t.Fatal(err)
			}
			go c.Write(make([]byte, 1<<20))
		}
		synctest.Wait()
		everyShardHolds(t, cs)
		total := cs.Counters().MemoryAllocated
		if total == 0 {
			t.Fatal("no buffer memory allocated")
		}
		for i, h := range cs.Shards() {
			if got := h.Counters().MemoryAllocated; got != total {
				t.Errorf("shard %d reports %d bytes allocated, the stack %d", i, got, total)
			}
		}
	})
}
