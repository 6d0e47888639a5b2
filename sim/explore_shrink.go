package sim

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/trace"
)

// Shrink looks for a smaller plan that fails the same way as p: it drops
// connections and faults, halves transfers, quiets paths and puts hosts
// back on the defaults, one step at a time, keeping each step that still
// fails with the same kind, until no step does or budget runs have been
// tried. It is deterministic: the same failing plan shrinks to the same
// plan.
func Shrink(p *Plan, kind string, budget int) *Plan {
	best := clonePlan(p)
	for budget > 0 {
		progress := false
		for _, cand := range shrinkSteps(best) {
			if budget <= 0 {
				break
			}
			budget--
			if f := RunPlan(cand, nil).Failure; f != nil && f.Kind == kind {
				best, progress = cand, true
				break
			}
		}
		if !progress {
			break
		}
	}
	return best
}

// shrinkSteps lists the plans one step smaller than p, most drastic first.
func shrinkSteps(p *Plan) []*Plan {
	var out []*Plan
	for i := range p.Conns {
		q := clonePlan(p)
		q.Conns = slices.Delete(q.Conns, i, i+1)
		out = append(out, q)
	}
	for i := range p.Faults {
		q := clonePlan(p)
		q.Faults = slices.Delete(q.Faults, i, i+1)
		out = append(out, q)
	}
	for i := range p.Conns {
		for _, side := range []int{0, 1} {
			q := clonePlan(p)
			a := &q.Conns[i].ClientApp
			if side == 1 {
				a = &q.Conns[i].ServerApp
			}
			if a.Send > 1 {
				a.Send /= 2
				out = append(out, q)
			}
		}
	}
	for i := range p.Paths {
		if p.Paths[i].Imp != (netem.Impairment{}) {
			q := clonePlan(p)
			q.Paths[i].Imp = netem.Impairment{Delay: p.Paths[i].Imp.Delay}
			if q.Paths[i].Imp != p.Paths[i].Imp {
				out = append(out, q)
			}
		}
	}
	if p.BlackHole {
		q := clonePlan(p)
		q.BlackHole = false
		out = append(out, q)
	}
	return out
}

// clonePlan copies a plan deeply enough for a shrink step to change it.
func clonePlan(p *Plan) *Plan {
	q := *p
	q.Hosts = slices.Clone(p.Hosts)
	q.Paths = slices.Clone(p.Paths)
	q.Listens = slices.Clone(p.Listens)
	q.Conns = slices.Clone(p.Conns)
	q.Faults = slices.Clone(p.Faults)
	return &q
}

// Report runs a failing plan again with a trace and renders what a person
// needs to see: the failure, the plan, and the ladder diagram of the
// connection the failure is about (or of the first connection).
func Report(p *Plan) string {
	var log trace.Log
	out := RunPlan(p, &log)
	var b strings.Builder
	if out.Failure == nil {
		fmt.Fprintf(&b, "seed %d: no failure when replayed\n", p.Seed)
		return b.String()
	}
	fmt.Fprintf(&b, "%v\n\n%s\n(The run stops at the failure: segments still in flight then show as lost.)\n", out.Failure, p)
	events := connectionEvents(log.Events, out.Failure)
	hosts := hostsOf(events)
	if len(hosts) == 2 {
		var lb bytes.Buffer
		if err := trace.RenderLadder(&lb, events, hosts[0], hosts[1], trace.LadderOptions{ShowTimers: true, ShowDrops: true}); err == nil {
			b.WriteString(lb.String())
		}
	}
	return b.String()
}

// connectionEvents keeps the events of the connection a failure names
// (both ends), or every event if it names none.
func connectionEvents(events []trace.Event, f *Failure) []trace.Event {
	if !f.Tuple.Local.IsValid() {
		return events
	}
	var out []trace.Event
	for _, e := range events {
		if e.Local == f.Tuple.Local && e.Remote == f.Tuple.Remote || e.Local == f.Tuple.Remote && e.Remote == f.Tuple.Local {
			out = append(out, e)
		}
	}
	return out
}

// hostsOf lists the hosts that observed the events, in order of first
// appearance.
func hostsOf(events []trace.Event) []string {
	var hosts []string
	for _, e := range events {
		if !slices.Contains(hosts, e.Host) {
			hosts = append(hosts, e.Host)
		}
	}
	return hosts
}
