package main

import (
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// timerScenarios are synack sim's scenarios about keep-alive, loss and
// flow control.
var timerScenarios = []scenario{
	keepalive("keepalive-alive",
		"idle after the echo, the client probes every 10 s; each is answered",
		"The client's keep-alive is on (idle 10 s, probes every 2 s, 3 unanswered end it; "+
			"Linux's defaults are 7200 s, 75 s and 9). After the echo the connection is idle: "+
			"10 s later the client sends a probe, an ACK with the sequence number SND.UNA−1 "+
			"and no data (RFC 1122 §4.2.3.6), and the server answers with an ACK; so again "+
			"every 10 s, until the client closes at 35 s.",
		[2]syscall.Errno{}, [2][]tcp.State{},
		func(d *demo) { d.later(35*time.Second, d.client.close) }),
	keepalive("keepalive-dead-peer",
		"the network goes down: 3 unanswered probes, then ETIMEDOUT",
		"The client's keep-alive is on (idle 10 s, probes every 2 s, 3 unanswered end it). "+
			"Right after the echo the network between the hosts goes down. 10 s later the "+
			"client probes, again at 12 s and 14 s; no answer comes, and 2 s after the third "+
			"probe it gives up with ETIMEDOUT and sends a RST, as Linux does, which is lost. "+
			"The server, which never hears of it, stays ESTABLISHED.",
		[2]syscall.Errno{syscall.ETIMEDOUT, 0}, [2][]tcp.State{nil, {tcp.Established}},
		func(d *demo) { d.w.Net.Partition(d.hosts[0].ID, d.hosts[1].ID) }),
	keepalive("keepalive-rebooted-peer",
		"the server reboots after the echo: the first probe draws a RST",
		"The client's keep-alive is on (idle 10 s). A second after the echo the server "+
			"host crashes and reboots, forgetting its connections. At 10 s the client's probe "+
			"reaches a host that knows no such connection, which answers with a RST (RFC 9293 "+
			"§3.10.7.1); the client's connection ends with ECONNRESET.",
		[2]syscall.Errno{syscall.ECONNRESET, syscall.ECONNABORTED}, [2][]tcp.State{},
		func(d *demo) { d.later(time.Second, d.hosts[1].Crash) }),
	{
		name:    "data-with-loss",
		summary: "16 KiB echoed; the client's third data segment is lost once",
		about: "The client sends 16 KiB (twelve segments) to the echo server and the network " +
			"loses the third. The server acknowledges the segments after the hole with " +
			"duplicate ACKs carrying SACK blocks (RFC 2018); RACK (RFC 8985) marks the hole " +
			"lost a reordering window later, and the client retransmits it without waiting " +
			"for its retransmission timer. The echo comes back whole and both ends close.",
		hosts:   [2]string{"client", "server"},
		timers:  true,
		echo:    true,
		message: func() string { return strings.Repeat("0123456789abcdef", 1024) },
		setup: func(d *demo) {
			d.listenEcho()
			client, data := d.hosts[0].ID, 0
			d.w.Net.AddRule(netem.Rule{Count: 1, Match: func(from, _ netem.HostID, pkt []byte) bool {
				if tb, ok := tcpSegment(pkt); ok && from == client && len(tb.Payload()) > 0 {
					data++
				}
				return from == client && data == 3
			}})
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() { d.client.close() })
		},
	},
	{
		name:    "zero-window",
		summary: "the server reads nothing for 3 s: zero window, persist probes",
		about: "The server's receive buffer holds 4 KiB and its application reads nothing for " +
			"the first 3 s. The client sends 16 KiB: the first 4 KiB fill the window, and the " +
			"server advertises a zero window. The client's persist timer fires, with backoff, " +
			"and each time it probes the window (RFC 9293 §3.8.6.1); when the server reads at 3 s " +
			"it advertises the window again, the rest flows, and both ends close.",
		hosts:  [2]string{"client", "server"},
		timers: true,
		config: func(side int, c *stack.Config) {
			if side == 1 {
				t := tcp.DefaultConfig()
				t.ReceiveBufferSize, t.ReceiveBufferMax = 4096, 4096
				c.TCP = &t
			}
		},
		setup: func(d *demo) {
			d.serve(func(p *peer) {
				p.read = false
				p.onEOF = func() { d.closeConn(p.c) }
				d.later(3*time.Second, p.startReading)
			})
			d.dial(peer{out: []byte(strings.Repeat("z", 16<<10)), close: true})
		},
	},
}

// keepalive is a keep-alive scenario: the echo, with the client probing
// after 10 s of silence, every 2 s, giving up after 3, and then
// afterEcho.
func keepalive(name, summary, about string, errs [2]syscall.Errno, open [2][]tcp.State, afterEcho func(d *demo)) scenario {
	return scenario{
		name: name, summary: summary, about: about,
		hosts:  [2]string{"client", "server"},
		timers: true,
		echo:   true,
		errs:   errs,
		open:   open,
		config: func(side int, c *stack.Config) {
			if side == 0 {
				t := tcp.DefaultConfig()
				t.KeepAlive = tcp.KeepAlive{Enable: true, Idle: 10 * time.Second, Interval: 2 * time.Second, Count: 3}
				c.TCP = &t
			}
		},
		setup: func(d *demo) {
			d.listenEcho()
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() { afterEcho(d) })
		},
	}
}
