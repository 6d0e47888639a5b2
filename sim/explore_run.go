package sim

import (
	"fmt"
	"net/netip"
	"runtime/debug"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// Failure is what the explorer found wrong in a world: a kind (data,
// transition, invariant, agreement, stall, drain, panic, api) and what
// exactly, with the connection it is about when there is one.
type Failure struct {
	Kind  string
	Err   error
	Tuple stack.Tuple // the connection involved, from one end's view, if known
	Host  string      // the host of that end
}

func (f *Failure) Error() string { return f.Kind + ": " + f.Err.Error() }

// Outcome is what one world did.
type Outcome struct {
	Failure *Failure
	// Checks counts the invariant checks that passed: one per host per
	// step, one per state change, one per connection end.
	Checks int
	// Bytes is the stream data the applications read and verified.
	Bytes int
	// VirtualTime is how long the world ran.
	VirtualTime time.Duration
}

// exploreRun is one run of a plan.
type exploreRun struct {
	p     *Plan
	w     *World
	hosts []*Host
	lns   [][2]*stack.Listener // by Plan.Listens index, IPv4 and IPv6; nil once closed
	// closedListen marks the plan's listeners that were closed.
	closedListen []bool
	conns        []*connRun
	byTuple      map[netip.AddrPort]*connRun // client end -> connection, for accepts
	chk          *checker
	failure      *Failure
	crashed      []clock.Instant // per host, its last crash (world time), or Never
	stepped      []bool          // per host: its clock was stepped
	checks       int
}

// connRun is one planned connection as it runs.
type connRun struct {
	i              int
	plan           *PlanConn
	client, server *streamApp
	clientConn     *stack.Conn
	refusedAt      clock.Instant
}

// horizon bounds every explored world's virtual time: far beyond every
// timeout a plan can configure (15 retries of a 120 s RTO are 924.6 s).
const horizon = 2 * time.Hour

// RunPlan runs a plan and checks it. With log set it also records every
// trace event there, for a failure's transcript.
func RunPlan(p *Plan, log *trace.Log) (out Outcome) {
	r := &exploreRun{p: p, w: New(p.Seed), byTuple: map[netip.AddrPort]*connRun{}}
	r.chk = newChecker(r, log)
	defer func() {
		if v := recover(); v != nil {
			r.failure = &Failure{Kind: "panic", Err: fmt.Errorf("%v\n%s", v, debug.Stack())}
		}
		out.Failure, out.Checks, out.VirtualTime = r.failure, r.checks+r.chk.checks, time.Duration(r.w.Now())
		for _, c := range r.conns {
			for _, a := range []*streamApp{c.client, c.server} {
				if a != nil {
					out.Bytes += a.read
				}
			}
		}
	}()
	r.build()
	r.w.OnStep = r.afterStep
	r.w.OnSend = r.checkPacket
	r.w.RunUntil(horizon, r.finished)
	if r.failure == nil {
		r.settle()
	}
	return out
}

func (r *exploreRun) failed() bool { return r.failure != nil }

// fail records the first failure; the run stops at the end of the step.
func (r *exploreRun) fail(kind string, err error) {
	if r.failure == nil {
		r.failure = &Failure{Kind: kind, Err: err}
	}
}

// failConn is fail about one connection end.
func (r *exploreRun) failConn(kind string, host string, t stack.Tuple, err error) {
	if r.failure == nil {
		r.failure = &Failure{Kind: kind, Err: err, Tuple: t, Host: host}
	}
}

// build creates the world of the plan and schedules its events.
func (r *exploreRun) build() {
	for i, ph := range r.p.Hosts {
		cfg := ph.TCP
		h := r.w.AddHost(hostName(i), netip.PrefixFrom(hostAddr(i, false), 24), func(s *stack.Config) {
			s.TCP, s.MTU, s.MaxTimeWait, s.Recorder = &cfg, ph.MTU, ph.MaxTimeWait, r.chk
			s.MaxSynBacklog, s.SynCookies, s.AbortOnOverflow = ph.MaxSynBacklog, ph.SynCookies, ph.AbortOnOverflow
			s.TimeWaitReuse = ph.TimeWaitReuse
			s.Addrs = append(s.Addrs, netip.PrefixFrom(hostAddr(i, true), 64))
		})
		r.w.Net.AddAddress(h.ID, hostAddr(i, true))
		r.hosts = append(r.hosts, h)
		r.crashed = append(r.crashed, clock.Never)
		r.stepped = append(r.stepped, false)
	}
	if r.p.BlackHole {
		r.w.Net.TooBig = nil
	}
	for _, path := range r.p.Paths {
		r.w.Net.SetPath(r.hosts[path.From].ID, r.hosts[path.To].ID, path.Imp)
	}
	r.lns = make([][2]*stack.Listener, len(r.p.Listens))
	r.closedListen = make([]bool, len(r.p.Listens))
	for i := range r.p.Listens {
		r.listen(i)
		if at := r.p.Listens[i].CloseAt; at > 0 {
			r.w.At(at, func() { r.closeListener(i) })
		}
	}
	for i := range r.p.Conns {
		c := &connRun{i: i, plan: &r.p.Conns[i], refusedAt: clock.Never}
		r.conns = append(r.conns, c)
		r.w.At(c.plan.At, func() { r.open(c) })
	}
	for _, f := range r.p.Faults {
		r.w.At(f.At, func() { r.inject(f) })
	}
}

// hostAddr is host i's IPv4 (10.0.0.i+1) or IPv6 (fd00::i+1) address.
func hostAddr(i int, v6 bool) netip.Addr {
	if v6 {
		a := netip.MustParseAddr("fd00::").As16()
		a[15] = byte(i + 1)
		return netip.AddrFrom16(a)
	}
	return netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})
}

// finished reports whether every application is done, or the run failed.
func (r *exploreRun) finished() bool {
	if r.failure != nil {
		return true
	}
	for _, c := range r.conns {
		if !c.finished() {
			return false
		}
	}
	return true
}

// afterStep checks every host's invariants after each instant.
func (r *exploreRun) afterStep() {
	if r.failure != nil {
		return
	}
	for _, h := range r.hosts {
		r.checks++
		if err := h.CheckInvariants(); err != nil {
			r.fail("invariant", fmt.Errorf("%s at %v: %w", h.Name(), h.Now(), err))
			return
		}
	}
}

// inject applies a fault.
func (r *exploreRun) inject(f PlanFault) {
	a, b := r.hosts[f.A], r.hosts[f.B]
	switch f.Kind {
	case FaultPartition:
		r.w.Net.Partition(a.ID, b.ID)
		r.w.After(f.For, func() { r.w.Net.Heal(a.ID, b.ID) })
	case FaultCrash:
		r.crashed[f.A] = r.w.Now()
		a.Crash()
		for i, l := range r.p.Listens {
			if l.Host == f.A && !r.closedListen[i] {
				r.listen(i) // the server application starts again
			}
		}
	case FaultClockStep:
		r.stepped[f.A] = true
		a.StepClock(f.For)
	case FaultPathChange:
		r.w.Net.SetPath(a.ID, b.ID, f.Imp)
	}
}

// tcpState is a connection's state, or CLOSED for none.
func tcpState(c *stack.Conn) tcp.State {
	if c == nil {
		return tcp.Closed
	}
	return c.State()
}
