package drill

import (
	"testing"

	"github.com/synack-net/synack/internal/fuzzseed"
)

// fuzzMaxScript caps a fuzzed script: a run is bounded by maxSteps, and
// a longer input only slows the fuzzer and its minimizer.
const fuzzMaxScript = 4096

// FuzzParse feeds arbitrary text to the parser: it must return a script
// or an error, never panic, and what it returns must format and pass the
// preflight check without panicking either.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n",
		"--tolerance_usecs=1000\n`../common/defaults.sh`\n0 < S 0:0(0) win 100 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>\n+0 > S. 0:0(0) ack 1 <...>\n",
		"0 < . 1:1(0) ack 1 win 257 <sack 1:2 3:4,nop,nop>\n* > R 1:1(0) win 0\n+.1~+.2 > . 1:1(0) ack 1\n",
		"0...0.2 accept(3, ..., ...) = 4\n+0 read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n",
		"0 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n+0 poll([{fd=3, events=POLLIN, revents=0}], 1, 0) = 0\n",
		"0 %{ assert x == 1 }%\n+1 `sysctl -q net.ipv4.tcp_sack=0`\n",
		"0 < [ect0] S 0:0(0) win 1\n", "/* c */ // d\n0 < - 1:1001(1000) win 1\n",
		"0 < icmp unreachable frag_needed mtu 1000 [1:1461(1460)]\n+0 < icmp type_3 code_1\n",
	} {
		fuzzseed.Strings(f, s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > fuzzMaxScript {
			return
		}
		s, err := Parse("fuzz.pkt", src)
		if err != nil {
			return
		}
		if len(s.Events) == 0 {
			t.Fatal("a script without events parsed")
		}
		for i := range s.Events {
			ev := &s.Events[i]
			switch ev.Kind {
			case EventPacket:
				_ = formatPacket(ev.Packet)
			case EventSyscall:
				_ = formatCall(ev.Call)
				_ = checkCall(ev.Call)
			}
		}
		_, _ = preflight(s)
	})
}

// FuzzRun runs arbitrary scripts: whatever they say, the runner returns a
// verdict and never panics, and a run ends within maxSteps timer and
// packet steps (a script that makes no progress fails), so none hangs.
func FuzzRun(f *testing.F) {
	for _, s := range []string{
		handshake + "+0 write(4, ..., 2000) = 2000\n+0 > P. 1:2001(2000) ack 1\n+.1 < . 1:1(0) ack 2001 win 257\n+0 close(4) = 0\n+0 > F. 2001:2001(0) ack 1\n",
		closedPort + "+0 > R. 0:0(0) ack 1 win 0\n+.1 < . 1:1(0) ack 7 win 1\n+0 > R 7:7(0) win 0\n",
		"0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n+0 connect(3, ..., ...) = -1 EINPROGRESS (x)\n+0 > S 0:0(0) <...>\n+.1 < S. 0:0(0) ack 1 win 100 <mss 1000,sackOK,TS val 5 ecr 100,nop,wscale 2>\n",
		listener + "+0 > S. 0:0(0) ack 1 <...>\n+0 < R 1:1(0) win 0\n+0...0.1 poll([{fd=3, events=POLLIN, revents=0}], 1, 100) = 0\n",
		handshake + "+0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0\n+0 shutdown(4, SHUT_RDWR) = 0\n+0 ioctl(4, SIOCINQ, [0]) = 0\n+0 close(4) = 0\n",
		handshake + "+0 setsockopt(4, SOL_TCP, TCP_USER_TIMEOUT, [500], 4) = 0\n+0 write(4, ..., 1000) = 1000\n+0 > P. 1:1001(1000) ack 1\n" +
			"+0 < icmp unreachable port_unreachable [1:1001(1000)]\n+0 < icmp packet_too_big mtu 1280 [1:1001(1000)]\n",
	} {
		fuzzseed.Strings(f, s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if len(src) > fuzzMaxScript {
			return
		}
		s, err := Parse("fuzz.pkt", src)
		if err != nil {
			return
		}
		for _, fam := range []Family{IPv4, IPv6} {
			res := Run(s, Options{Family: fam})
			if res.Status > Skip {
				t.Fatalf("bad status %v", res.Status)
			}
		}
	})
}
