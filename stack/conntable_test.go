package stack

import (
	"net/netip"
	"testing"
)

// TestConnTableKeys checks that the packed IPv4 key finds exactly the
// tuples a map[Tuple] would: an IPv4-mapped IPv6 address and a zoned
// IPv6 address are other tuples than the plain IPv4 and unzoned ones.
func TestConnTableKeys(t *testing.T) {
	m := newConnTable()
	tuples := []Tuple{
		{Local: netip.MustParseAddrPort("10.0.0.1:80"), Remote: netip.MustParseAddrPort("10.0.0.2:1234")},
		{Local: netip.MustParseAddrPort("[::ffff:10.0.0.1]:80"), Remote: netip.MustParseAddrPort("[::ffff:10.0.0.2]:1234")},
		{Local: netip.MustParseAddrPort("10.0.0.1:80"), Remote: netip.MustParseAddrPort("[::ffff:10.0.0.2]:1234")},
		{Local: netip.MustParseAddrPort("[fe80::1]:80"), Remote: netip.MustParseAddrPort("[fe80::2]:1234")},
		{Local: netip.MustParseAddrPort("[fe80::1%eth0]:80"), Remote: netip.MustParseAddrPort("[fe80::2%eth0]:1234")},
	}
	conns := make([]*Conn, len(tuples))
	for i, tu := range tuples {
		conns[i] = &Conn{tuple: tu}
		m.put(tu, conns[i])
	}
	if m.len() != len(tuples) {
		t.Fatalf("len %d, want %d", m.len(), len(tuples))
	}
	for i, tu := range tuples {
		if c := m.get(tu); c != conns[i] {
			t.Errorf("%v: got the connection of %v", tu, c.tuple)
		}
	}
	seen := 0
	for tu, c := range m.all() {
		if c.tuple != tu {
			t.Errorf("all yields %v for the connection of %v", tu, c.tuple)
		}
		seen++
	}
	if seen != len(tuples) {
		t.Errorf("all yields %d entries, want %d", seen, len(tuples))
	}
	m.remove(tuples[0])
	if m.get(tuples[0]) != nil || m.get(tuples[1]) != conns[1] || m.len() != len(tuples)-1 {
		t.Errorf("remove took the wrong entry")
	}
}
