package main

import (
	"net/netip"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// openScenarios are synack sim's scenarios about opening connections.
var openScenarios = []scenario{
	{
		name:    "handshake",
		summary: "the three-way handshake alone; both ends stay ESTABLISHED",
		about: "The client opens a connection to port 7 of the server: SYN, SYN,ACK, ACK " +
			"(RFC 9293 §3.5, Figure 6). The SYN and the SYN,ACK carry the MSS, SACK-permitted, " +
			"timestamp and window-scale options; the scaling applies from the third segment on. " +
			"Neither end has anything more to say, so both stay ESTABLISHED.",
		hosts: [2]string{"client", "server"},
		open:  [2][]tcp.State{{tcp.Established}, {tcp.Established}},
		setup: func(d *demo) {
			d.serve(func(*peer) {})
			d.dial(peer{})
		},
	},
	{
		name:    "listen-overflow",
		summary: "a full accept queue (backlog 1) drops SYNs until the server accepts",
		about: "The server listens with a backlog of 1 and its application does not accept " +
			"until 3 s. The client's first connection, at 0, fills the accept queue. Its " +
			"second, at 1 s, finds the queue full: the server drops the SYN (counted as a " +
			"listen overflow), as Linux does, and the client retransmits it after 1 s and " +
			"again 2 s later. At 3 s the application accepts the first connection, so the " +
			"SYN of 4 s gets through. The client closes both at 5 s. The diagram shows the " +
			"second connection.",
		hosts:  [2]string{"client", "server"},
		timers: true,
		skip:   1,
		setup: func(d *demo) {
			start := d.listen(1, false, func(c *stack.Conn) {
				p := &peer{d: d, c: c, read: true}
				p.onEOF = func() { d.closeConn(c) }
				p.run()
			})
			a := d.dial(peer{})
			d.later(time.Second, func() {
				b := d.dial(peer{})
				d.later(4*time.Second, func() { d.closeConn(a.c); d.closeConn(b.c) })
			})
			d.later(3*time.Second, start)
		},
	},
	{
		name:    "syn-flood-cookies",
		summary: "16 spoofed SYNs fill the SYN queue; the client gets in by SYN cookie",
		about: "The server listens with a backlog of 8. In the first 16 ms a flood of 16 SYNs " +
			"from spoofed addresses (10.0.9.1 to 10.0.9.16, where no host answers) fills its " +
			"SYN queue. At 100 ms the client connects: the queue is full, so the server answers " +
			"with a SYN cookie (RFC 4987 §3.6, as Linux's tcp_syncookies=1) and keeps no state; " +
			"the client's ACK carries the cookie back, the server rebuilds the connection from " +
			"it, and the echo and the close go on as usual.",
		hosts: [2]string{"client", "server"},
		echo:  true,
		setup: func(d *demo) {
			d.listen(8, true, d.serveEcho)
			flood := d.w.AddRaw("flood", netip.MustParseAddr("10.0.0.250"))
			for i := range 16 {
				d.later(time.Duration(i)*time.Millisecond, func() {
					src := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 9, byte(i + 1)}), uint16(40000+i))
					pkt := spoofedSYN(src, d.addr(1, echoPort), uint32(i)*0x01000193)
					d.captured(pkt)
					flood.Send(pkt)
				})
			}
			d.later(100*time.Millisecond, func() {
				d.runClient(d.connect(0, netip.AddrPort{}, d.addr(1, echoPort)), func() { d.client.close() })
			})
		},
	},
}

// spoofedSYN is an IPv4 SYN from src to dst with the options Linux sends.
func spoofedSYN(src, dst netip.AddrPort, seq uint32) []byte {
	o := wire.TCPOptions{MSS: 1460, HasMSS: true, WScale: 7, HasWScale: true, SACKPermitted: true, HasTS: true, TSVal: seq}
	n := wire.TCPMinHeaderLen + o.Len()
	pkt := make([]byte, 20+n)
	wire.PutIPv4Header(pkt, src.Addr(), dst.Addr(), wire.ProtoTCP, 64, 1, n)
	tb := wire.TCP(pkt[20:])
	wire.PutTCPHeader(tb, wire.TCPHeader{SrcPort: src.Port(), DstPort: dst.Port(), Seq: seq, Flags: wire.FlagSYN, Window: 65535}, &o)
	tb.SetChecksum(wire.TransportChecksum(src.Addr(), dst.Addr(), wire.ProtoTCP, tb))
	return pkt
}

// tcpSegment returns the TCP header of an IPv4 packet, if it holds one.
func tcpSegment(pkt []byte) (wire.TCP, bool) {
	ip := wire.IPv4(pkt)
	if ip.Validate() != nil || ip.Protocol() != wire.ProtoTCP {
		return nil, false
	}
	tb := wire.TCP(ip.Payload())
	return tb, tb.Validate() == nil
}
