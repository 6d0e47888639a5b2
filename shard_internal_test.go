package synack

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/wire"
)

// placeStack is a stack of n shards with a fixed secret, closed when the
// test ends.
func placeStack(t testing.TB, n int, secret byte) *Stack {
	a, _ := pipe.New(1500, 16)
	cfg := Config{Shards: n, Links: []Link{{Link: a, Addrs: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.1/24"), netip.MustParsePrefix("fd00::1/64")}}}}
	cfg.Host.Secret = [16]byte{secret}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSumFieldsCoversEveryField: the shards' counters and census are
// summed field by field, which covers a field only if it is a number or
// an array of numbers.
func TestSumFieldsCoversEveryField(t *testing.T) {
	for _, v := range []any{stack.Counters{}, stack.Census{}} {
		ty := reflect.TypeOf(v)
		for i := range ty.NumField() {
			f := ty.Field(i)
			k := f.Type.Kind()
			if k == reflect.Array {
				k = f.Type.Elem().Kind()
			}
			if k < reflect.Int || k > reflect.Uint64 {
				t.Errorf("%v.%s is a %v, which sumFields leaves out", ty, f.Name, f.Type)
			}
		}
	}
	a := stack.Counters{InSegs: 2, Drops: [len(stack.Counters{}.Drops)]uint64{1: 3}}
	b := stack.Counters{InSegs: 5, Drops: [len(stack.Counters{}.Drops)]uint64{1: 4}}
	sumFields(&a, &b)
	if a.InSegs != 7 || a.Drops[1] != 7 {
		t.Errorf("sum: InSegs %d Drops[1] %d, want 7, 7", a.InSegs, a.Drops[1])
	}
}

// tcpPacket is a bare IP packet carrying a TCP header from src to dst
// (checksums left out: placement reads addresses and ports only).
func tcpPacket(src, dst netip.AddrPort) []byte {
	th := make([]byte, 20)
	binary.BigEndian.PutUint16(th[0:], src.Port())
	binary.BigEndian.PutUint16(th[2:], dst.Port())
	th[12] = 5 << 4
	return ipPacket(src.Addr(), dst.Addr(), wire.ProtoTCP, th)
}

func ipPacket(src, dst netip.Addr, proto uint8, payload []byte) []byte {
	hl := wire.IPv4MinHeaderLen
	if src.Is6() {
		hl = wire.IPv6HeaderLen
	}
	b := make([]byte, hl+len(payload))
	if src.Is6() {
		wire.PutIPv6Header(b, src, dst, proto, 64, len(payload))
	} else {
		wire.PutIPv4Header(b, src, dst, proto, 64, 0, len(payload))
	}
	copy(b[hl:], payload)
	return b
}

// icmpError is the ICMP error (destination unreachable) that from sends
// to the source of pkt, quoting it.
func icmpError(from netip.Addr, pkt []byte) []byte {
	msg := make([]byte, wire.ICMPHeaderLen+len(pkt))
	var src netip.Addr
	if from.Is6() {
		src = wire.IPv6(pkt).Src()
		wire.PutICMPv6(msg, from, src, 1, 4, 0, pkt)
		return ipPacket(from, src, wire.ProtoICMPv6, msg)
	}
	src = wire.IPv4(pkt).Src()
	wire.PutICMPv4(msg, 3, 3, 0, pkt)
	return ipPacket(from, src, wire.ProtoICMPv4, msg)
}

// TestPlacement: over 4096 tuples of each family, each of 4 shards gets
// its share (within 15%); a segment that arrives, and an ICMP error about
// one we sent on the same connection, go to the same shard; UDP and echo
// go to shard 0; and another secret places the tuples otherwise.
func TestPlacement(t *testing.T) {
	s := placeStack(t, 4, 1)
	other := placeStack(t, 4, 2)
	for _, fam := range []struct{ local, remote string }{{"10.0.0.1", "10.0.0.2"}, {"fd00::1", "fd00::2"}} {
		local, remote := netip.MustParseAddr(fam.local), netip.MustParseAddr(fam.remote)
		var per [4]int
		moved := 0
		const n = 4096
		for i := range n {
			l := netip.AddrPortFrom(local, uint16(32768+i))
			r := netip.AddrPortFrom(remote, 443)
			in := tcpPacket(r, l)
			i := s.place(in)
			per[i]++
			if j := s.place(icmpError(remote, tcpPacket(l, r))); j != i {
				t.Fatalf("%v->%v: segment on shard %d, ICMP error about it on %d", l, r, i, j)
			}
			if other.place(in) != i {
				moved++
			}
		}
		for i, c := range per {
			if c < n/4*85/100 || c > n/4*115/100 {
				t.Errorf("%s: shard %d holds %d of %d tuples", fam.local, i, c, n)
			}
		}
		if moved < n/2 {
			t.Errorf("%s: another secret moves %d of %d tuples, want about 3/4", fam.local, moved, n)
		}
		udp := make([]byte, 8)
		binary.BigEndian.PutUint16(udp[0:], 5353)
		binary.BigEndian.PutUint16(udp[2:], 53)
		if i := s.place(ipPacket(remote, local, wire.ProtoUDP, udp)); i != 0 {
			t.Errorf("%s: UDP on shard %d", fam.local, i)
		}
		proto, echo := wire.ProtoICMPv4, []byte{8, 0, 0, 0, 0, 1, 0, 1}
		if local.Is6() {
			proto, echo[0] = wire.ProtoICMPv6, 128
		}
		if i := s.place(ipPacket(remote, local, proto, echo)); i != 0 {
			t.Errorf("%s: echo request on shard %d", fam.local, i)
		}
	}
}

// TestPlacementSpreadsClients: tuples that differ only in the client's
// address (many clients of one server port, both families, the client
// port fixed) spread over 4 shards within 15 % of a quarter each.
func TestPlacementSpreadsClients(t *testing.T) {
	s := placeStack(t, 4, 3)
	for _, fam := range []struct{ server, client string }{{"10.0.0.1", "10.1.0.0"}, {"fd00::1", "fd01::"}} {
		server := netip.AddrPortFrom(netip.MustParseAddr(fam.server), 443)
		client := netip.MustParseAddr(fam.client)
		var per [4]int
		const n = 4096
		for range n {
			client = client.Next()
			per[s.place(tcpPacket(netip.AddrPortFrom(client, 40000), server))]++
		}
		for i, c := range per {
			if c < n/4*85/100 || c > n/4*115/100 {
				t.Errorf("%s: shard %d holds %d of %d tuples", fam.client, i, c, n)
			}
		}
	}
}

// BenchmarkPlace is the cost of placing one segment of each family.
func BenchmarkPlace(b *testing.B) {
	s := placeStack(b, 2, 1)
	for _, c := range []struct{ name, from, to string }{
		{"ipv4", "10.0.0.2:443", "10.0.0.1:40000"},
		{"ipv6", "[fd00::2]:443", "[fd00::1]:40000"},
	} {
		pkt := tcpPacket(netip.MustParseAddrPort(c.from), netip.MustParseAddrPort(c.to))
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				s.place(pkt)
			}
		})
	}
}

// TestPlacementAllocs: placing a segment allocates nothing.
func TestPlacementAllocs(t *testing.T) {
	s := placeStack(t, 4, 1)
	pkt := tcpPacket(netip.MustParseAddrPort("10.0.0.2:443"), netip.MustParseAddrPort("10.0.0.1:40000"))
	if n := testing.AllocsPerRun(100, func() { s.place(pkt) }); n != 0 {
		t.Errorf("place allocates %v times", n)
	}
}

// FuzzPlace: any bytes at all are placed on a shard without a panic.
func FuzzPlace(f *testing.F) {
	l, r := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:443")
	l6, r6 := netip.MustParseAddrPort("[fd00::1]:40000"), netip.MustParseAddrPort("[fd00::2]:443")
	f.Add(tcpPacket(r, l))
	f.Add(tcpPacket(r6, l6))
	f.Add(icmpError(r.Addr(), tcpPacket(l, r)))
	f.Add(icmpError(r6.Addr(), tcpPacket(l6, r6)))
	f.Add([]byte{0x45})
	f.Add([]byte{0x60})
	s := placeStack(f, 4, 1)
	f.Fuzz(func(t *testing.T, pkt []byte) {
		if i := s.place(pkt); i < 0 || i >= 4 {
			t.Fatal(fmt.Sprint("shard ", i))
		}
	})
}
