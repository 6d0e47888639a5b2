package trace

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// The hosts of the hand-built scenarios.
var (
	clientAddr = netip.MustParseAddrPort("10.0.0.1:40000")
	serverAddr = netip.MustParseAddrPort("10.0.0.2:80")
)

const (
	clientISN uint32 = 1_000_000
	serverISN uint32 = 4_294_967_000 // wraps during the data transfer
)

// scenario builds an event list by hand, as two hosts would record it: the
// first at clientAddr, the second at serverAddr. Times are in microseconds.
type scenario struct {
	hosts  [2]string
	events []Event
}

// newScenario starts a scenario between the hosts "client" and "server".
func newScenario() *scenario { return &scenario{hosts: [2]string{"client", "server"}} }

func usec(us int64) clock.Instant { return clock.Instant(us * 1000) }

func (s *scenario) ends(host string) (local, remote netip.AddrPort) {
	if host == s.hosts[0] {
		return clientAddr, serverAddr
	}
	return serverAddr, clientAddr
}

func (s *scenario) peerOf(host string) string {
	if host == s.hosts[0] {
		return s.hosts[1]
	}
	return s.hosts[0]
}

func (s *scenario) add(us int64, host string, e Event) {
	e.Time, e.Host = usec(us), host
	e.Local, e.Remote = s.ends(host)
	s.events = append(s.events, e)
}

// listen records a listener opening on the second host: it has no remote end.
func (s *scenario) listen(us int64) {
	s.events = append(s.events, Event{Time: usec(us), Host: s.hosts[1], Local: serverAddr,
		Kind: KindState, From: tcp.Closed, To: tcp.Listen, Cause: call(tcp.CallListen)})
}

func (s *scenario) state(us int64, host string, from, to tcp.State, why tcp.Cause) {
	s.add(us, host, Event{Kind: KindState, From: from, To: to, Cause: why})
}

func (s *scenario) send(us int64, host string, seg Segment) {
	s.add(us, host, Event{Kind: KindSend, Segment: seg})
}

func (s *scenario) recv(us int64, host string, seg Segment) {
	s.add(us, host, Event{Kind: KindRecv, Segment: seg})
}

func (s *scenario) drop(us int64, host string, seg Segment, reason string) {
	s.add(us, host, Event{Kind: KindDrop, Segment: seg, Reason: reason})
}

func (s *scenario) timer(us int64, host string, t tcp.Timer) {
	s.add(us, host, Event{Kind: KindTimer, Timer: t})
}

// flight records host sending seg at us and its peer receiving it 5 ms later.
func (s *scenario) flight(us int64, host string, seg Segment) {
	s.send(us, host, seg)
	s.recv(us+5000, s.peerOf(host), seg)
}

func rcv(f wire.TCPFlags) tcp.Cause { return tcp.Cause{Kind: tcp.CauseSegment, Flags: f} }
func call(c tcp.Call) tcp.Cause     { return tcp.Cause{Kind: tcp.CauseCall, Call: c} }
func fired(t tcp.Timer) tcp.Cause   { return tcp.Cause{Kind: tcp.CauseTimer, Timer: t} }

const (
	syn    = wire.FlagSYN
	synAck = wire.FlagSYN | wire.FlagACK
	ack    = wire.FlagACK
	pshAck = wire.FlagPSH | wire.FlagACK
	finAck = wire.FlagFIN | wire.FlagACK
	rst    = wire.FlagRST
	rstAck = wire.FlagRST | wire.FlagACK
)

func synOptions(tsVal, tsEcr uint32) wire.TCPOptions {
	return wire.TCPOptions{MSS: 1460, HasMSS: true, SACKPermitted: true, WScale: 7, HasWScale: true,
		TSVal: tsVal, TSEcr: tsEcr, HasTS: true}
}

func ts(val, ecr uint32) wire.TCPOptions {
	return wire.TCPOptions{TSVal: val, TSEcr: ecr, HasTS: true}
}

// handshakeDataClose is a whole connection: three-way handshake, data both
// ways, the four-segment close and TIME_WAIT ending with the 2msl timer.
// Both ends scale their windows by 2^7 after the SYNs.
func handshakeDataClose() []Event {
	s := newScenario()
	c, v := clientISN, serverISN
	s.listen(0)
	s.state(1_000_000, "client", tcp.Closed, tcp.SynSent, call(tcp.CallOpen))
	s.flight(1_000_000, "client", Segment{Seq: c, Flags: syn, Window: 64240, Options: synOptions(1000, 0)})
	s.state(1_005_000, "server", tcp.Listen, tcp.SynReceived, rcv(syn))
	s.flight(1_005_000, "server", Segment{Seq: v, Ack: c + 1, Flags: synAck, Window: 65160, Options: synOptions(5000, 1000)})
	s.state(1_010_000, "client", tcp.SynSent, tcp.Established, rcv(synAck))
	s.flight(1_010_000, "client", Segment{Seq: c + 1, Ack: v + 1, Flags: ack, Window: 502, WindowShift: 7, Options: ts(1010, 5000)})
	s.state(1_015_000, "server", tcp.SynReceived, tcp.Established, rcv(ack))

	s.flight(1_020_000, "client", Segment{Seq: c + 1, Ack: v + 1, Flags: pshAck, Window: 502, WindowShift: 7, Len: 100, Options: ts(1020, 5000)})
	s.flight(1_025_000, "server", Segment{Seq: v + 1, Ack: c + 101, Flags: ack, Window: 509, WindowShift: 7, Options: ts(5025, 1020)})
	s.flight(1_026_000, "server", Segment{Seq: v + 1, Ack: c + 101, Flags: pshAck, Window: 509, WindowShift: 7, Len: 1000, Options: ts(5026, 1020)})
	s.flight(1_031_000, "client", Segment{Seq: c + 101, Ack: v + 1001, Flags: ack, Window: 501, WindowShift: 7, Options: ts(1031, 5026)})

	s.state(2_000_000, "client", tcp.Established, tcp.FinWait1, call(tcp.CallClose))
	s.flight(2_000_000, "client", Segment{Seq: c + 101, Ack: v + 1001, Flags: finAck, Window: 501, WindowShift: 7, Options: ts(2000, 5026)})
	s.state(2_005_000, "server", tcp.Established, tcp.CloseWait, rcv(finAck))
	s.flight(2_005_000, "server", Segment{Seq: v + 1001, Ack: c + 102, Flags: ack, Window: 509, WindowShift: 7, Options: ts(6005, 2000)})
	s.state(2_010_000, "client", tcp.FinWait1, tcp.FinWait2, rcv(ack))
	s.state(2_500_000, "server", tcp.CloseWait, tcp.LastAck, call(tcp.CallClose))
	s.flight(2_500_000, "server", Segment{Seq: v + 1001, Ack: c + 102, Flags: finAck, Window: 509, WindowShift: 7, Options: ts(6500, 2000)})
	s.state(2_505_000, "client", tcp.FinWait2, tcp.TimeWait, rcv(finAck))
	s.flight(2_505_000, "client", Segment{Seq: c + 102, Ack: v + 1002, Flags: ack, Window: 501, WindowShift: 7, Options: ts(2505, 6500)})
	s.state(2_510_000, "server", tcp.LastAck, tcp.Closed, rcv(ack))
	s.timer(62_505_000, "client", tcp.TimerTimeWait)
	s.state(62_505_000, "client", tcp.TimeWait, tcp.Closed, fired(tcp.TimerTimeWait))
	return s.events
}

// lostSYN is an active open whose first SYN the network loses; the
// retransmission timer sends it again a second later.
func lostSYN() []Event {
	s := newScenario()
	c, v := clientISN, serverISN
	s.listen(0)
	s.state(0, "client", tcp.Closed, tcp.SynSent, call(tcp.CallOpen))
	s.send(0, "client", Segment{Seq: c, Flags: syn, Window: 64240, Options: synOptions(100, 0)})
	s.timer(1_000_000, "client", tcp.TimerRetransmit)
	s.flight(1_000_000, "client", Segment{Seq: c, Flags: syn, Window: 64240, Options: synOptions(1100, 0)})
	s.state(1_005_000, "server", tcp.Listen, tcp.SynReceived, rcv(syn))
	s.flight(1_005_000, "server", Segment{Seq: v, Ack: c + 1, Flags: synAck, Window: 65160, Options: synOptions(7000, 1100)})
	s.state(1_010_000, "client", tcp.SynSent, tcp.Established, rcv(synAck))
	s.flight(1_010_000, "client", Segment{Seq: c + 1, Ack: v + 1, Flags: ack, Window: 502, Options: ts(1110, 7000)})
	s.state(1_015_000, "server", tcp.SynReceived, tcp.Established, rcv(ack))
	return s.events
}

// simultaneousOpen is RFC 9293 figure 7: both ends open actively, their
// SYNs cross, and each goes SYN_SENT -> SYN_RCVD -> ESTABLISHED.
func simultaneousOpen() []Event {
	s := &scenario{hosts: [2]string{"alice", "bob"}}
	a, b := clientISN, serverISN
	s.state(0, "alice", tcp.Closed, tcp.SynSent, call(tcp.CallOpen))
	s.flight(0, "alice", Segment{Seq: a, Flags: syn, Window: 64240, Options: synOptions(10, 0)})
	s.state(1000, "bob", tcp.Closed, tcp.SynSent, call(tcp.CallOpen))
	s.flight(1000, "bob", Segment{Seq: b, Flags: syn, Window: 64240, Options: synOptions(20, 0)})
	s.state(5000, "bob", tcp.SynSent, tcp.SynReceived, rcv(syn))
	s.flight(5000, "bob", Segment{Seq: b, Ack: a + 1, Flags: synAck, Window: 64240, Options: synOptions(25, 10)})
	s.state(6000, "alice", tcp.SynSent, tcp.SynReceived, rcv(syn))
	s.flight(6000, "alice", Segment{Seq: a, Ack: b + 1, Flags: synAck, Window: 64240, Options: synOptions(16, 20)})
	s.state(10_000, "alice", tcp.SynReceived, tcp.Established, rcv(synAck))
	s.state(11_000, "bob", tcp.SynReceived, tcp.Established, rcv(synAck))
	return s.events
}

// refused is an active open to a port where nothing listens: the server's
// stack answers the SYN with a RST, which aborts the connecting socket.
func refused() []Event {
	s := newScenario()
	c := clientISN
	s.state(0, "client", tcp.Closed, tcp.SynSent, call(tcp.CallOpen))
	seg := Segment{Seq: c, Flags: syn, Window: 64240, Options: synOptions(100, 0)}
	s.flight(0, "client", seg)
	s.drop(5000, "server", seg, "no-socket")
	s.flight(5000, "server", Segment{Seq: 0, Ack: c + 1, Flags: rstAck})
	s.state(10_000, "client", tcp.SynSent, tcp.Closed, rcv(rstAck))
	return s.events
}

// faults is a data transfer through a network that duplicates one segment
// and loses another, and a host that drops a corrupted one; no timestamps.
func faults() []Event {
	s := newScenario()
	c, v := clientISN, serverISN
	noTS := wire.TCPOptions{MSS: 1460, HasMSS: true, SACKPermitted: true, WScale: 7, HasWScale: true}
	sack := func(l, r uint32) wire.TCPOptions {
		return wire.TCPOptions{SACK: [wire.MaxSACKBlocks]wire.SACKBlock{{Left: l, Right: r}}, NumSACK: 1}
	}
	s.listen(0)
	s.state(0, "client", tcp.Closed, tcp.SynSent, call(tcp.CallOpen))
	s.flight(0, "client", Segment{Seq: c, Flags: syn, Window: 64240, Options: noTS})
	s.state(5000, "server", tcp.Listen, tcp.SynReceived, rcv(syn))
	s.flight(5000, "server", Segment{Seq: v, Ack: c + 1, Flags: synAck, Window: 64240, Options: noTS})
	s.state(10_000, "client", tcp.SynSent, tcp.Established, rcv(synAck))
	s.flight(10_000, "client", Segment{Seq: c + 1, Ack: v + 1, Flags: ack, Window: 502})
	s.state(15_000, "server", tcp.SynReceived, tcp.Established, rcv(ack))

	data1 := Segment{Seq: c + 1, Ack: v + 1, Flags: pshAck, Window: 502, Len: 100}
	s.flight(20_000, "client", data1)
	s.recv(25_100, "server", data1) // the network's copy
	s.flight(25_000, "server", Segment{Seq: v + 1, Ack: c + 101, Flags: ack, Window: 501})
	s.flight(25_100, "server", Segment{Seq: v + 1, Ack: c + 101, Flags: ack, Window: 501, Options: sack(c+1, c+101)})
	s.send(30_000, "client", Segment{Seq: c + 101, Ack: v + 1, Flags: pshAck, Window: 502, Len: 100})
	s.flight(30_000, "client", Segment{Seq: c + 201, Ack: v + 1, Flags: pshAck, Window: 502, Len: 100})
	s.flight(35_000, "server", Segment{Seq: v + 1, Ack: c + 101, Flags: ack, Window: 501, Options: sack(c+201, c+301)})
	s.timer(240_000, "client", tcp.TimerRetransmit)
	s.flight(240_000, "client", Segment{Seq: c + 101, Ack: v + 1, Flags: pshAck, Window: 502, Len: 100})
	bad := Segment{Seq: v + 1, Ack: c + 301, Flags: ack, Window: 501}
	s.flight(245_000, "server", bad)
	s.drop(250_000, "client", bad, "bad-checksum")
	return s.events
}

// listenerAndStrays follows a server whose listener closes while the
// connection it accepted lives on, a keepalive probe the network loses, and
// a segment and a state change the client's trace missed.
func listenerAndStrays() []Event {
	s := newScenario()
	c, v := clientISN, serverISN
	mss := wire.TCPOptions{MSS: 1460, HasMSS: true}
	s.listen(0)
	s.state(0, "client", tcp.Closed, tcp.SynSent, call(tcp.CallOpen))
	s.flight(0, "client", Segment{Seq: c, Flags: syn, Window: 64240, Options: mss})
	s.state(5000, "server", tcp.Listen, tcp.SynReceived, rcv(syn))
	s.flight(5000, "server", Segment{Seq: v, Ack: c + 1, Flags: synAck, Window: 64240, Options: mss})
	s.state(10_000, "client", tcp.SynSent, tcp.Established, rcv(synAck))
	s.flight(10_000, "client", Segment{Seq: c + 1, Ack: v + 1, Flags: ack, Window: 502})
	s.state(15_000, "server", tcp.SynReceived, tcp.Established, rcv(ack))
	s.events = append(s.events, Event{Time: usec(500_000), Host: "server", Local: serverAddr,
		Kind: KindState, From: tcp.Listen, To: tcp.Closed, Cause: call(tcp.CallClose)})
	s.timer(700_000, "client", tcp.TimerKeepalive)
	s.send(700_000, "client", Segment{Seq: c, Ack: v + 1, Flags: ack, Window: 502})
	s.recv(800_000, "server", Segment{Seq: c + 1, Ack: v + 1, Flags: pshAck, Window: 502, Len: 5})
	s.flight(800_000, "server", Segment{Seq: v + 1, Ack: c + 6, Flags: ack, Window: 501})
	// The client's CLOSE_WAIT was not recorded either.
	s.state(900_000, "client", tcp.CloseWait, tcp.LastAck, call(tcp.CallClose))
	return s.events
}
