package drill

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// mustParse parses a snippet or fails the test.
func mustParse(t *testing.T, src string) *Script {
	t.Helper()
	s, err := Parse("t.pkt", src)
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, src)
	}
	return s
}

func TestParseStructure(t *testing.T) {
	s := mustParse(t, `--tolerance_usecs=7000
--tcp_ts_tick_usecs=1000
`+"`../common/defaults.sh`"+`
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+.5 close(3) = 0
`+"`/tmp/sysctl_restore_${PPID}.sh`"+`
`)
	if len(s.Options) != 2 || s.Options[0] != (Option{Line: 1, Name: "tolerance_usecs", Value: "7000"}) {
		t.Errorf("options = %+v", s.Options)
	}
	if s.Init == nil || s.Init.Text != "../common/defaults.sh" || s.Init.Line != 3 {
		t.Errorf("init = %+v", s.Init)
	}
	if s.Cleanup == nil || s.Cleanup.Line != 6 {
		t.Errorf("cleanup = %+v", s.Cleanup)
	}
	if len(s.Events) != 2 || s.Events[1].Line != 5 || s.Events[1].Time != (Time{Kind: TimeRelative, At: 500 * time.Millisecond}) {
		t.Errorf("events = %+v", s.Events)
	}
}

func TestParseTimes(t *testing.T) {
	tests := []struct {
		line string
		want Time
	}{
		{"+0 close(3) = 0", Time{Kind: TimeRelative}},
		{"0.250 close(3) = 0", Time{At: 250 * time.Millisecond}},
		{"+.1...0.200 read(4, ..., 1) = 1", Time{Kind: TimeRelative, At: 100 * time.Millisecond, Blocking: true, BlockEnd: 200 * time.Millisecond}},
		{"0.1...0.2 read(4, ..., 1) = 1", Time{At: 100 * time.Millisecond, Blocking: true, BlockEnd: 200 * time.Millisecond}},
		{"* > . 1:1(0) ack 1", Time{Kind: TimeAny}},
		{"+.1~+.3 > . 1:1(0) ack 1", Time{Kind: TimeRelative, At: 100 * time.Millisecond, HasRange: true, RangeEnd: 300 * time.Millisecond}},
		{"0.000001 close(3) = 0", Time{At: time.Microsecond}},
	}
	for _, tt := range tests {
		s := mustParse(t, "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n"+tt.line)
		if got := s.Events[1].Time; got != tt.want {
			t.Errorf("%q: time %+v, want %+v", tt.line, got, tt.want)
		}
	}
}

func TestParsePackets(t *testing.T) {
	tests := []struct {
		line string
		want Packet
	}{
		{"< S 0:0(0) win 32792 <mss 1000,nop,wscale 7>", Packet{Flags: wire.FlagSYN, Win: 32792, HasWin: true,
			Options: []TCPOption{{Kind: OptMSS, Value: 1000}, {Kind: OptNOP}, {Kind: OptWScale, Value: 7}}}},
		{"> P. 1:2001(2000) ack 1", Packet{Dir: Outbound, Flags: wire.FlagPSH | wire.FlagACK, Seq: 1, Len: 2000, Ack: 1, HasAck: true}},
		{"> S. 0:0(0) ack 1 <...>", Packet{Dir: Outbound, Flags: wire.FlagSYN | wire.FlagACK, Ack: 1, HasAck: true, AnyOptions: true}},
		{"> R 1:1(0) ack 0 win 0", Packet{Dir: Outbound, Flags: wire.FlagRST, Seq: 1, HasAck: true, HasWin: true}},
		{"< - 1:1001(1000) win 20000", Packet{Seq: 1, Len: 1000, Win: 20000, HasWin: true}},
		{"< FP. 1:11(10) ack 5 win 257 urg 3", Packet{Flags: wire.FlagFIN | wire.FlagPSH | wire.FlagACK, Seq: 1, Len: 10,
			Ack: 5, HasAck: true, Win: 257, HasWin: true, Urg: 3, HasUrg: true}},
		{"< . 1:1(0) ack 1 win 257 <sack 1461:2921 4381:5841,nop,nop>", Packet{Flags: wire.FlagACK, Seq: 1, Ack: 1, HasAck: true,
			Win: 257, HasWin: true, Options: []TCPOption{{Kind: OptSACK, Blocks: []wire.SACKBlock{{Left: 1461, Right: 2921}, {Left: 4381, Right: 5841}}},
				{Kind: OptNOP}, {Kind: OptNOP}}}},
		{"> F. 1:1(0) ack 1 <nop,nop,TS val 1200 ecr 200>", Packet{Dir: Outbound, Flags: wire.FlagFIN | wire.FlagACK, Seq: 1, Ack: 1, HasAck: true,
			Options: []TCPOption{{Kind: OptNOP}, {Kind: OptNOP}, {Kind: OptTS, TSVal: 1200, TSEcr: 200}}}},
		{"< SEW 0:0(0) win 1 <eol,nop,nop,nop>", Packet{Flags: wire.FlagSYN | wire.FlagECE | wire.FlagCWR, Win: 1, HasWin: true,
			Options: []TCPOption{{Kind: OptEOL}, {Kind: OptNOP}, {Kind: OptNOP}, {Kind: OptNOP}}}},
	}
	for _, tt := range tests {
		s := mustParse(t, "0 "+tt.line)
		if got := s.Events[0].Packet; !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.line, *got, tt.want)
		}
		if got := formatPacket(s.Events[0].Packet); got != tt.line {
			t.Errorf("formatPacket = %q, want %q", got, tt.line)
		}
	}
}

func TestParseICMP(t *testing.T) {
	tests := []struct {
		line string
		want Packet
	}{
		{"< icmp unreachable host_unreachable [0:0(0)]", Packet{ICMP: &ICMPMessage{Type: "unreachable", Code: "host_unreachable", Quoted: true}}},
		{"< icmp unreachable frag_needed mtu 1000 [1:1461(1460)]", Packet{Seq: 1, Len: 1460,
			ICMP: &ICMPMessage{Type: "unreachable", Code: "frag_needed", MTU: 1000, HasMTU: true, Quoted: true}}},
		{"< icmp packet_too_big mtu 1280 [1001:2001(1000)]", Packet{Seq: 1001, Len: 1000,
			ICMP: &ICMPMessage{Type: "packet_too_big", MTU: 1280, HasMTU: true, Quoted: true}}},
		{"< icmp unreachable address_unreachable", Packet{ICMP: &ICMPMessage{Type: "unreachable", Code: "address_unreachable"}}},
		{"< icmp source_quench [0:0(0)]", Packet{ICMP: &ICMPMessage{Type: "source_quench", Quoted: true}}},
		{"< icmp type_3 code_13 [5:5(0)]", Packet{Seq: 5, ICMP: &ICMPMessage{Type: "type_3", Code: "code_13", Quoted: true}}},
	}
	for _, tt := range tests {
		s := mustParse(t, "0 "+tt.line)
		if got := s.Events[0].Packet; !reflect.DeepEqual(*got, tt.want) {
			t.Errorf("%q:\n got %+v %+v\nwant %+v %+v", tt.line, *got, got.ICMP, tt.want, tt.want.ICMP)
		}
		if got := formatPacket(s.Events[0].Packet); got != tt.line {
			t.Errorf("formatPacket = %q, want %q", got, tt.line)
		}
	}
}

func TestParseICMPErrors(t *testing.T) {
	for _, tt := range []struct{ line, msg string }{
		{"0 < icmp", "expected an ICMP type"},
		{"0 < icmp unreachable bogus_code [0:0(0)]", "ICMP code bogus_code does not exist"},
		{"0 < icmp bogus_type", "ICMP type bogus_type does not exist"},
		{"0 < icmp unreachable port_unreachable mtu 1000", "an MTU is only for"},
		{"0 < icmp unreachable frag_needed mtu 70000", "MTU 70000 out of range"},
		{"0 < icmp type_300", "ICMP type type_300 does not exist"},
		{"0 < icmp unreachable [1:2(5)]", "does not match its length"},
		{"0 < icmp unreachable [0:0(0)", "after the quoted segment"},
	} {
		_, err := Parse("t.pkt", tt.line)
		pe, ok := err.(*ParseError)
		if !ok || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %v, want a parse error containing %q", tt.line, err, tt.msg)
		}
	}
	for _, line := range []string{
		"0 > icmp unreachable port_unreachable",
		"0 < icmp echo_request",
		"0 < icmp unreachable port_unreachable [udp (10)]",
		"0 < icmp echo_reply id 5",
		"0 < icmp unreachable port_unreachable id 5",
	} {
		if _, err := Parse("t.pkt", line); !IsUnsupported(err) {
			t.Errorf("Parse(%q) = %v, want an *UnsupportedError", line, err)
		}
	}
}

func TestParseSyscalls(t *testing.T) {
	s := mustParse(t, `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 fcntl(3, F_GETFL) = 0x802 (flags O_RDWR|O_NONBLOCK)
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
+0 poll([{fd=3, events=POLLOUT, revents=POLLOUT}], 1, 1000) = 1
+0 sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10
+0 getsockopt(3, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0
`)
	want := []string{
		"socket(..., SOCK_STREAM, IPPROTO_TCP) = 3",
		"fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0",
		"fcntl(3, F_GETFL) = 2050",
		"connect(3, ..., ...) = -1 EINPROGRESS",
		"setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0",
		"poll([{fd=3, events=POLLOUT, revents=POLLOUT}], 1, 1000) = 1",
		"sendmsg(3, {msg_name(...)=..., msg_iov(1)=[{..., 10}], msg_flags=0}, 0) = 10",
		"getsockopt(3, SOL_TCP, TCP_MAXSEG, [1100], [4]) = 0",
	}
	for i, ev := range s.Events {
		if got := formatCall(ev.Call); got != want[i] {
			t.Errorf("call %d = %q, want %q", i, got, want[i])
		}
	}
	if v, err := evalInt(s.Events[1].Call.Args[2]); err != nil || v != 0x802 {
		t.Errorf("O_RDWR|O_NONBLOCK = %#x, %v", v, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ src, msg string }{
		{"0 < S 0:1(0) win 1", "does not match its length"},
		{"0 < S 0:0(0)", "needs a window"},
		{"0 < S 0:0(0) win 1 <mss 1460,nop>", "not a multiple of 4"},
		{"0 < S 0:0(0) win 1 <...>", "only on outbound"},
		{"+1 close(3) = 0", "first event must be at time 0"},
		{"0 close(3) = 0\n0.5 close(3) = 0\n0.2 close(3) = 0", "backwards"},
		{"0 close(3) = 0\n+0...0.1 > . 1:1(0)", "only for system calls"},
		{"0 close(3) = 0\n+0~+1 close(3) = 0", "only for outbound"},
		{"0 close(3) = 0\n`cmd`\n0 close(3) = 0", "first or the last line"},
		{"0 < Q 0:0(0) win 1", "bad TCP flags"},
		{"0 < S 0:0(0) win 70000", "bad window"},
		{"", "no events"},
		{"0 close(3) = 0\n--late_option", "after the first event"},
		{"0 f(" + strings.Repeat("[", 40) + "1" + strings.Repeat("]", 40) + ") = 0", "nested"},
	}
	for _, tt := range tests {
		_, err := Parse("t.pkt", tt.src)
		pe, ok := err.(*ParseError)
		if !ok || !strings.Contains(pe.Msg, tt.msg) {
			t.Errorf("Parse(%q) = %v, want a parse error containing %q", tt.src, err, tt.msg)
		}
	}
}

func TestParseUnsupported(t *testing.T) {
	for _, line := range []string{
		"0 < [ect0] S 0:0(0) win 1",
		"0 < udp (10)",
		"0 > icmp unreachable port_unreachable",
		"0 < 1234>8080 S 0:0(0) win 1",
		"0 > S.E1 0:0(0)",
		"0 < S 0:0(0) win 1 <md5 000102>",
	} {
		_, err := Parse("t.pkt", line)
		if !IsUnsupported(err) {
			t.Errorf("Parse(%q) = %v, want an *UnsupportedError", line, err)
		}
	}
}

func TestParseSeconds(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true}, {".1", 100 * time.Millisecond, true}, {"1.000001", time.Second + time.Microsecond, true},
		{"86400", 24 * time.Hour, true}, {"86401", 0, false}, {"0x10", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseSeconds(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseSeconds(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
