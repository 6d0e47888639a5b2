package netem

import (
	"bytes"
	"testing"

	"github.com/synack-net/synack/clock"
)

// A packet larger than the path's MTU is dropped, counted, and reported to
// TooBig with the MTU, as a router answers with ICMP; one that fits passes.
func TestMTUDropsAndReportsOversizePackets(t *testing.T) {
	n, a, b := twoHosts(1)
	n.SetPath(a, b, Impairment{MTU: 30})
	var told []int
	n.TooBig = func(now clock.Instant, from HostID, pkt []byte, mtu int) {
		if from != a {
			t.Errorf("TooBig from %d", from)
		}
		told = append(told, len(pkt), mtu)
	}
	n.Send(0, a, ipv4(addrB, 1))         // 24 bytes: fits
	n.Send(0, a, padded(ipv4(addrB, 2))) // 31 bytes: too big
	n.Send(0, b, padded(ipv4(addrA, 3))) // the other direction has no limit
	got := drain(n)
	if len(got) != 2 || got[0].id != 1 || got[1].id != 3 {
		t.Fatalf("deliveries %v, want packets 1 and 3", got)
	}
	if len(told) != 2 || told[0] != 31 || told[1] != 30 {
		t.Fatalf("TooBig calls %v, want [31 30]", told)
	}
	if s := n.Stats(); s.DroppedMTU != 1 {
		t.Fatalf("DroppedMTU = %d", s.DroppedMTU)
	}
	checkInvariant(t, n)
}

// padded returns pkt with 7 bytes inserted before its 4-byte id.
func padded(pkt []byte) []byte {
	n := len(pkt) - 4
	return append(append(append([]byte(nil), pkt[:n]...), make([]byte, 7)...), pkt[n:]...)
}

// Corruption flips exactly one bit of a delivered copy, at the configured
// rate, and leaves the sender's packet alone.
func TestCorruptFlipsOneBit(t *testing.T) {
	n, a, b := twoHosts(7)
	n.SetPath(a, b, Impairment{Corrupt: 0.5})
	const trials = 2000
	orig := append(ipv4(addrB, 0), make([]byte, 100)...)
	sent := append([]byte(nil), orig...)
	flipped := 0
	for range trials {
		n.Send(0, a, sent)
		n.Deliver(0, func(_ HostID, pkt []byte) {
			diff := 0
			for i := range pkt {
				for x := pkt[i] ^ orig[i]; x != 0; x &= x - 1 {
					diff++
				}
			}
			switch diff {
			case 0:
			case 1:
				flipped++
			default:
				t.Fatalf("%d bits differ", diff)
			}
		})
	}
	if !bytes.Equal(sent, orig) {
		t.Fatal("the sender's packet was modified")
	}
	if uint64(flipped) != n.Stats().Corrupted || !withinSigmas(flipped, trials, 0.5, 5) {
		t.Fatalf("%d corrupted of %d, counted %d", flipped, trials, n.Stats().Corrupted)
	}
	checkInvariant(t, n)
}
