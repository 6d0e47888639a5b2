package main

import (
	"fmt"
	"io"
	"net/netip"
	"slices"
	"syscall"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// scenario is one story the demo can tell: who the two hosts are, what their
// applications do, and how the story should end.
type scenario struct {
	name    string
	summary string    // one line, for --list
	about   string    // what the diagram shows, for the header
	hosts   [2]string // the names of the left and right hosts
	timers  bool      // show the timers even without --timers
	echo    bool      // whether the whole message should come back
	errs    [2]syscall.Errno
	setup   func(d *demo) // installs the applications and schedules their actions

	// config, if not nil, adjusts each host (side 0 left, 1 right).
	config func(side int, c *stack.Config)
	// open are the states each host's connections are meant to be left
	// in at the end, when not CLOSED.
	open [2][]tcp.State
	// message, if not nil, is the text the client sends instead of
	// --message.
	message func() string
	// skip is how many of the left host's connections the diagram leaves
	// out: it draws the next one.
	skip int
}

// scenarios is the catalogue, in the order --list shows it: the demo's
// first, then the rest of synack sim's.
var scenarios = slices.Concat(demoScenarios, openScenarios, closeScenarios, timerScenarios)

// demoScenarios are the demo's own. Together they visit all eleven states
// of RFC 9293.
var demoScenarios = []scenario{
	{
		name:    "echo",
		summary: "handshake, one line echoed, orderly close by the client (the default)",
		about: "The client opens a connection to the echo service (port 7) of the server " +
			"with the three-way handshake, sends one line and reads it back, then closes " +
			"first: it passes through FIN_WAIT_1, FIN_WAIT_2 and TIME_WAIT, which it leaves " +
			"after 2×MSL (60 s), while the server, reading end-of-file, closes from " +
			"CLOSE_WAIT through LAST_ACK.",
		hosts: [2]string{"client", "server"},
		echo:  true,
		setup: func(d *demo) {
			d.listenEcho()
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() { d.client.close() })
		},
	},
	{
		name:    "simultaneous-close",
		summary: "both ends close at once: FIN_WAIT_1 -> CLOSING -> TIME_WAIT on both",
		about: "After the echo, client and server close at the same instant, so their FINs " +
			"cross in the network. Each end receives the other's FIN while in FIN_WAIT_1, " +
			"before its own FIN is acknowledged, and moves to CLOSING; the ACKs of the FINs " +
			"then take both ends to TIME_WAIT (RFC 9293 Figure 13).",
		hosts: [2]string{"client", "server"},
		echo:  true,
		setup: func(d *demo) {
			d.listenEcho()
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() {
				d.client.close()
				d.server.close()
			})
		},
	},
	{
		name:    "simultaneous-open",
		summary: "two hosts connect to each other at the same instant, without a listener",
		about: "Hosts A (10.0.0.1:5000) and B (10.0.0.2:6000) each actively open a connection " +
			"to the other at the same instant; there is no listener. Their SYNs cross, each " +
			"moves from SYN_SENT to SYN_RCVD and answers with a SYN,ACK, and one connection " +
			"results (RFC 9293 Figure 7). A then sends the line, B echoes it, and A closes " +
			"first.",
		hosts: [2]string{"A", "B"},
		echo:  true,
		setup: func(d *demo) {
			a := d.connect(0, d.addr(0, 5000), d.addr(1, 6000))
			b := d.connect(1, d.addr(1, 6000), d.addr(0, 5000))
			d.runClient(a, func() { d.client.close() })
			d.serveEcho(b)
		},
	},
	{
		name:    "refused",
		summary: "connect to a port with no listener: the SYN draws a RST",
		about: "The client connects to port 7 of the server, where nothing listens. The server " +
			"answers the SYN with a RST,ACK (RFC 9293 §3.10.7.1) and the client's connect " +
			"fails with ECONNREFUSED.",
		hosts: [2]string{"client", "server"},
		errs:  [2]syscall.Errno{syscall.ECONNREFUSED, 0},
		setup: func(d *demo) {
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() { d.client.close() })
		},
	},
	{
		name:    "syn-timeout",
		summary: "the server is unreachable: SYN retransmitted with backoff, then ETIMEDOUT",
		about: "The network drops every packet to the server. The client retransmits its SYN " +
			"when the retransmission timer fires, doubling the timeout each time (1, 3, 7, 15, " +
			"31 and 63 s after the first SYN: six retries, as Linux's tcp_syn_retries), and " +
			"gives up at 127 s with ETIMEDOUT.",
		hosts:  [2]string{"client", "server"},
		timers: true,
		errs:   [2]syscall.Errno{syscall.ETIMEDOUT, 0},
		setup: func(d *demo) {
			d.listenEcho()
			server := d.hosts[1].ID
			d.w.Net.AddRule(netem.Rule{
				Match: func(_, to netem.HostID, _ []byte) bool { return to == server },
				Count: netem.Forever,
			})
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() { d.client.close() })
		},
	},
	{
		name:    "half-open",
		summary: "the server crashes after the echo; the client's next write draws a RST",
		about: "One second after the echo, the server host crashes and reboots, forgetting " +
			"its connections without a word: the client's connection is now half-open " +
			"(RFC 9293 §3.5.1). One second later the client writes the line again; the " +
			"rebooted server knows no such connection and answers with a RST, and the " +
			"client's connection fails with ECONNRESET.",
		hosts: [2]string{"client", "server"},
		echo:  true,
		errs:  [2]syscall.Errno{syscall.ECONNRESET, syscall.ECONNABORTED},
		setup: func(d *demo) {
			d.listenEcho()
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() {
				d.w.After(time.Second, d.hosts[1].Crash)
				d.w.After(2*time.Second, func() { d.client.send([]byte(d.msg)) })
			})
		},
	},
}

// text is the message the client of sc sends.
func (sc scenario) text(o demoOptions) string {
	if sc.message != nil {
		return sc.message()
	}
	return o.message
}

// lookupScenario finds a scenario by name.
func lookupScenario(name string) (scenario, bool) {
	for _, sc := range scenarios {
		if sc.name == name {
			return sc, true
		}
	}
	return scenario{}, false
}

// listScenarios writes one line per scenario to w.
func listScenarios(w io.Writer) {
	for _, sc := range scenarios {
		fmt.Fprintf(w, "%-23s %s\n", sc.name, sc.summary)
	}
}
