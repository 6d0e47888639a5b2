package stack

import (
	"iter"
	"net/netip"
)

// connTable is the host's map from 4-tuple to connection. A Tuple is 64
// bytes (two netip.AddrPort), so a map keyed by it costs a 72-byte slot
// per connection and, at Go maps' load factor, about 160 bytes of heap;
// IPv4 connections, the common case, are keyed instead by the 12 bytes
// of their addresses and ports, in a 24-byte slot, which saves about 90
// bytes per connection (TestIdleConnHeap). Every other tuple (IPv6, or
// an IPv4-mapped address, which a Tuple tells from plain IPv4) keeps its
// Tuple key, so that lookups match exactly the tuples a map[Tuple] would.
// It is guarded by Host.mu.
type connTable struct {
	v4    map[connKey4]*Conn
	other map[Tuple]*Conn
}

// connKey4 is an IPv4 4-tuple.
type connKey4 struct {
	local, remote [4]byte
	lport, rport  uint16
}

func newConnTable() connTable {
	return connTable{v4: make(map[connKey4]*Conn), other: make(map[Tuple]*Conn)}
}

// key4 packs t if both its addresses are plain IPv4.
func key4(t Tuple) (connKey4, bool) {
	l, r := t.Local.Addr(), t.Remote.Addr()
	if !l.Is4() || !r.Is4() {
		return connKey4{}, false
	}
	return connKey4{local: l.As4(), remote: r.As4(), lport: t.Local.Port(), rport: t.Remote.Port()}, true
}

func (k connKey4) tuple() Tuple {
	return Tuple{
		Local:  netip.AddrPortFrom(netip.AddrFrom4(k.local), k.lport),
		Remote: netip.AddrPortFrom(netip.AddrFrom4(k.remote), k.rport),
	}
}

// get returns t's connection, or nil.
func (m *connTable) get(t Tuple) *Conn {
	if k, ok := key4(t); ok {
		return m.v4[k]
	}
	return m.other[t]
}

// put makes c the connection of t.
func (m *connTable) put(t Tuple, c *Conn) {
	if k, ok := key4(t); ok {
		m.v4[k] = c
		return
	}
	m.other[t] = c
}

// remove forgets t.
func (m *connTable) remove(t Tuple) {
	if k, ok := key4(t); ok {
		delete(m.v4, k)
		return
	}
	delete(m.other, t)
}

func (m *connTable) len() int { return len(m.v4) + len(m.other) }

// all yields every tuple and its connection.
func (m *connTable) all() iter.Seq2[Tuple, *Conn] {
	return func(yield func(Tuple, *Conn) bool) {
		for k, c := range m.v4 {
			if !yield(k.tuple(), c) {
				return
			}
		}
		for t, c := range m.other {
			if !yield(t, c) {
				return
			}
		}
	}
}
