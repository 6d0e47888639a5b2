package stack

import "net/netip"

// A half-open connection's key names its local address by an index
// (synKey.loc): below fwdAddrBase, one of the host's addresses; from
// there, a destination a forwarded request completed to, interned in
// fwdAddrs. A slot is reclaimed once no request uses it; with every slot
// in use, Complete falls back to a SYN cookie, as for a host with more
// addresses than indexes.

const (
	fwdAddrBase = 256
	maxLocIndex = 1<<15 - 1 // synKey.loc keeps its top bit for the family
)

// fwdAddrs interns the destinations of forwarded requests. Guarded by
// Host.mu.
type fwdAddrs struct {
	addrs []netip.Addr // slot i is index fwdAddrBase+i; invalid when free
	index map[netip.Addr]uint16
	free  []uint16
}

// lookup returns a's index, if interned.
func (f *fwdAddrs) lookup(a netip.Addr) (uint16, bool) {
	i, ok := f.index[a]
	return i, ok
}

// addr returns the address of index i.
func (f *fwdAddrs) addr(i uint16) netip.Addr { return f.addrs[i-fwdAddrBase] }

// intern gives a an index unless it has one or every slot is in use.
// Called with h.mu held.
func (f *fwdAddrs) intern(h *Host, a netip.Addr) {
	if h.isLocal(a) {
		return
	}
	if _, ok := f.index[a]; ok {
		return
	}
	if len(f.free) == 0 && len(f.addrs) == maxLocIndex+1-fwdAddrBase {
		f.sweep(h)
	}
	var i uint16
	switch {
	case len(f.free) > 0:
		i = f.free[len(f.free)-1]
		f.free = f.free[:len(f.free)-1]
		f.addrs[i-fwdAddrBase] = a
	case len(f.addrs) < maxLocIndex+1-fwdAddrBase:
		i = uint16(fwdAddrBase + len(f.addrs))
		f.addrs = append(f.addrs, a)
	default:
		return
	}
	if f.index == nil {
		f.index = make(map[netip.Addr]uint16)
	}
	f.index[a] = i
}

// sweep frees the slots no request uses. Called with h.mu held.
func (f *fwdAddrs) sweep(h *Host) {
	used := make([]bool, len(f.addrs))
	for k := range h.syn.all() {
		if i := k.locIndex(); i >= fwdAddrBase {
			used[i-fwdAddrBase] = true
		}
	}
	for j, u := range used {
		if !u && f.addrs[j].IsValid() {
			delete(f.index, f.addrs[j])
			f.addrs[j] = netip.Addr{}
			f.free = append(f.free, uint16(fwdAddrBase+j))
		}
	}
}
