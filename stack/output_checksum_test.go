package stack

import (
	"net/netip"
	"testing"

	"github.com/synack-net/synack/wire"
)

// segmentChecksum with a payload sum from the TCB equals the checksum over
// the whole segment, for IPv4 and IPv6, even and odd payloads and header
// lengths with options.
func TestSegmentChecksumWithPayloadSum(t *testing.T) {
	tuples := []Tuple{
		{Local: netip.MustParseAddrPort("10.0.0.1:1000"), Remote: netip.MustParseAddrPort("10.0.0.2:80")},
		{Local: netip.MustParseAddrPort("[fd00::1]:1000"), Remote: netip.MustParseAddrPort("[fd00::2]:80")},
	}
	seg := make([]byte, 60+300)
	for i := range seg {
		seg[i] = byte(i*131 + 7)
	}
	for _, tu := range tuples {
		for _, hdr := range []int{20, 32, 60} {
			for n := 0; n <= 300; n++ {
				b := seg[:hdr+n]
				b[16], b[17] = 0, 0 // the checksum field
				want := wire.TransportChecksum(tu.Local.Addr(), tu.Remote.Addr(), wire.ProtoTCP, b)
				got := segmentChecksum(tu, b, hdr, wire.Checksum(b[hdr:], 0))
				if got != want {
					t.Fatalf("%v header %d payload %d: %#04x, want %#04x", tu.Local, hdr, n, got, want)
				}
			}
		}
	}
}
