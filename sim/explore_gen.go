package sim

import (
	"math/rand/v2"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// NewPlan draws a world from seed: two to eight hosts with random TCP
// settings, random paths between the pairs that talk, up to a dozen
// connections with random transfers and ways of ending, and, in about
// two worlds out of three, faults. The same seed always gives the same
// plan.
func NewPlan(seed uint64) *Plan {
	g := &planGen{r: rand.New(rand.NewPCG(seed, 0x5eed5eed))}
	p := &Plan{Seed: seed}
	faulty := g.chance(0.65)
	n := 2 + g.r.IntN(3)
	if g.chance(0.15) {
		n = 2 + g.r.IntN(7)
	}
	for range n {
		p.Hosts = append(p.Hosts, g.host())
	}
	g.listens(p)
	g.conns(p)
	g.paths(p, faulty)
	if faulty {
		p.BlackHole = g.chance(0.05)
		for range g.r.IntN(5) {
			p.Faults = append(p.Faults, g.fault(p))
		}
	}
	return p
}

// planGen draws the parts of a plan.
type planGen struct{ r *rand.Rand }

func (g *planGen) chance(p float64) bool { return g.r.Float64() < p }

func (g *planGen) pick(xs ...int) int { return xs[g.r.IntN(len(xs))] }

func (g *planGen) dur(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)+1))
}

// host draws a host's MTU and TCP settings, often away from the defaults.
func (g *planGen) host() PlanHost {
	c := tcp.DefaultConfig()
	c.SendBufferSize = g.pick(4<<10, 16<<10, 64<<10, 1<<20)
	c.ReceiveBufferSize = g.pick(4<<10, 16<<10, 64<<10, 1<<20)
	if g.chance(0.5) {
		c.SendBufferMax = c.SendBufferSize // autotuning off
	}
	if g.chance(0.5) {
		c.ReceiveBufferMax = c.ReceiveBufferSize
	}
	c.NoDelay = g.chance(0.5)
	c.Timestamps = g.chance(0.8)
	c.SACK = g.chance(0.8)
	c.WindowScaling = g.chance(0.8)
	if g.chance(0.4) {
		c.CongestionControl = "reno"
	}
	c.TimeWait = time.Duration(g.pick(1, 5, 60)) * time.Second
	c.FinWait2Timeout = time.Duration(g.pick(2, 10, 60)) * time.Second
	if g.chance(0.4) {
		c.KeepAlive = tcp.KeepAlive{Enable: true, Idle: g.dur(time.Second, 30*time.Second),
			Interval: g.dur(time.Second, 5*time.Second), Count: 1 + g.r.IntN(5)}
	}
	if g.chance(0.2) {
		c.UserTimeout = g.dur(5*time.Second, 60*time.Second)
	}
	c.SynRetries = 2 + g.r.IntN(5)
	c.SynAckRetries = 2 + g.r.IntN(4)
	c.Retries = g.pick(3, 5, 8, 15)
	c.OrphanRetries = g.pick(2, 4, 8)
	h := PlanHost{MTU: g.pick(1280, 1500, 1500, 1500, 9000), TCP: c, MaxTimeWait: 0}
	if g.chance(0.1) {
		h.MaxTimeWait = 1 + g.r.IntN(3)
	}
	if g.chance(0.2) {
		h.MaxSynBacklog = 1 + g.r.IntN(3) // the SYN queue overflows: cookies
	}
	h.SynCookies = stack.SynCookieMode(g.pick(0, 0, 0, 1, 2))
	h.AbortOnOverflow = g.chance(0.1)
	h.TimeWaitReuse = stack.TimeWaitReuseMode(g.pick(0, 1, 2))
	return h
}

// listens gives about half the hosts a listener or two.
func (g *planGen) listens(p *Plan) {
	for i := range p.Hosts {
		if i > 0 && g.chance(0.5) {
			continue
		}
		for k := range 1 + g.r.IntN(2) {
			l := PlanListen{Host: i, Port: uint16(80 + k), Backlog: g.pick(1, 2, 8, 128)}
			if g.chance(0.3) {
				l.AcceptDelay = g.dur(time.Millisecond, 3*time.Second)
			}
			if g.chance(0.1) {
				l.CloseAt = g.dur(100*time.Millisecond, 20*time.Second)
			}
			p.Listens = append(p.Listens, l)
		}
	}
}

// conns draws the connections: mostly to a listener, sometimes a
// simultaneous open between two hosts.
func (g *planGen) conns(p *Plan) {
	for range 1 + g.r.IntN(12) {
		c := PlanConn{IPv6: g.chance(0.3), At: g.dur(0, 10*time.Second)}
		if g.chance(0.1) {
			c.Listen = -1
			c.Client = g.r.IntN(len(p.Hosts))
			c.Server = (c.Client + 1 + g.r.IntN(len(p.Hosts)-1)) % len(p.Hosts)
		} else {
			c.Listen = g.r.IntN(len(p.Listens))
			c.Server = p.Listens[c.Listen].Host
			c.Client = (c.Server + 1 + g.r.IntN(len(p.Hosts)-1)) % len(p.Hosts)
		}
		c.ClientApp, c.ServerApp = g.app(), g.app()
		if c.ClientApp.End == EndAfterEOF && c.ServerApp.End == EndAfterEOF {
			c.ClientApp.End = EndHalfClose // someone has to close first
		}
		c.ClientApp.pace(c.ServerApp.Send)
		c.ServerApp.pace(c.ClientApp.Send)
		p.Conns = append(p.Conns, c)
	}
}

// app draws one end's application.
func (g *planGen) app() AppPlan {
	a := AppPlan{
		WriteChunk: g.pick(1, 100, 1448, 16<<10, 64<<10),
		ReadChunk:  g.pick(100, 1000, 16<<10, 64<<10),
		NoDelay:    g.chance(0.7),
	}
	switch x := g.r.Float64(); {
	case x < 0.15:
		a.Send = 0
	case x < 0.5:
		a.Send = 1 + g.r.IntN(2000)
	case x < 0.85:
		a.Send = 1 + g.r.IntN(64<<10)
	default:
		a.Send = 1 + g.r.IntN(512<<10)
	}
	if g.chance(0.15) {
		a.WriteGap = g.dur(10*time.Millisecond, 500*time.Millisecond)
	}
	if g.chance(0.15) {
		a.ReadGap = g.dur(10*time.Millisecond, 200*time.Millisecond)
	}
	if g.chance(0.15) {
		a.ReadAfter = g.dur(100*time.Millisecond, 5*time.Second)
	}
	switch x := g.r.Float64(); {
	case x < 0.45:
		a.End = EndHalfClose
	case x < 0.8:
		a.End = EndAfterEOF
	case x < 0.92:
		a.End = EndClose
	default:
		a.End = EndAbort
		a.AbortAt = g.dur(0, 10*time.Second)
	}
	return a
}

// maxPacing bounds how long an application's pauses between writes, and
// between reads of what its peer sends, may add up to, so that every
// explored world finishes well within its horizon.
const maxPacing = 60 * time.Second

// pace grows the chunks of a paced application so that writing its Send
// bytes and reading the peer's peerSend bytes each take at most maxPacing.
func (a *AppPlan) pace(peerSend int) {
	a.WriteChunk = max(a.WriteChunk, chunkFor(a.Send, a.WriteGap))
	a.ReadChunk = max(a.ReadChunk, chunkFor(peerSend, a.ReadGap))
}

// chunkFor is the chunk that moves n bytes in at most maxPacing with a
// pause of gap between chunks.
func chunkFor(n int, gap time.Duration) int {
	if gap <= 0 {
		return 1
	}
	steps := max(int(maxPacing/gap), 1)
	return (n + steps - 1) / steps
}

// paths sets the impairment of both directions of every pair of hosts
// that share a connection.
func (g *planGen) paths(p *Plan, faulty bool) {
	seen := map[[2]int]bool{}
	for _, c := range p.Conns {
		for _, d := range [][2]int{{c.Client, c.Server}, {c.Server, c.Client}} {
			if !seen[d] {
				seen[d] = true
				p.Paths = append(p.Paths, PlanPath{From: d[0], To: d[1], Imp: g.impairment(p, d, faulty)})
			}
		}
	}
}

// impairment draws one direction's delay, jitter, reordering and
// duplication, and in a faulty world its loss, corruption, rate limit
// and MTU.
func (g *planGen) impairment(p *Plan, d [2]int, faulty bool) netem.Impairment {
	imp := netem.Impairment{Delay: g.dur(0, 50*time.Millisecond)}
	if g.chance(0.3) {
		imp.Jitter = g.dur(time.Microsecond, 5*time.Millisecond)
	}
	if g.chance(0.2) {
		imp.Reorder, imp.ReorderDelay = 0.05*g.r.Float64(), g.dur(time.Millisecond, 20*time.Millisecond)
	}
	if g.chance(0.2) {
		imp.Duplicate = 0.02 * g.r.Float64()
	}
	if g.chance(0.2) {
		imp.MTU = g.pick(1280, 1400, 1492) // below the hosts': path MTU discovery
	}
	if !faulty {
		return imp
	}
	if g.chance(0.6) {
		imp.Loss = 0.05 * g.r.Float64()
	}
	if g.chance(0.2) {
		imp.Corrupt = 0.01 * g.r.Float64()
	}
	if g.chance(0.2) {
		imp.Rate = int64(g.pick(125_000, 1_250_000, 12_500_000)) // 1, 10, 100 Mbit/s
		imp.QueueLimit = g.pick(16, 64, 256)
	}
	return imp
}

// fault draws one fault in the first 30 s.
func (g *planGen) fault(p *Plan) PlanFault {
	f := PlanFault{At: g.dur(0, 30*time.Second)}
	c := p.Conns[g.r.IntN(len(p.Conns))]
	f.A, f.B = c.Client, c.Server
	if g.chance(0.5) {
		f.A, f.B = f.B, f.A
	}
	switch x := g.r.Float64(); {
	case x < 0.4:
		f.Kind, f.For = FaultPartition, g.dur(100*time.Millisecond, 30*time.Second)
	case x < 0.6:
		f.Kind = FaultCrash
	case x < 0.75:
		f.Kind, f.For = FaultClockStep, g.dur(time.Second, 120*time.Second)
	default:
		f.Kind = FaultPathChange
		f.Imp = netem.Impairment{Delay: g.dur(0, 200*time.Millisecond), Loss: 0.3 * g.r.Float64()}
		if g.chance(0.3) {
			f.Imp.MTU = g.pick(576, 1280, 1400)
		}
	}
	return f
}
