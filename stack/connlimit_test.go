package stack

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
)

// At MaxConns a connect fails at once with ENOBUFS, counted.
func TestConnLimitConnect(t *testing.T) {
	p := newTestPair(t, func(c *Config) { c.MaxConns = 2 })
	p.open(t, 2)
	_, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB)
	if !errors.Is(err, syscall.ENOBUFS) {
		t.Fatalf("third connect: %v, want ENOBUFS", err)
	}
	if k := p.a.Counters(); k.ConnLimit != 1 {
		t.Errorf("ConnLimit %d, want 1", k.ConnLimit)
	}
}

// At MaxConns a listener drops SYNs, counted; the client's SYN
// retransmission (1 s later) succeeds once a connection has gone, and
// the connections already open never notice.
func TestConnLimitListener(t *testing.T) {
	p := newTestPair(t, nil)
	p.b.cfg.MaxConns = 2
	clients, servers := p.open(t, 2)
	third, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	k := p.b.Counters()
	if third.State() != tcp.SynSent || k.ConnLimit != 1 || k.ListenDrops != 1 || k.Drops[DropConnLimit] != 1 {
		t.Fatalf("third in %v; ConnLimit %d, ListenDrops %d, drops %d", third.State(), k.ConnLimit, k.ListenDrops, k.Drops[DropConnLimit])
	}
	// The open connections carry on.
	if n, _ := clients[0].Write([]byte("hello")); n != 5 {
		t.Fatal("write refused")
	}
	p.pump()
	if n, _ := servers[0].Read(make([]byte, 16)); n != 5 {
		t.Fatalf("read %d bytes, want 5", n)
	}
	// The client closes first, so B's side ends in CLOSED, not TIME_WAIT.
	p.closeBoth(clients[1:2], servers[1:2])
	if c := p.b.Census(); c.Conns != 1 {
		t.Fatalf("B holds %d connections, want 1", c.Conns)
	}
	p.until(p.now.Add(time.Second - 1))
	if third.State() != tcp.SynSent {
		t.Fatalf("third in %v before its SYN retransmission", third.State())
	}
	p.until(p.now.Add(1))
	if third.State() != tcp.Established {
		t.Fatalf("third in %v after its SYN retransmission", third.State())
	}
}

// Half-open requests do not count as connections, so two SYNs may both be
// answered with one place left; the handshake ACK that would pass
// MaxConns is dropped, counted, and the request stays half-open until
// its SYN-ACK retransmission (1 s) draws an ACK that finds room.
func TestConnLimitFinalAck(t *testing.T) {
	p := newTestPair(t, nil)
	p.b.cfg.MaxConns = 2
	first, firstSrv := p.open(t, 1)
	for range 2 {
		if _, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB); err != nil {
			t.Fatal(err)
		}
	}
	p.pump()
	k, c := p.b.Counters(), p.b.Census()
	if k.ConnLimit != 1 || k.Drops[DropConnLimit] != 1 || c.Conns != 2 || c.SynQueue != 1 {
		t.Fatalf("ConnLimit %d, drops %d, %d connections and %d requests; want 1, 1, 2, 1", k.ConnLimit, k.Drops[DropConnLimit], c.Conns, c.SynQueue)
	}
	p.closeBoth(first, firstSrv)
	p.until(p.now.Add(time.Second - 1))
	if c := p.b.Census(); c.SynQueue != 1 {
		t.Fatalf("%d requests before the SYN-ACK retransmission, want 1", c.SynQueue)
	}
	p.until(p.now.Add(1))
	if c := p.b.Census(); c.Conns != 2 || c.SynQueue != 0 {
		t.Fatalf("after the SYN-ACK retransmission: %d connections, %d requests; want 2, 0", c.Conns, c.SynQueue)
	}
}

// A connection in the TIME_WAIT table counts toward MaxConns for a
// listener too, as the config says: with B's one connection in TIME_WAIT
// (B closed first), a new SYN is dropped and counted.
func TestConnLimitListenerCountsTimeWait(t *testing.T) {
	p := newTestPair(t, nil)
	p.b.cfg.MaxConns = 1
	clients, servers := p.open(t, 1)
	p.closeBoth(servers, clients)
	if c := p.b.Census(); c.Conns != 1 || c.TimeWait != 1 {
		t.Fatalf("B's census %+v, want its one connection in TIME_WAIT", c)
	}
	second, err := p.a.Connect(p.now, netip.AddrPort{}, testPortB)
	if err != nil {
		t.Fatal(err)
	}
	p.pump()
	if k := p.b.Counters(); second.State() != tcp.SynSent || k.ConnLimit != 1 || k.Drops[DropConnLimit] != 1 {
		t.Fatalf("second in %v; B's ConnLimit %d, drops %d; want its SYN dropped at the limit",
			second.State(), k.ConnLimit, k.Drops[DropConnLimit])
	}
}
