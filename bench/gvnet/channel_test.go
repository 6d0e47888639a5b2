package gvnet_test

import (
	"net/netip"
	"testing"

	"github.com/synack-net/synack/bench/gvnet"
)

func TestChannelPair(t *testing.T) {
	for _, addrs := range [][2]string{{"10.0.0.1/24", "10.0.0.2/24"}, {"fd00::1/64", "fd00::2/64"}} {
		a, b, err := gvnet.NewChannelPair(65535, netip.MustParsePrefix(addrs[0]), netip.MustParsePrefix(addrs[1]))
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, a, b)
		a.Close()
		b.Close()
	}
}
