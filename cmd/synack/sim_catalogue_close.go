package main

import (
	"net/netip"
	"syscall"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// closeScenarios are synack sim's scenarios about ending connections.
var closeScenarios = []scenario{
	{
		name:    "close",
		summary: "orderly close in four segments: FIN, ACK, a second later FIN, ACK",
		about: "The client opens a connection and closes it at once (FIN_WAIT_1). The server " +
			"acknowledges the FIN at once (the client moves to FIN_WAIT_2, the server to " +
			"CLOSE_WAIT) but its application closes only a second later: its FIN (LAST_ACK) and " +
			"the client's ACK make the four segments of RFC 9293 Figure 12. The client waits in " +
			"TIME_WAIT for 2×MSL (60 s).",
		hosts: [2]string{"client", "server"},
		setup: func(d *demo) {
			d.serve(func(p *peer) {
				p.onEOF = func() { d.later(time.Second, func() { d.closeConn(p.c) }) }
			})
			d.dial(peer{close: true})
		},
	},
	{
		name:    "close-3",
		summary: "orderly close in three segments: the server's FIN rides on its ACK",
		about: "The client sends a line, the echo server sends it back, and a second later " +
			"the client closes (FIN_WAIT_1). The server, which has sent data of its own, " +
			"delays its acknowledgment of the FIN (delayed ACK, RFC 9293 §3.8.6.3), and its " +
			"application, reading the end of file, closes in the same instant: the FIN goes " +
			"out with the acknowledgment in one FIN,ACK, so the close takes three segments. " +
			"The client passes through FIN_WAIT_2 and into TIME_WAIT on that one segment.",
		hosts: [2]string{"client", "server"},
		echo:  true,
		setup: func(d *demo) {
			d.listenEcho()
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() {
				d.later(time.Second, d.client.close)
			})
		},
	},
	{
		name:    "half-close",
		summary: "the client shuts down sending; the server still answers, then closes",
		about: "The client sends a request and shuts down its sending side (shutdown(SHUT_WR), " +
			"CloseWrite): its FIN follows the request and it moves to FIN_WAIT_1, then " +
			"FIN_WAIT_2. The server reads the request and the end of file (CLOSE_WAIT) and, a " +
			"second later, sends its answer over the half-closed connection; the client reads " +
			"it in FIN_WAIT_2. A second after that the server closes, and the client, reading " +
			"the end of file, closes too (TIME_WAIT).",
		hosts: [2]string{"client", "server"},
		setup: func(d *demo) {
			d.serve(func(p *peer) {
				p.onEOF = func() {
					d.later(time.Second, func() {
						p.c.Write([]byte("answer\n"))
						d.later(time.Second, func() { d.closeConn(p.c) })
					})
				}
			})
			p := d.dial(peer{read: true})
			p.onReady = func() {
				p.c.Write([]byte("request\n"))
				p.c.Shutdown(d.w.Now())
			}
			p.onEOF = func() { d.closeConn(p.c) }
		},
	},
	{
		name:    "abort",
		summary: "after the echo the client aborts (SO_LINGER 0): a RST, not a FIN",
		about: "After the echo the client closes with SO_LINGER set to 0 (SetLinger(0), then " +
			"Close): its connection goes from ESTABLISHED straight to CLOSED and sends a RST " +
			"(RFC 9293 §3.10.5, ABORT), dropping whatever was queued. The server's connection " +
			"is reset too, and its application's next read fails with ECONNRESET.",
		hosts: [2]string{"client", "server"},
		echo:  true,
		errs:  [2]syscall.Errno{0, syscall.ECONNRESET},
		setup: func(d *demo) {
			d.listenEcho()
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() {
				d.client.closed = true
				d.client.c.Abort(d.w.Now())
			})
		},
	},
	{
		name:    "lost-final-ack",
		summary: "the last ACK is lost: the server resends its FIN, TIME_WAIT re-ACKs",
		about: "The echo and the close go as usual, but the network loses the client's ACK " +
			"of the server's FIN. The server, in LAST_ACK, retransmits its FIN when its " +
			"retransmission timer fires; the client, in TIME_WAIT, acknowledges it again and " +
			"starts its 2×MSL timer anew (RFC 9293 §3.10.7.4) — the reason TIME_WAIT exists.",
		hosts:  [2]string{"client", "server"},
		timers: true,
		echo:   true,
		setup: func(d *demo) {
			d.listenEcho()
			client, server := d.hosts[0].ID, d.hosts[1].ID
			finSeen := false
			d.w.Net.AddRule(netem.Rule{Count: 1, Match: func(from, _ netem.HostID, pkt []byte) bool {
				tb, ok := tcpSegment(pkt)
				if !ok {
					return false
				}
				if from == server && tb.Flags().Has(wire.FlagFIN) {
					finSeen = true
				}
				return from == client && finSeen && tb.Flags() == wire.FlagACK && len(tb.Payload()) == 0
			}})
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() { d.client.close() })
		},
	},
	assassination("time-wait-assassination", false),
	assassination("time-wait-assassination-rfc1337", true),
	{
		name:    "fin-wait-2-timeout",
		summary: "the server never closes: the client gives up FIN_WAIT_2 after 60 s",
		about: "The client sends a line and closes; the server acknowledges the FIN (CLOSE_WAIT) " +
			"but its application does not close. A connection its user has closed does not wait " +
			"in FIN_WAIT_2 forever: after 60 s (Linux's tcp_fin_timeout) the client's ends " +
			"without a segment. When the server's application closes at last, at 90 s, its FIN " +
			"finds no connection and draws a RST.",
		hosts:  [2]string{"client", "server"},
		timers: true,
		setup: func(d *demo) {
			d.serve(func(*peer) {})
			d.dial(peer{out: []byte(d.msg), close: true})
			d.later(90*time.Second, func() { d.closeConn(d.conns[1][0]) })
		},
	},
}

// assassination is the scenario of RFC 1337's hazard H1, with the
// client's RFC 1337 protection on or off.
func assassination(name string, rfc1337 bool) scenario {
	sc := scenario{
		name:   name,
		hosts:  [2]string{"client", "server"},
		timers: true,
		echo:   true,
		config: func(side int, c *stack.Config) {
			t := tcp.DefaultConfig()
			t.RFC1337 = rfc1337
			c.TCP = &t
		},
		setup: func(d *demo) {
			d.listenEcho()
			old := d.w.AddRaw("old", netip.MustParseAddr("10.0.0.251"))
			server := d.hosts[1].ID
			var dup []byte // the server's first segment with data, kept
			d.w.Net.AddRule(netem.Rule{Count: netem.Forever, Match: func(from, _ netem.HostID, pkt []byte) bool {
				if tb, ok := tcpSegment(pkt); ok && dup == nil && from == server && len(tb.Payload()) > 0 {
					dup = append([]byte(nil), pkt...)
				}
				return false // it drops nothing: it only keeps a copy
			}})
			d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() {
				d.client.close()
				d.later(time.Second, func() {
					d.captured(dup)
					old.Send(dup)
				})
			})
		},
	}
	if rfc1337 {
		sc.summary = "the same with RFC 1337 on: the RST is ignored"
		sc.about = "As in time-wait-assassination, an old duplicate of the server's echo reaches " +
			"the client in TIME_WAIT a second after the close, the client acknowledges it and " +
			"the server, which has no connection, answers with a RST. With RFC 1337's fix on " +
			"(synack's default), the client ignores a RST in TIME_WAIT and stays there the " +
			"whole 2×MSL."
	} else {
		sc.summary = "an old duplicate draws a RST that ends TIME_WAIT (RFC 1337 off)"
		sc.about = "After the echo and the close, the network delivers an old duplicate of the " +
			"server's echo segment to the client in TIME_WAIT, a second after the close. The " +
			"client acknowledges it (the segment is old); the server, whose connection is " +
			"CLOSED, answers that ACK with a RST. With RFC 1337's fix off (Linux's default, " +
			"tcp_rfc1337=0) the RST ends TIME_WAIT at once: TIME-WAIT assassination, hazard " +
			"H1 of RFC 1337, which leaves the 4-tuple open to the old connection's segments."
	}
	return sc
}
