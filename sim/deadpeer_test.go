package sim

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// unreachableFrom builds an ICMP or ICMPv6 destination unreachable with
// code, from router to the quoted packet's source, quoting quote.
func unreachableFrom(router netip.Addr, v6 bool, code uint8, quote []byte) []byte {
	if !v6 {
		ip := wire.IPv4(quote)
		pkt := make([]byte, 20+8+len(quote))
		wire.PutIPv4Header(pkt, router, ip.Src(), wire.ProtoICMPv4, 64, 7, 8+len(quote))
		wire.PutICMPv4(pkt[20:], wire.ICMPv4TypeDestUnreachable, code, 0, quote)
		return pkt
	}
	ip := wire.IPv6(quote)
	pkt := make([]byte, 40+8+len(quote))
	n := wire.PutICMPv6(pkt[40:], router, ip.Src(), wire.ICMPv6TypeDestUnreachable, code, 0, quote)
	wire.PutIPv6Header(pkt, router, ip.Src(), wire.ProtoICMPv6, 64, n)
	return pkt
}

// A destination unreachable about our SYN fails the connect at once with
// the errno Linux reports for its code (tcp_v4_err, tcp_v6_err), where
// RFC 1122 would wait for the SYN to time out.
func TestICMPUnreachableFailsConnectAtOnce(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("fd00::3")
	for _, c := range []struct {
		name string
		v6   bool
		code uint8
		want syscall.Errno
	}{
		{"net", false, wire.ICMPv4CodeNetUnreachable, syscall.ENETUNREACH},
		{"host", false, 1, syscall.EHOSTUNREACH},
		{"protocol", false, wire.ICMPv4CodeProtocolUnreachable, syscall.ENOPROTOOPT},
		{"port", false, wire.ICMPv4CodePortUnreachable, syscall.ECONNREFUSED},
		{"admin", false, 13, syscall.EHOSTUNREACH},
		{"v6 no route", true, wire.ICMPv6CodeNoRoute, syscall.ENETUNREACH},
		{"v6 admin", true, wire.ICMPv6CodeAdminProhibited, syscall.EACCES},
		{"v6 address", true, 3, syscall.EHOSTUNREACH},
		{"v6 port", true, wire.ICMPv6CodePortUnreachable, syscall.ECONNREFUSED},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := New(1)
			a := w.AddHost("A", addrA, func(s *stack.Config) { s.Addrs = append(s.Addrs, netip.MustParsePrefix("fd00::1/64")) })
			w.Net.AddAddress(a.ID, netip.MustParseAddr("fd00::1"))
			dst := v4
			if c.v6 {
				dst = v6
			}
			peer := w.AddRaw("P", dst)
			conn, err := a.Connect(0, netip.AddrPort{}, netip.AddrPortFrom(dst, 80))
			if err != nil {
				t.Fatal(err)
			}
			w.Run(100 * time.Millisecond)
			syn := peer.Received[0]
			w.At(100*time.Millisecond, func() { peer.Send(unreachableFrom(dst, c.v6, c.code, syn)) })
			w.Run(101 * time.Millisecond)
			if st := conn.Status(); st.State != tcp.Closed || !errors.Is(st.Err, c.want) {
				t.Fatalf("%v %v, want CLOSED %v at 100 ms", st.State, st.Err, c.want)
			}
		})
	}
}

// In a synchronized state a host unreachable is a soft error: the
// connection carries on, and if it later times out that is its error.
func TestICMPUnreachableIsSoftWhenSynchronized(t *testing.T) {
	short := tcp.DefaultConfig()
	short.Retries = 3
	p := newPair(t, WithTCP(short))
	ca := p.connect(t, 0)
	p.accept(t, 0)
	var quote []byte
	p.w.At(time.Second, func() {
		p.w.Net.AddRule(netem.Rule{Count: netem.Forever, Match: func(from, _ netem.HostID, pkt []byte) bool {
			if from == p.a.ID && quote == nil {
				quote = append([]byte(nil), pkt...)
			}
			return from == p.a.ID
		}})
		(*ca).Write([]byte("hello"))
	})
	p.w.Run(1100 * time.Millisecond)
	router := p.w.AddRaw("R", netip.MustParseAddr("10.0.0.254"))
	p.w.At(1100*time.Millisecond, func() { router.Send(unreachableFrom(netip.MustParseAddr("10.0.0.254"), false, 1, quote[:48])) })
	p.w.Run(1200 * time.Millisecond)
	if st := (*ca).Status(); st.State != tcp.Established {
		t.Fatalf("after a host unreachable: %v %v, want still ESTABLISHED", st.State, st.Err)
	}
	p.w.Run(10 * time.Minute)
	if st := (*ca).Status(); st.State != tcp.Closed || !errors.Is(st.Err, syscall.EHOSTUNREACH) {
		t.Fatalf("after the timeout: %v %v, want CLOSED EHOSTUNREACH", st.State, st.Err)
	}
}

// keepalivePair is a pair whose client (only) probes after 10 s of
// silence, every 2 s, giving up after 3 unanswered probes; the connection
// is set up at 0 and idle after the handshake (last segment received at 0).
func keepalivePair(t *testing.T) (*pair, **stack.Conn) {
	ka := tcp.DefaultConfig()
	ka.KeepAlive = tcp.KeepAlive{Enable: true, Idle: 10 * time.Second, Interval: 2 * time.Second, Count: 3}
	w := New(1)
	p := &pair{w: w, a: w.AddHost("A", addrA, WithTCP(ka)), b: w.AddHost("B", addrB)}
	ln, err := p.b.Listen(0, portB, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	ca := p.connect(t, 0)
	p.accept(t, 0)
	p.w.Run(time.Second)
	return p, ca
}

// keepaliveSegments is the transcript from t on.
func keepaliveSegments(p *pair, from time.Duration) []string {
	var out []string
	for _, l := range Transcript(p.w.Trace.Events, true) {
		var at float64
		if _, err := fmtSscan(l, &at); err == nil && time.Duration(at*float64(time.Second)) >= from {
			out = append(out, l)
		}
	}
	return out
}

// Keep-alive, peer alive: the probe (SND.UNA-1, no data) is answered with
// an ACK and the idle time starts again from the answer.
func TestKeepalivePeerAlive(t *testing.T) {
	p, ca := keepalivePair(t)
	p.w.Run(25 * time.Second)
	expectTail(t, keepaliveSegments(p, time.Second),
		"10.000000s A>B ACK seq=0 ack=1 len=0",
		"10.000000s B>A ACK seq=1 ack=1 len=0",
		"20.000000s A>B ACK seq=0 ack=1 len=0",
		"20.000000s B>A ACK seq=1 ack=1 len=0")
	if st := (*ca).State(); st != tcp.Established {
		t.Fatalf("state %v", st)
	}
}

// Keep-alive, peer down: three probes 2 s apart go unanswered; 2 s after
// the third the connection ends with ETIMEDOUT and, as Linux does, sends
// a reset.
func TestKeepalivePeerDown(t *testing.T) {
	p, ca := keepalivePair(t)
	p.w.Net.Partition(p.a.ID, p.b.ID)
	p.w.Run(30 * time.Second)
	expectTail(t, keepaliveSegments(p, time.Second),
		"10.000000s A>B ACK seq=0 ack=1 len=0",
		"12.000000s A>B ACK seq=0 ack=1 len=0",
		"14.000000s A>B ACK seq=0 ack=1 len=0",
		"16.000000s A>B RST,ACK seq=1 ack=1 len=0")
	if st := (*ca).Status(); st.State != tcp.Closed || !errors.Is(st.Err, syscall.ETIMEDOUT) {
		t.Fatalf("%v %v, want CLOSED ETIMEDOUT", st.State, st.Err)
	}
	if got := stateTimes(p.w, "A", tcp.Closed); len(got) != 1 || got[0] != 16*time.Second {
		t.Fatalf("closed at %v, want 16s", got)
	}
	if n := p.a.Counters().TCPAbortOnTimeout; n != 1 {
		t.Errorf("TCPAbortOnTimeout = %d, want 1", n)
	}
}

// Keep-alive, peer rebooted: the peer's host forgot the connection, so
// the probe draws a reset (RFC 9293 §3.10.7.1) and the connection ends
// with ECONNRESET.
func TestKeepalivePeerRebooted(t *testing.T) {
	p, ca := keepalivePair(t)
	p.b.Crash()
	p.w.Run(30 * time.Second)
	expectTail(t, keepaliveSegments(p, time.Second),
		"10.000000s A>B ACK seq=0 ack=1 len=0",
		"10.000000s B>A RST seq=1 len=0")
	if st := (*ca).Status(); st.State != tcp.Closed || !errors.Is(st.Err, syscall.ECONNRESET) {
		t.Fatalf("%v %v, want CLOSED ECONNRESET", st.State, st.Err)
	}
}

// Keep-alive, peer unreachable: a router answers every probe with host
// unreachable. Like Linux (tcp_v4_err's check that the quoted sequence
// number lies in SND.UNA..SND.NXT), the messages are ignored, since a
// probe's SND.UNA-1 lies outside; the connection ends as for a peer that
// is down, with ETIMEDOUT, and the messages are counted as dropped.
func TestKeepalivePeerUnreachable(t *testing.T) {
	p, ca := keepalivePair(t)
	router := p.w.AddRaw("R", netip.MustParseAddr("10.0.0.254"))
	p.w.Net.AddRule(netem.Rule{Count: netem.Forever, Match: func(from, _ netem.HostID, pkt []byte) bool {
		if from != p.a.ID {
			return false
		}
		quote := append([]byte(nil), pkt...)
		p.w.After(0, func() { router.Send(unreachableFrom(netip.MustParseAddr("10.0.0.254"), false, 1, quote)) })
		return true
	}})
	p.w.Run(30 * time.Second)
	if st := (*ca).Status(); st.State != tcp.Closed || !errors.Is(st.Err, syscall.ETIMEDOUT) {
		t.Fatalf("%v %v, want CLOSED ETIMEDOUT", st.State, st.Err)
	}
	if got := stateTimes(p.w, "A", tcp.Closed); len(got) != 1 || got[0] != 16*time.Second {
		t.Fatalf("closed at %v, want 16s", got)
	}
	// One message per probe; the one about the reset arrives once the
	// connection is gone, and is dropped too.
	if n := p.a.Counters().Drops[stack.DropBadICMP]; n != 4 {
		t.Errorf("%d ICMP messages dropped, want 4", n)
	}
}

// expectTail compares got with want.
func expectTail(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("segments:\n  %s\nwant:\n  %s", joinLines(got), joinLines(want))
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("segments:\n  %s\nwant:\n  %s", joinLines(got), joinLines(want))
		}
	}
}

func joinLines(l []string) string { return strings.Join(l, "\n  ") }

func fmtSscan(line string, at *float64) (int, error) { return fmt.Sscanf(line, "%fs", at) }
