package main

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// simRun is a scenario's run with the two ends of the connection its
// diagram draws.
type simRun struct {
	sc     scenario
	res    demoResult
	client netip.AddrPort // the left host's end
	server netip.AddrPort // the right host's end
}

// runSimScenario runs a scenario with synack sim's defaults.
func runSimScenario(t *testing.T, name string) simRun {
	t.Helper()
	sc, ok := lookupScenario(name)
	if !ok {
		t.Fatalf("no scenario %q", name)
	}
	o := defaultOptions(name)
	o.command = "sim"
	r := simRun{sc: sc, res: runScenario(sc, o)}
	for _, e := range r.res.drawn(sc) {
		if e.Host == sc.hosts[0] && e.Remote.IsValid() {
			r.client, r.server = e.Local, e.Remote
			break
		}
	}
	return r
}

// path is the states host's end of the drawn connection passed through,
// as "CLOSED SYN_SENT ...", starting with the state it left first (a
// listener's connection starts in LISTEN).
func (r simRun) path(side int) string {
	local, remote := r.client, r.server
	if side == 1 {
		local, remote = r.server, r.client
	}
	var out []string
	for _, e := range r.res.events {
		if e.Host == r.sc.hosts[side] && e.Kind == trace.KindState && e.Local == local && e.Remote == remote {
			if len(out) == 0 {
				out = append(out, e.From.String())
			}
			out = append(out, e.To.String())
		}
	}
	return strings.Join(out, " ")
}

// segs lists the segments side sent on the drawn connection as
// "TIME FLAGS/LEN", TIME in seconds.
func (r simRun) segs(side int) string {
	local, remote := r.client, r.server
	if side == 1 {
		local, remote = r.server, r.client
	}
	var out []string
	for _, e := range trace.Segments(r.res.events, r.sc.hosts[side], trace.KindSend) {
		if e.Local == local && e.Remote == remote {
			out = append(out, fmt.Sprintf("%v %v/%d", secs(e.Time), e.Segment.Flags, e.Segment.Len))
		}
	}
	return strings.Join(out, ", ")
}

// stateAt is when side's end of the drawn connection entered st, and why
// (the first time).
func (r simRun) stateAt(side int, st tcp.State) string {
	local, remote := r.client, r.server
	if side == 1 {
		local, remote = r.server, r.client
	}
	for _, e := range r.res.events {
		if e.Host == r.sc.hosts[side] && e.Kind == trace.KindState && e.Local == local && e.Remote == remote && e.To == st {
			return fmt.Sprintf("%v (%v)", secs(e.Time), e.Cause)
		}
	}
	return "never"
}

// The states every end passes through in every scenario of the catalogue,
// with the errors its applications see, and the segments and instants
// that make each scenario what it is, exact on virtual time.
func TestSimCatalogue(t *testing.T) {
	const (
		activeClose = "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED"
		passiveEnd  = "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED"
	)
	type check struct{ got, want string }
	tests := []struct {
		name        string
		left, right string
		errs        [2]syscall.Errno
		checks      func(r simRun) []check
	}{
		{"echo", activeClose, passiveEnd, [2]syscall.Errno{}, nil},
		{"handshake", "CLOSED SYN_SENT ESTABLISHED", "LISTEN SYN_RCVD ESTABLISHED", [2]syscall.Errno{}, func(r simRun) []check {
			return []check{{r.segs(0), "0 SYN/0, 0.02 ACK/0"}, {r.segs(1), "0.01 SYN,ACK/0"}}
		}},
		{"close", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{
				{r.segs(0), "0 SYN/0, 0.02 ACK/0, 0.02 FIN,ACK/0, 1.04 ACK/0"},
				{r.segs(1), "0.01 SYN,ACK/0, 0.03 ACK/0, 1.03 FIN,ACK/0"},
				{r.stateAt(0, tcp.Closed), "61.04 (timer 2msl)"},
			}
		}},
		{"close-3", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{{r.segs(1), "0.01 SYN,ACK/0, 0.03 ACK/0, 0.03 PSH,ACK/14, 1.05 FIN,ACK/0"},
				{r.stateAt(0, tcp.FinWait2), "1.06 (rcv FIN,ACK)"}, {r.stateAt(0, tcp.TimeWait), "1.06 (rcv FIN,ACK)"}}
		}},
		{"half-close", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{{r.stateAt(0, tcp.FinWait1), "0.02 (call shutdown)"},
				{r.segs(1), "0.01 SYN,ACK/0, 0.03 ACK/0, 1.03 PSH,ACK/7, 2.03 FIN,ACK/0"},
				{r.stateAt(0, tcp.TimeWait), "2.04 (rcv FIN,ACK)"}}
		}},
		{"simultaneous-open", "CLOSED SYN_SENT SYN_RCVD ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT CLOSED",
			"CLOSED SYN_SENT SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED", [2]syscall.Errno{}, func(r simRun) []check {
				return []check{{r.stateAt(0, tcp.SynReceived), "0.01 (rcv SYN)"}, {r.stateAt(1, tcp.SynReceived), "0.01 (rcv SYN)"}}
			}},
		{"simultaneous-close", "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED",
			"LISTEN SYN_RCVD ESTABLISHED FIN_WAIT_1 CLOSING TIME_WAIT CLOSED", [2]syscall.Errno{}, nil},
		{"syn-timeout", "CLOSED SYN_SENT CLOSED", "", [2]syscall.Errno{syscall.ETIMEDOUT}, func(r simRun) []check {
			return []check{{r.segs(0), "0 SYN/0, 1 SYN/0, 3 SYN/0, 7 SYN/0, 15 SYN/0, 31 SYN/0, 63 SYN/0"},
				{r.stateAt(0, tcp.Closed), "127 (timer retransmit)"}}
		}},
		{"refused", "CLOSED SYN_SENT CLOSED", "", [2]syscall.Errno{syscall.ECONNREFUSED}, func(r simRun) []check {
			return []check{{r.stateAt(0, tcp.Closed), "0.02 (rcv RST,ACK)"}}
		}},
		{"abort", "CLOSED SYN_SENT ESTABLISHED CLOSED", "LISTEN SYN_RCVD ESTABLISHED CLOSED", [2]syscall.Errno{0, syscall.ECONNRESET}, func(r simRun) []check {
			return []check{{r.stateAt(0, tcp.Closed), "0.04 (call abort)"}, {r.stateAt(1, tcp.Closed), "0.05 (rcv RST,ACK)"}}
		}},
		{"lost-final-ack", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{
				// The FIN again after the server's RTO, re-ACKed; TIME_WAIT
				// lasts 60 s from the re-ACK.
				{r.segs(1), "0.01 SYN,ACK/0, 0.03 ACK/0, 0.03 PSH,ACK/14, 0.05 FIN,ACK/0, 0.27 FIN,ACK/0"},
				{r.segs(0), "0 SYN/0, 0.02 ACK/0, 0.02 PSH,ACK/14, 0.04 ACK/0, 0.04 FIN,ACK/0, 0.06 ACK/0, 0.28 ACK/0"},
				{r.stateAt(0, tcp.Closed), "60.28 (timer 2msl)"}, {r.stateAt(1, tcp.Closed), "0.29 (rcv ACK)"},
			}
		}},
		{"time-wait-assassination", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{{r.stateAt(0, tcp.Closed), "1.06 (rcv RST)"}, {fmt.Sprint(strings.HasSuffix(r.segs(1), ", 1.05 RST/0")), "true"}}
		}},
		{"time-wait-assassination-rfc1337", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{{r.stateAt(0, tcp.Closed), "60.06 (timer 2msl)"}, {fmt.Sprint(strings.HasSuffix(r.segs(1), ", 1.05 RST/0")), "true"}}
		}},
		{"half-open", "CLOSED SYN_SENT ESTABLISHED CLOSED", "LISTEN SYN_RCVD ESTABLISHED CLOSED",
			[2]syscall.Errno{syscall.ECONNRESET, syscall.ECONNABORTED}, func(r simRun) []check {
				return []check{{r.stateAt(1, tcp.Closed), "1.04 (host crash)"}, {r.stateAt(0, tcp.Closed), "2.06 (rcv RST)"}}
			}},
		{"keepalive-alive", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{{r.segs(0), "0 SYN/0, 0.02 ACK/0, 0.02 PSH,ACK/14, 0.04 ACK/0, 10.04 ACK/0, 20.06 ACK/0, 30.08 ACK/0, 35.04 FIN,ACK/0, 35.06 ACK/0"}}
		}},
		{"keepalive-dead-peer", "CLOSED SYN_SENT ESTABLISHED CLOSED", "LISTEN SYN_RCVD ESTABLISHED", [2]syscall.Errno{syscall.ETIMEDOUT}, func(r simRun) []check {
			return []check{{r.segs(0), "0 SYN/0, 0.02 ACK/0, 0.02 PSH,ACK/14, 0.04 ACK/0, 10.04 ACK/0, 12.04 ACK/0, 14.04 ACK/0, 16.04 RST,ACK/0"},
				{r.stateAt(0, tcp.Closed), "16.04 (timer keepalive)"}}
		}},
		{"keepalive-rebooted-peer", "CLOSED SYN_SENT ESTABLISHED CLOSED", "LISTEN SYN_RCVD ESTABLISHED CLOSED",
			[2]syscall.Errno{syscall.ECONNRESET, syscall.ECONNABORTED}, func(r simRun) []check {
				return []check{{r.stateAt(0, tcp.Closed), "10.06 (rcv RST)"}}
			}},
		{"listen-overflow", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			var drops []string
			for _, e := range trace.Segments(r.res.events, "server", trace.KindDrop) {
				drops = append(drops, fmt.Sprintf("%v %s", secs(e.Time), e.Reason))
			}
			return []check{{r.segs(0), "1 SYN/0, 2 SYN/0, 4 SYN/0, 4.02 ACK/0, 5 FIN,ACK/0, 5.02 ACK/0"},
				{strings.Join(drops, ", "), "1.01 listen-overflow, 2.01 listen-overflow"},
				{r.stateAt(1, tcp.SynReceived), "4.01 (rcv SYN)"}}
		}},
		{"syn-flood-cookies", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			// With a cookie the server keeps no state for the SYN: the
			// connection starts when the ACK brings the cookie back.
			return []check{{r.stateAt(1, tcp.SynReceived), "0.13 (rcv ACK)"}, {r.stateAt(1, tcp.Established), "0.13 (rcv ACK)"}}
		}},
		{"fin-wait-2-timeout", "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 CLOSED", passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			return []check{{r.stateAt(0, tcp.Closed), "60.04 (timer fin-wait-2)"}, {r.stateAt(1, tcp.Closed), "90.02 (rcv RST)"},
				{fmt.Sprint(strings.HasSuffix(r.segs(0), ", 90.01 RST/0")), "true"}}
		}},
		{"data-with-loss", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			var re []string
			for _, e := range trace.Segments(r.res.events, "client", trace.KindSend) {
				if e.Segment.Len > 0 && e.Time >= clock.Instant(40*time.Millisecond) && e.Time <= clock.Instant(45*time.Millisecond) {
					re = append(re, fmt.Sprintf("%v:%d", time.Duration(e.Time), e.Segment.Seq-r.isn(0)))
				}
			}
			// The duplicate ACKs at 0.04 s send the rest of the data; RACK
			// (RFC 8985 §6.2) marks the third segment (bytes 2897-4344)
			// lost a reordering window (a quarter of the 20 ms min RTT)
			// later, and the reorder timer sends it again at 0.045 s, long
			// before an RTO.
			return []check{{strings.Join(re, " "), "40ms:14481 40ms:15929 45ms:2897"}}
		}},
		{"zero-window", activeClose, passiveEnd, [2]syscall.Errno{}, func(r simRun) []check {
			var fired, zero []string
			for _, e := range r.res.events {
				if e.Host == "client" && e.Kind == trace.KindTimer && e.Timer == tcp.TimerPersist {
					fired = append(fired, fmt.Sprint(secs(e.Time)))
				}
				if e.Host == "server" && e.Kind == trace.KindSend && e.Segment.Window == 0 && !e.Segment.Flags.Has(wire.FlagRST) {
					zero = append(zero, fmt.Sprint(secs(e.Time)))
				}
			}
			return []check{{strings.Join(fired, " "), "0.26 0.7 1.14 2.02"}, {strings.Join(zero, " "), "0.27 0.71 2.03"},
				{r.stateAt(1, tcp.CloseWait), "3.11 (rcv FIN,PSH,ACK)"}}
		}},
	}
	var names []string
	for _, sc := range scenarios {
		names = append(names, sc.name)
	}
	for _, tt := range tests {
		if i := slices.Index(names, tt.name); i >= 0 {
			names = slices.Delete(names, i, i+1)
		}
		t.Run(tt.name, func(t *testing.T) {
			r := runSimScenario(t, tt.name)
			if got := r.path(0); got != tt.left {
				t.Errorf("%s went through %s, want %s", r.sc.hosts[0], got, tt.left)
			}
			if got := r.path(1); got != tt.right {
				t.Errorf("%s went through %s, want %s", r.sc.hosts[1], got, tt.right)
			}
			if r.res.errs != tt.errs {
				t.Errorf("the applications saw %v, want %v", r.res.errs, tt.errs)
			}
			if p := r.res.problem(r.sc, defaultOptions(tt.name)); p != "" {
				t.Errorf("did not end as expected: %s", p)
			}
			if tt.checks != nil {
				for i, c := range tt.checks(r) {
					if c.got != c.want {
						t.Errorf("check %d: got %s, want %s", i, c.got, c.want)
					}
				}
			}
		})
	}
	if len(names) > 0 {
		t.Errorf("scenarios without a test: %v", names)
	}
}

// isn is side's initial sequence number on the drawn connection.
func (r simRun) isn(side int) uint32 {
	for _, e := range trace.Segments(r.res.events, r.sc.hosts[side], trace.KindSend) {
		if e.Segment.Flags.Has(wire.FlagSYN) {
			return e.Segment.Seq
		}
	}
	return 0
}

// secs renders an instant in seconds, as short as exact: "1.14".
func secs(i clock.Instant) string { return strconv.FormatFloat(float64(i)/1e9, 'f', -1, 64) }
