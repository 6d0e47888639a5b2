//go:build linux

package explain

import (
	"net/netip"
	"testing"
	"time"
)

// These tests explain captures that the Linux kernel makes: two kernels in
// namespaces of the test's own, joined by a veth pair, talking through
// Go's net package, with tcpdump capturing on the client's side. They
// check the inferred states of both ends, every verdict, and, where a
// socket still exists, the final state against ss(8).

// kernelCase is one scenario two kernels can play.
type kernelCase struct {
	name string
	// run plays the scenario while the capture runs, and returns the
	// client's end of the connection (a zero value when it has none).
	run            func(k *kernelNet) netip.AddrPort
	client, server string // the states, space-separated
	// verdicts are regular expressions that the connection's verdicts
	// must match, one each, in order; %C and %S stand for the client's
	// and the server's address. Verdicts about the capture itself
	// (checksums, offload sizes) are checked apart.
	verdicts []string
	// optional verdicts may appear too, among the others; their figures
	// depend on timing.
	optional []string
	// ss: the final states are checked against ss(8) in both namespaces.
	ss bool
	// before runs before the capture starts.
	before func(k *kernelNet)
	// snapLen, if set, cuts each packet to its headers: at 8 MiB tcpdump
	// would otherwise fall behind (64 KiB packets with offload) and lose
	// some.
	snapLen string
}

var kernelCases = []kernelCase{
	{
		name: "close in 4 segments",
		run: func(k *kernelNet) netip.AddrPort {
			c, s := k.connect(k.listen(80, 0))
			c.Write([]byte("hello"))
			c.Close()
			readAll(s)
			time.Sleep(200 * time.Millisecond) // past the delayed ACK of the FIN (40 ms)
			s.Close()
			return localOf(c)
		},
		client:   "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT",
		server:   "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
		verdicts: []string{`orderly close in 4 segments, %C closed first`, `%C in TIME_WAIT at the end`},
		ss:       true,
	},
	{
		name: "close in 3 segments",
		run: func(k *kernelNet) netip.AddrPort {
			c, s := k.connect(k.listen(80, 0))
			c.Write([]byte("hello"))
			time.Sleep(50 * time.Millisecond)
			c.Close()
			readAll(s) // EOF: the FIN's ACK is still delayed when...
			s.Close()  // ...the server closes, and carries its FIN
			return localOf(c)
		},
		client:   "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT",
		server:   "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
		verdicts: []string{`orderly close in 3 segments \(FIN piggybacked on the ACK\), %C closed first`, `%C in TIME_WAIT at the end`},
		ss:       true,
	},
	{
		name: "half-close",
		run: func(k *kernelNet) netip.AddrPort {
			c, s := k.connect(k.listen(80, 0))
			c.Write([]byte("request"))
			c.CloseWrite()
			readAll(s)
			s.Write(make([]byte, 100000))
			s.Close()
			readAll(c)
			c.Close()
			return localOf(c)
		},
		client:   "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT",
		server:   "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
		verdicts: []string{`half-close: %S sent 100000 bytes after the FIN of %C`, `%C in TIME_WAIT at the end`},
		// The server's kernel may send a tail loss probe (RFC 8985) when
		// the client's ACK is late on a loaded machine: a retransmission
		// with no loss.
		optional: []string{`retransmissions: \d+, 0 after an RTO, all from %S`},
		ss:       true,
	},
	{
		name: "refused",
		run: func(k *kernelNet) netip.AddrPort {
			if _, err := k.dial(81); err == nil {
				k.t.Fatal("dial to a closed port succeeded")
			}
			return netip.AddrPort{}
		},
		client:   "CLOSED SYN_SENT CLOSED",
		server:   "CLOSED",
		verdicts: []string{`refused: RST from %S`},
	},
	{
		name: "abort",
		run: func(k *kernelNet) netip.AddrPort {
			c, s := k.connect(k.listen(80, 0))
			c.Write([]byte("hello"))
			s.Read(make([]byte, 5))
			c.SetLinger(0)
			c.Close()
			readAll(s) // ECONNRESET
			return localOf(c)
		},
		client:   "CLOSED SYN_SENT ESTABLISHED CLOSED",
		server:   "LISTEN SYN_RCVD ESTABLISHED CLOSED",
		verdicts: []string{`closed by RST from %C in ESTABLISHED`},
		ss:       true,
	},
	{
		name: "SYN timeout",
		before: func(k *kernelNet) {
			// Inside the test's namespaces only: two retries with the
			// classic exponential backoff (Linux 6.5 and later first
			// retry tcp_syn_linear_timeouts times 1 s apart), and a
			// server that drops every SYN.
			k.client.MustRun(k.t, "sysctl", "-q", "-w", "net.ipv4.tcp_syn_retries=2")
			k.client.Run("sysctl", "-q", "-w", "net.ipv4.tcp_syn_linear_timeouts=0") // absent before 6.5
			k.nft(k.server, `table inet explain_blackhole {
	chain in {
		type filter hook input priority 0; policy accept;
		tcp dport 80 drop
	}
}`)
		},
		run: func(k *kernelNet) netip.AddrPort {
			k.listen(80, 0)
			if _, err := k.dial(80); err == nil {
				k.t.Fatal("dial through a black hole succeeded")
			}
			return netip.AddrPort{}
		},
		client: "CLOSED SYN_SENT",
		server: "CLOSED",
		verdicts: []string{`SYN retransmitted twice, 1(\.\d)? s and 3(\.\d)? s after the first`,
			`no answer from %S: %C still in SYN_SENT at the end of the capture`},
	},
	{
		name: "server never closes",
		run: func(k *kernelNet) netip.AddrPort {
			c, s := k.connect(k.listen(80, 0))
			c.Close()
			readAll(s)
			return localOf(c)
		},
		client: "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2",
		server: "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT",
		verdicts: []string{`%C in FIN_WAIT_2 at the end of the capture`,
			`server %S never sent FIN: stuck in CLOSE_WAIT at the end of the capture`},
		ss: true,
	},
	{
		name: "data with loss",
		before: func(k *kernelNet) {
			// 10% of the data segments and pure ACKs each way, in the
			// server's namespace: those it sends are lost before the
			// capture point, those it receives after. Of what it
			// receives, only segments carrying data: the client's
			// last ACK lost after the capture point would leave the
			// server in LAST_ACK, which no capture on the client's
			// side can show.
			k.nft(k.server, `table inet explain_loss {
	chain in {
		type filter hook input priority 0; policy accept;
		tcp flags & (fin|syn|rst) == 0 meta length > 120 numgen random mod 100 < 10 drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		tcp flags & (fin|syn|rst) == 0 numgen random mod 100 < 10 drop
	}
}`)
		},
		run: func(k *kernelNet) netip.AddrPort {
			c, s := k.connect(k.listen(80, 0))
			go func() { c.Write(make([]byte, 8<<20)); c.CloseWrite() }()
			if n := readAll(s); n != 8<<20 {
				k.t.Errorf("server read %d bytes", n)
			}
			s.Close()
			readAll(c)
			c.Close()
			return localOf(c)
		},
		client: "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT",
		server: "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
		verdicts: []string{`orderly close in [34] segments.*, %C closed first`, `%C in TIME_WAIT at the end`,
			`retransmissions: [1-9]\d*, \d+ after an RTO.*`},
		optional: []string{`zero window from %S .*`, `SYN-ACK retransmitted once, 1(\.\d)? s after the first`},
		ss:       true,
		snapLen:  "160",
	},
	{
		name: "zero window",
		run: func(k *kernelNet) netip.AddrPort {
			c, s := k.connect(k.listen(80, 4096))
			go func() { c.Write(make([]byte, 256<<10)); c.Close() }()
			time.Sleep(1500 * time.Millisecond) // the server does not read
			readAll(s)
			s.Close()
			return localOf(c)
		},
		client: "CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT",
		server: "LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED",
		verdicts: []string{`orderly close in [34] segments.*, %C closed first`, `%C in TIME_WAIT at the end`,
			// The window may open a crack and close again: one
			// period, or more of 1.5 s in all.
			`zero window from %S (for 1(\.\d)? s|twice, 1(\.\d)? s in all) \([1-9]\d* window probes?\)`},
		// A segment the full receiver dropped may be sent again (a
		// tail loss probe).
		optional: []string{`retransmissions: \d+, \d+ after an RTO, all from %C`},
		ss:       true,
	},
}

func TestKernelCaptures(t *testing.T) {
	for _, tc := range kernelCases {
		// One at a time: the close in 3 segments needs the server to
		// close within the 40 ms of its delayed ACK.
		t.Run(tc.name, func(t *testing.T) {
			k := newKernelNet(t, false)
			if tc.before != nil {
				tc.before(k)
			}
			args := []string{"-i", "veth0"}
			if tc.snapLen != "" {
				args = append(args, "-s", tc.snapLen)
			}
			stop := k.capture(k.client, args...)
			clientAddr := tc.run(k)
			path := stop()
			saveCapture(t, path, tc.name)
			rep, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			c := only(t, rep)
			checkKernelConnection(t, k, c, tc, clientAddr)
		})
	}
}
