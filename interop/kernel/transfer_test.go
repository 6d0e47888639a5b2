//go:build linux

package kernel

import (
	"testing"
	"time"
)

// transferSize is what TestTransfer moves each way.
const transferSize = 64 << 20

// TestTransfer: after the three-way handshake, each end sends
// transferSize bytes while receiving the other's, then half-closes; each
// reads to EOF, and the SHA-256 of what was sent equals that of what was
// received, both ways. The device runs with segmentation offload (the
// kernel's 64 KiB segments taken whole by link/tun, and synack's segments
// joined into 64 KiB ones for the kernel) and without.
func TestTransfer(t *testing.T) {
	for _, plain := range []bool{false, true} {
		for _, r := range roles {
			name := r.name + "/offload"
			if plain {
				name = r.name + "/plain"
			}
			t.Run(name, func(t *testing.T) { testTransfer(t, r, plain) })
		}
	}
}

// testTransfer is one case of TestTransfer.
func testTransfer(t *testing.T, r role, plain bool) {
	e := newEnvWith(t, envOptions{plain: plain})
	p := e.connect(r)
	start := time.Now()
	done := make(chan exchanged, 1)
	go func() { done <- exchange(p.kernel, transferSize, 1) }()
	sy := exchange(p.sy, transferSize, 2)
	k := <-done
	if sy.err != nil || k.err != nil {
		t.Fatalf("synack: %v; kernel: %v", sy.err, k.err)
	}
	if k.n != transferSize || k.received != sy.sent {
		t.Errorf("synack → kernel: kernel got %d bytes, SHA-256 %x; synack sent %d, %x", k.n, k.received, transferSize, sy.sent)
	}
	if sy.n != transferSize || sy.received != k.sent {
		t.Errorf("kernel → synack: synack got %d bytes, SHA-256 %x; kernel sent %d, %x", sy.n, sy.received, transferSize, k.sent)
	}
	// The stack reads with ReadPacketBuffer, which lends the kernel's
	// super-packets whole (link/tun's GRO) rather than splitting them.
	large, joined := e.dev.Large(), e.dev.Coalesced()
	if plain && large != 0 || !plain && large == 0 {
		t.Errorf("the device lent %d offloaded super-packets whole; want some exactly when offload is on", large)
	}
	if plain && joined != 0 || !plain && joined == 0 {
		t.Errorf("the device sent %d coalesced packets; want some exactly when offload is on", joined)
	}
	t.Logf("2 × %d MiB in %v; synack retransmitted %d segments; %d offloaded super-packets taken whole, %d coalesced packets sent",
		transferSize>>20, time.Since(start).Round(time.Millisecond), e.st.Counters().RetransSegs, large, joined)
}
