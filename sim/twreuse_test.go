package sim

import (
	"errors"
	"net/netip"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// twReusePair connects A from port 40000 to B, A closing first, so that
// A's end is in TIME_WAIT from about 1 s; it returns the pair and the
// first connection's SND.NXT at the end (its FIN acknowledged).
func twReusePair(t *testing.T, mode stack.TimeWaitReuseMode, ts bool) (*pair, tcp.Seq) {
	cfg := tcp.DefaultConfig()
	cfg.Timestamps = ts
	w := New(1)
	p := &pair{w: w, a: w.AddHost("A", addrA, WithTCP(cfg), func(c *stack.Config) { c.TimeWaitReuse = mode }), b: w.AddHost("B", addrB, WithTCP(cfg))}
	ln, err := p.b.Listen(0, portB, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	local := netip.AddrPortFrom(addrA.Addr(), 40000)
	var ca *stack.Conn
	w.At(0, func() { ca, _ = p.a.Connect(w.Now(), local, portB) })
	cb := p.accept(t, 10*time.Millisecond)
	w.At(time.Second, func() { ca.Close(w.Now()) })
	w.At(1100*time.Millisecond, func() { (*cb).Close(w.Now()) })
	w.Run(1200 * time.Millisecond)
	if st := ca.State(); st != tcp.TimeWait {
		t.Fatalf("the first connection is in %v, want TIME_WAIT", st)
	}
	return p, ca.Info().SndNxt
}

// connectAgain connects A from port 40000 to B at at.
func connectAgain(p *pair, at time.Duration) (c *stack.Conn, err error) {
	p.w.At(at, func() { c, err = p.a.Connect(p.w.Now(), netip.AddrPortFrom(addrA.Addr(), 40000), portB) })
	p.w.Run(at + 500*time.Millisecond)
	return c, err
}

// With tcp_tw_reuse on, an active open takes over a 4-tuple in TIME_WAIT
// once it has lasted a second and both ends used timestamps: the old
// entry ends (TIME_WAIT -> CLOSED by the open), and the new SYN starts
// 65,537 past the old SND.NXT, as Linux's tcp_twsk_unique starts it.
func TestTimeWaitReuseByConnect(t *testing.T) {
	p, sndNxt := twReusePair(t, stack.TimeWaitReuseOn, true)
	c, err := connectAgain(p, 2500*time.Millisecond)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	if st := c.State(); st != tcp.Established {
		t.Fatalf("the new connection is in %v", st)
	}
	var syns []uint32
	for _, e := range p.w.Trace.Events {
		if e.Host == "A" && e.Kind == trace.KindSend && e.Segment.Flags == wire.FlagSYN {
			syns = append(syns, e.Segment.Seq)
		}
	}
	if len(syns) != 2 || syns[1] != uint32(sndNxt)+65537 {
		t.Fatalf("SYNs at %v, want the second at %d (old SND.NXT + 65537)", syns, uint32(sndNxt)+65537)
	}
	found := false
	for _, e := range p.w.Trace.Events {
		if e.Host == "A" && e.Kind == trace.KindState && e.From == tcp.TimeWait && e.To == tcp.Closed {
			found = e.Cause.Kind == tcp.CauseCall && e.Cause.Call == tcp.CallOpen && e.Time == 2500*1e6
		}
	}
	if !found || p.a.Counters().TimeWaitReused != 1 {
		t.Fatalf("TIME_WAIT not ended by the open at 2.5 s (reused %d)", p.a.Counters().TimeWaitReused)
	}
}

// Reuse is refused (EADDRINUSE) before TIME_WAIT has lasted a second,
// without timestamps, and in the default mode for an address that is not
// loopback.
func TestTimeWaitReuseRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		mode stack.TimeWaitReuseMode
		ts   bool
		at   time.Duration
	}{
		{"too soon", stack.TimeWaitReuseOn, true, 1500 * time.Millisecond},
		{"no timestamps", stack.TimeWaitReuseOn, false, 2500 * time.Millisecond},
		{"default mode, not loopback", stack.TimeWaitReuseLoopback, true, 2500 * time.Millisecond},
		{"off", stack.TimeWaitReuseOff, true, 2500 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, _ := twReusePair(t, c.mode, c.ts)
			if _, err := connectAgain(p, c.at); !errors.Is(err, syscall.EADDRINUSE) {
				t.Fatalf("connect: %v, want EADDRINUSE", err)
			}
		})
	}
}
