package sim

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// Blind injection (RFC 5961) against a running 16 MiB transfer: an
// attacker who knows the 4-tuple but not the sequence numbers sends the
// server 10,000 RSTs, 10,000 SYNs and 10,000 data segments with random
// sequence and acknowledgment numbers, spoofing the client. No
// connection may break and not a byte may change; the server answers
// with challenge ACKs, at most one per 500 ms (tcp_invalid_ratelimit).
func TestBlindInjection(t *testing.T) {
	p := newSeededPair(t, 5, func(c *stack.Config) { c.Recorder = nil })
	imp := netem.Impairment{Delay: 5 * time.Millisecond}
	p.w.Net.SetPath(p.a.ID, p.b.ID, imp)
	p.w.Net.SetPath(p.b.ID, p.a.ID, imp)
	const n = 16 << 20
	ca := p.connect(t, 0)
	cb := p.accept(t, 100*time.Millisecond)
	var a, b *App
	p.w.At(100*time.Millisecond, func() {
		a = p.w.Attach(*ca, &App{Send: pattern(n, 1), ShutdownAfterSend: true})
		b = p.w.Attach(*cb, &App{Send: pattern(n, 2), CloseOnEOF: true})
	})
	attacker := p.w.AddRaw("X", addrA.Addr().Next().Next())
	r := rand.New(rand.NewPCG(9, 9))
	kinds := []wire.TCPFlags{wire.FlagRST, wire.FlagSYN, wire.FlagACK | wire.FlagPSH}
	for i := range 30000 {
		p.w.At(200*time.Millisecond+time.Duration(i)*20*time.Microsecond, func() {
			src := (*ca).Tuple().Local
			var payload []byte
			flags := kinds[i%3]
			if flags&wire.FlagPSH != 0 {
				payload = []byte("injected")
			}
			attacker.Send(rawSegment(src, portB, r.Uint32(), r.Uint32(), flags, payload))
		})
	}
	p.w.RunUntil(120*time.Second, func() bool { return a != nil && a.Done() && b.Done() })
	if p.w.Now() < clock.Instant(800*time.Millisecond) {
		t.Fatalf("the transfer ended at %v, before the attack did", p.w.Now())
	}
	checkDelivered(t, a, b, n)
	k := p.b.Counters()
	// The attack lasts 0.6 s: a handful of challenge ACKs leave, and the
	// rate limit holds back the answers to the rest (every SYN draws
	// one; an RST outside the window is dropped silently).
	if k.TCPChallengeACK == 0 || k.TCPChallengeACK > 10 || k.InvalidAcksLimited < 10000 || k.EstabResets != 0 {
		t.Errorf("challenge ACKs %d, rate-limited %d, resets %d", k.TCPChallengeACK, k.InvalidAcksLimited, k.EstabResets)
	}
	t.Logf("30,000 blind segments: connection intact; %d challenge ACKs counted, %d ACKs held back by the rate limit", k.TCPChallengeACK, k.InvalidAcksLimited)
}

// 1,000 connections held at zero window by a peer that then vanishes
// (partitioned away): each sender probes the closed window, backing off
// (to 120 s apart by then: answered probes do not reset the backoff, as on
// Linux), and gives up after tcp_retries2's 15 unanswered probes, as
// Linux's probe timer does: within 15 x 120 s of the partition. Meanwhile
// the memory they hold is their send buffers, and for each at most 2 KiB
// of loss recovery state: the retransmission queue of what is in flight
// (24 bytes a segment) and the SACK scoreboard (256 bytes).
func TestZeroWindowDeadPeers(t *testing.T) {
	cfg := tcp.DefaultConfig()
	cfg.SendBufferSize, cfg.SendBufferMax = 64<<10, 64<<10
	cfg.ReceiveBufferSize, cfg.ReceiveBufferMax = 16<<10, 16<<10
	p := newSeededPair(t, 3, WithTCP(cfg), func(c *stack.Config) { c.Recorder = nil })
	const conns = 1000
	var cs []*stack.Conn
	p.w.At(0, func() {
		for range conns {
			c, err := p.a.Connect(p.w.Now(), netip.AddrPort{}, portB)
			if err != nil {
				t.Fatal(err)
			}
			cs = append(cs, c)
		}
	})
	p.w.At(100*time.Millisecond, func() {
		for {
			if c, _ := p.ln.Accept(); c == nil {
				break
			} // accepted and never read
		}
		for _, c := range cs {
			c.Write(make([]byte, 64<<10)) // more than the peer's window
		}
	})
	p.w.At(5*time.Second, func() { p.w.Net.Partition(p.a.ID, p.b.ID) })
	p.w.Run(10 * time.Second)
	held := p.a.Census()
	const perConn = 64<<10 + 2<<10
	if held.StorageBytes > conns*perConn || held.States[tcp.Established] != conns {
		t.Fatalf("at 10 s: %+v", held)
	}
	bound := 5*time.Second + 15*120*time.Second
	p.w.Run(bound)
	gone := 0
	for _, c := range cs {
		if st := c.Status(); st.State == tcp.Closed && errors.Is(st.Err, syscall.ETIMEDOUT) {
			gone++
		}
	}
	if gone != conns {
		t.Fatalf("%d of %d connections gone by %v; census %+v", gone, conns, bound, p.a.Census())
	}
	if c := p.a.Census(); c != (stack.Census{}) {
		t.Fatalf("the client still holds %+v", c)
	}
	t.Logf("%d connections at zero window held %d bytes of buffers (bounded by %d); all gone with ETIMEDOUT by %v", conns, held.StorageBytes, conns*perConn, bound)
}
