//go:build linux

package kernel

import (
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synack-net/synack/internal/netns"
)

// lossSize is what TestLoss moves each way.
const lossSize = 16 << 20

// lossRules drop 3% of the packets the kernel receives from and sends to
// the TUN device, counting them. They live in the test's namespace.
const lossRules = `
table inet synack_loss {
	chain in {
		type filter hook input priority 0; policy accept;
		iifname "` + tunName + `" numgen random mod 100 < 3 counter drop
	}
	chain out {
		type filter hook output priority 0; policy accept;
		oifname "` + tunName + `" numgen random mod 100 < 3 counter drop
	}
}
`

// TestLoss: with nftables in the namespace dropping 3% of the packets each
// way, 16 MiB sent each way at once still arrive exactly (SHA-256), in both
// roles; both rules dropped packets, and synack retransmitted. With
// segmentation offload the rules see (and drop) packets of up to 64 KiB,
// whole runs of segments, as they would on a NIC with GRO; without it,
// single segments.
func TestLoss(t *testing.T) {
	netns.Require(t)
	if _, err := exec.LookPath("nft"); err != nil {
		if os.Getenv(netns.RequireEnv) == "1" {
			t.Fatalf("nft(8) not installed, and %s=1", netns.RequireEnv)
		}
		t.Skip("nft(8) not installed (apt-get install nftables)")
	}
	for _, plain := range []bool{false, true} {
		for _, r := range roles {
			name := r.name + "/offload"
			if plain {
				name = r.name + "/plain"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel() // mostly waiting for retransmission timers
				testLoss(t, r, plain)
			})
		}
	}
}

// testLoss is one case of TestLoss.
func testLoss(t *testing.T, r role, plain bool) {
	e := newEnvWith(t, envOptions{plain: plain})
	p := e.connect(r)
	cmd := e.ns.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(lossRules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v: %s", err, out)
	}
	start := time.Now()
	done := make(chan exchanged, 1)
	go func() { done <- exchange(p.kernel, lossSize, 5) }()
	sy := exchange(p.sy, lossSize, 6)
	k := <-done
	if sy.err != nil || k.err != nil {
		t.Fatalf("synack: %v; kernel: %v", sy.err, k.err)
	}
	if k.n != lossSize || k.received != sy.sent {
		t.Errorf("synack → kernel: kernel got %d bytes, SHA-256 %x; synack sent %d, %x", k.n, k.received, lossSize, sy.sent)
	}
	if sy.n != lossSize || sy.received != k.sent {
		t.Errorf("kernel → synack: synack got %d bytes, SHA-256 %x; kernel sent %d, %x", sy.n, sy.received, lossSize, k.sent)
	}
	in, out := e.droppedByRules()
	c := e.st.Counters()
	t.Logf("2 × %d MiB in %v; nft dropped %d in, %d out; synack retransmitted %d segments (%d timeouts, %d fast)",
		lossSize>>20, time.Since(start).Round(time.Millisecond), in, out, c.RetransSegs, c.TCPTimeouts, c.TCPFastRetrans)
	if in == 0 || out == 0 {
		t.Errorf("the rules dropped %d packets in and %d out; want some each way", in, out)
	}
	if c.RetransSegs == 0 {
		t.Error("synack retransmitted nothing across the loss")
	}
}

var counterRE = regexp.MustCompile(`counter packets (\d+)`)

// droppedByRules returns the packets the loss rules dropped, inbound and
// outbound (from the kernel's point of view).
func (e *env) droppedByRules() (in, out uint64) {
	e.t.Helper()
	count := func(chain string) uint64 {
		s := e.ns.MustRun(e.t, "nft", "list", "chain", "inet", "synack_loss", chain)
		m := counterRE.FindStringSubmatch(s)
		if m == nil {
			e.t.Fatalf("no counter in chain %s:\n%s", chain, s)
		}
		n, _ := strconv.ParseUint(m[1], 10, 64)
		return n
	}
	return count("in"), count("out")
}
