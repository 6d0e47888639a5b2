package drill

import (
	"bytes"
	"strings"
	"testing"
)

// runScript parses and runs a snippet as IPv4.
func runScript(t *testing.T, src string) Result {
	t.Helper()
	s, err := Parse("t.pkt", src)
	if err != nil {
		return resultOf("t.pkt", IPv4, err)
	}
	var log bytes.Buffer
	res := Run(s, Options{Log: &log})
	t.Logf("%s\n%s", res, log.String())
	return res
}

// listener is the opening of a passive-open snippet: a listener on port
// 8080 that the peer's SYN (no options but MSS and window scale) reaches.
const listener = `0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
`

// handshake completes the passive open of listener.
const handshake = listener + `+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
+.1 < . 1:1(0) ack 1 win 257
+0 accept(3, ..., ...) = 4
`

// closedPort opens a snippet where nothing listens and a SYN arrives.
const closedPort = "0 < S 0:0(0) win 32792 <mss 1460>\n"

func TestRunVerdicts(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		status Status
		line   int
		reason string // a text the reason must contain
	}{
		{"closed port", closedPort + "+0 > R. 0:0(0) ack 1 win 0\n+.1 < . 1:1(0) ack 7 win 1\n+0 > R 7:7(0) win 0\n", Pass, 0, ""},
		{"wrong ack", closedPort + "+0 > R. 0:0(0) ack 2 win 0\n", Fail, 2, "acknowledgment number: expected 2, actual 1"},
		{"wrong window", closedPort + "+0 > R. 0:0(0) ack 1 win 5\n", Fail, 2, "window: expected 5, actual 0"},
		{"wrong flags", closedPort + "+0 > R 0:0(0) ack 1 win 0\n", Fail, 2, "flags: expected R, actual R."},
		{"ack field without ACK bit", closedPort + "+0 > R. 0:0(0) ack 1\n+0 < . 1:1(0) ack 7 win 1\n+0 > R 7:7(0) ack 3\n", Fail, 4, "acknowledgment number: expected 3, actual 0"},
		{"unexpected options", closedPort + "+0 > R. 0:0(0) ack 1 <nop,nop,nop,nop>\n", Fail, 2, "TCP header length"},
		{"early packet", closedPort + "+1 > R. 0:0(0) ack 1\n", Fail, 2, "timing error: expected at 1.000000"},
		{"late packet", handshake + "+.1 < P. 1:1001(1000) ack 1 win 257\n+0 > . 1:1(0) ack 1001\n+0 write(4, ..., 10) = 10\n+.5 > P. 1:11(10) ack 1001\n", Fail, 11, "timing error"},
		{"early packet within tolerance", closedPort + "+.004 > R. 0:0(0) ack 1\n", Pass, 0, ""},
		{"missing packet", closedPort + "+0 > R. 0:0(0) ack 1\n+0 > R. 0:0(0) ack 1\n", Fail, 3, "no packet was sent"},
		{"extra packet", closedPort + "+.1 < . 1:1(0) ack 7 win 1\n+0 > R 7:7(0) win 0\n", Fail, 3, "flags: expected R, actual R."},
		{"handshake and data", handshake + "+0 write(4, ..., 2000) = 2000\n+0 > P. 1:2001(2000) ack 1\n", Pass, 0, ""},
		{"aggregate overshoots", handshake + "+0 write(4, ..., 2000) = 2000\n+0 > P. 1:1501(1500) ack 1\n", Fail, 9, "payload: expected 1500 bytes, actual 2000"},
		{"PSH compared", handshake + "+0 write(4, ..., 2000) = 2000\n+0 > . 1:2001(2000) ack 1\n", Fail, 9, "flags: expected ., actual P."},
		{"strict segments", "--strict_segments\n" + handshake + "+0 write(4, ..., 2000) = 2000\n+0 > P. 1:2001(2000) ack 1\n", Fail, 10, "payload: expected 2000 bytes, actual 1000"},
		{"SYN-ACK options", listener + "+0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 7>\n", Fail, 5, "TCP options: expected <mss 1460,nop,wscale 7>, actual <mss 1460,nop,wscale 8>"},
		{"would block", listener + "+0 accept(3, ..., ...) = 4\n", Fail, 5, "would block"},
		{"nonblocking accept", listener + "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 accept(3, ..., ...) = -1 EAGAIN (Resource temporarily unavailable)\n+0 fcntl(3, F_GETFL) = 0x802\n", Pass, 0, ""},
		{"wrong errno", listener + "+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 accept(3, ..., ...) = -1 EPIPE (Broken pipe)\n", Fail, 6, "wrong errno"},
		{"blocking accept", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0...0.2 accept(3, ..., ...) = 4\n+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n+0 > S. 0:0(0) ack 1 <...>\n+.1 < . 1:1(0) ack 1 win 257\n", Pass, 0, ""},
		{"blocking call returns late", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0...0.1 accept(3, ..., ...) = 4\n+.1 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>\n+0 > S. 0:0(0) ack 1 <...>\n+.1 < . 1:1(0) ack 1 win 257\n", Fail, 4, "had not returned by 0.112500"},
		{"blocking call still blocked at the end", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n+0...5 accept(3, ..., ...) = 4\n", Fail, 4, "still in progress"},
		{"getsockopt value", handshake + "+0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1000], [4]) = 0\n+0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1460], [4]) = 0\n", Fail, 9, "option value: expected 1460, actual 1000"},
		{"user timeout", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 getsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [0], [4]) = 0\n" +
			"+0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [-1], 4) = -1 EINVAL (Invalid argument)\n" +
			"+0 setsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [250], 4) = 0\n+0 getsockopt(3, SOL_TCP, TCP_USER_TIMEOUT, [25], [4]) = 0\n", Fail, 5, "option value: expected 25, actual 250"},
		{"TS echo without a TS value", listener + "+0 > S. 0:0(0) ack 1 <...>\n+0 < . 1:1(0) ack 1 win 1 <nop,nop,TS val 1 ecr 5>\n", Fail, 6, "TS ecr 5 echoes no TS val"},
		{"bad descriptor", "0 close(7) = -1 EBADF (Bad file descriptor)\n", Pass, 0, ""},
		{"no socket for inbound", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1\n", Fail, 2, "no socket"},
		{"parse error", "0 < S 0:0(0)\n", Fail, 1, "parse error"},
		{"unsupported option", "--mss=1000\n0 close(3) = 0\n", Skip, 1, "option --mss"},
		{"unsupported call", "0 epoll_create(1) = 3\n", Skip, 1, "system call epoll_create"},
		{"unsupported socket option", "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 setsockopt(3, SOL_TCP, TCP_CORK, [1], 4) = 0\n", Skip, 2, "setsockopt(SOL_TCP, TCP_CORK)"},
		{"unsupported command", "`tc qdisc add dev tun0 root fq`\n0 close(3) = -1 EBADF (x)\n", Skip, 1, "shell command"},
		{"late sysctl", closedPort + "+0 `sysctl -q net.ipv4.tcp_sack=0`\n", Skip, 2, "after the first connection"},
		{"unsupported packet", "0 < udp (10)\n", Skip, 1, "UDP"},
		{"family", "--ip_version=ipv6\n0 close(3) = -1 EBADF (x)\n", Skip, 0, "ipv6 only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runScript(t, tt.src)
			if res.Status != tt.status || res.Line != tt.line || !strings.Contains(res.Reason, tt.reason) {
				t.Errorf("got %v line %d %q; want %v line %d containing %q", res.Status, res.Line, res.Reason, tt.status, tt.line, tt.reason)
			}
		})
	}
}

// TestRunMismatchNotation checks that a packet mismatch shows both
// packets in the dialect's notation, with their times.
func TestRunMismatchNotation(t *testing.T) {
	res := runScript(t, closedPort+"+0 > R. 0:0(0) ack 2 win 0\n")
	if res.Expected != "0.000000 > R. 0:0(0) ack 2 win 0" || res.Actual != "0.000000 > R. 0:0(0) ack 1 win 0" {
		t.Errorf("expected %q, actual %q", res.Expected, res.Actual)
	}
	want := "FAIL t.pkt:2 (ipv4): acknowledgment number: expected 2, actual 1: expected 0.000000 > R. 0:0(0) ack 2 win 0; actual 0.000000 > R. 0:0(0) ack 1 win 0"
	if res.String() != want {
		t.Errorf("String() = %q\nwant       %q", res.String(), want)
	}
}

// TestRunCodeBlock checks that %{ }% blocks are skipped with a note and
// still count as events for relative times.
func TestRunCodeBlock(t *testing.T) {
	res := runScript(t, closedPort+"+0 > R. 0:0(0) ack 1\n+.5 %{ assert a == 1; assert b == 2 }%\n+0 < . 1:1(0) ack 7 win 1\n0.5 > R 7:7(0)\n")
	if res.Status != Pass || len(res.Notes) != 1 || !strings.Contains(res.Notes[0], "2 assertion(s) skipped") {
		t.Errorf("got %v, notes %q", res, res.Notes)
	}
}

// TestRunRelativeBase checks that consecutive inbound packets count
// from each other's scripted times and other events from the moment the
// previous one completed.
func TestRunRelativeBase(t *testing.T) {
	res := runScript(t, handshake+"+.3 < P. 1:11(10) ack 1 win 257\n+.3 < P. 11:21(10) ack 1 win 257\n"+
		"* > . 1:1(0) ack 11\n* > . 1:1(0) ack 21\n+0 read(4, ..., 100) = 20\n")
	if res.Status != Pass {
		t.Fatal(res)
	}
	res = runScript(t, closedPort+"+0 > R. 0:0(0) ack 1\n+1 < . 1:1(0) ack 7 win 1\n1.004 > R 7:7(0)\n")
	if res.Status != Pass {
		t.Fatal(res)
	}
}

// TestRunIPv6 runs a snippet as IPv6.
func TestRunIPv6(t *testing.T) {
	s, err := Parse("t.pkt", handshake+"+0 getsockopt(4, SOL_TCP, TCP_MAXSEG, [1000], [4]) = 0\n")
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	res := Run(s, Options{Family: IPv6, Log: &log})
	if res.Status != Pass || !strings.Contains(log.String(), "[fd3d:a0b:17d6::1]:8080") {
		t.Errorf("%v\n%s", res, log.String())
	}
}

// TestHarnessOptionsOverride checks that harness options override the
// script's own.
func TestHarnessOptionsOverride(t *testing.T) {
	s, err := Parse("t.pkt", "--tolerance_usecs=1000\n"+closedPort+"+.05 > R. 0:0(0) ack 1\n")
	if err != nil {
		t.Fatal(err)
	}
	if res := Run(s, Options{}); res.Status != Fail {
		t.Errorf("without the harness option: %v", res)
	}
	if res := Run(s, Options{Harness: []Option{{Name: "tolerance_usecs", Value: "100000"}}}); res.Status != Pass {
		t.Errorf("with the harness option: %v", res)
	}
}
