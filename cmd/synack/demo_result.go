package main

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// demoResult is what a run left behind.
type demoResult struct {
	events []trace.Event
	echoed []byte           // what the client read back
	errs   [2]syscall.Errno // the error of each host's last failed connection
	open   [2][]tcp.State   // the last states of the connections not CLOSED at the end
	sent   uint64           // packets sent on the network
	lost   uint64           // packets the network lost or dropped
	end    clock.Instant    // when the last event happened

	packets []capturedPacket // every packet sent, for --format pcap
}

// runScenario plays sc in a new world until nothing is left to happen or
// runLimit passes, and collects the result.
func runScenario(sc scenario, o demoOptions) demoResult {
	d := newDemo(sc, o)
	if o.format == "pcap" {
		d.startCapture()
	}
	sc.setup(d)
	d.w.Run(runLimit)

	res := demoResult{events: d.w.Trace.Events, packets: d.capture}
	if d.client != nil {
		res.echoed = d.client.echoed
	}
	for side, cs := range d.conns {
		for _, c := range cs {
			st := c.Status()
			if st.Err != 0 {
				res.errs[side] = st.Err
			}
		}
		res.open[side] = openStates(res.events, sc.hosts[side])
	}
	ns := d.w.Net.Stats()
	res.sent = ns.Sent
	res.lost = ns.Lost + ns.DroppedRule + ns.DroppedQueue + ns.DroppedNoRoute
	if n := len(res.events); n > 0 {
		res.end = res.events[n-1].Time
	}
	return res
}

// openStates returns the last state of each of host's connections that did
// not end: connections are told apart by their two ends, and one that went
// back to LISTEN (a passive open reset in SYN_RCVD) has ended.
func openStates(events []trace.Event, host string) []tcp.State {
	type ends struct{ local, remote netip.AddrPort }
	var order []ends
	last := map[ends]tcp.State{}
	for _, e := range events {
		if e.Host != host || e.Kind != trace.KindState || !e.Remote.IsValid() {
			continue
		}
		k := ends{e.Local, e.Remote}
		if _, seen := last[k]; !seen {
			order = append(order, k)
		}
		last[k] = e.To
	}
	var open []tcp.State
	for _, k := range order {
		if st := last[k]; st != tcp.Closed && st != tcp.Listen {
			open = append(open, st)
		}
	}
	return open
}

// problem says how the run differs from the scenario's expected end, or ""
// when it does not.
func (r demoResult) problem(sc scenario, o demoOptions) string {
	var ps []string
	for side, states := range r.open {
		if slices.Equal(states, sc.open[side]) {
			continue
		}
		if len(sc.open[side]) > 0 {
			ps = append(ps, fmt.Sprintf("%s's connections are in %v at the end, not %v",
				sc.hosts[side], states, sc.open[side]))
			continue
		}
		for _, st := range states {
			ps = append(ps, fmt.Sprintf("%s's connection is still in %v after %v of virtual time",
				sc.hosts[side], st, runLimit))
		}
	}
	if msg := sc.text(o); sc.echo && string(r.echoed) != msg {
		ps = append(ps, fmt.Sprintf("the echo is incomplete (%d of %d bytes)", len(r.echoed), len(msg)))
	}
	for side, want := range sc.errs {
		got, host := r.errs[side], sc.hosts[side]
		switch {
		case got == want:
		case want == 0:
			ps = append(ps, fmt.Sprintf("%s's connection failed with %s", host, errnoText(got)))
		case got == 0:
			ps = append(ps, fmt.Sprintf("%s's connection did not fail with %s", host, errnoText(want)))
		default:
			ps = append(ps, fmt.Sprintf("%s's connection failed with %s, not %s", host, errnoText(got), errnoText(want)))
		}
	}
	return strings.Join(ps, "; ")
}

// errnoNames are the symbolic names of the errors the scenarios can end with.
var errnoNames = map[syscall.Errno]string{
	syscall.ECONNREFUSED: "ECONNREFUSED",
	syscall.ECONNRESET:   "ECONNRESET",
	syscall.ECONNABORTED: "ECONNABORTED",
	syscall.ETIMEDOUT:    "ETIMEDOUT",
}

// errnoText renders an error as "connection refused (ECONNREFUSED)".
func errnoText(e syscall.Errno) string {
	if name, ok := errnoNames[e]; ok {
		return e.Error() + " (" + name + ")"
	}
	return e.Error()
}
