package stack

import "sync/atomic"

// MemoryLimits bound the buffer memory of a host's connections, in bytes,
// as Linux's tcp_mem does (in pages there): below Low there is no
// pressure; above Pressure the host is under memory pressure, and stays so
// until it is back below Low; above High no buffer may grow. Under
// pressure buffers stop growing (no autotuning) and windows open no
// further than the storage held; over High new data that needs more
// storage is dropped. A buffer holding nothing is always granted its first
// allocation, as Linux never refuses a socket its tcp_rmem[0] and
// tcp_wmem[0], so that the limit degrades connections and never stalls
// one for ever.
type MemoryLimits struct {
	Low, Pressure, High int
}

// defaultMemoryLimits are 48, 64 and 96 MiB: what Linux computes for
// tcp_mem on a host with about 2 GiB of memory.
var defaultMemoryLimits = MemoryLimits{Low: 48 << 20, Pressure: 64 << 20, High: 96 << 20}

// memoryPool is a host's buffer memory account and its policy, after
// Linux's __sk_mem_raise_allocated and __sk_mem_reduce_allocated. It is
// shared by every connection's user calls and the host, so its state is
// atomic.
type memoryPool struct {
	lim       MemoryLimits
	allocated atomic.Int64 // bytes charged by all connections
	// detached is the part of allocated charged by connections no longer
	// in the host's table, whose users may still read what they hold.
	detached  atomic.Int64
	pressure  atomic.Bool
	pressures atomic.Uint64 // times the host entered memory pressure (TCPMemoryPressures)
}

// charge takes n bytes unless that would pass High. Reaching above
// Pressure enters memory pressure; being at or below Low leaves it.
func (p *memoryPool) charge(n int) bool {
	for {
		old := p.allocated.Load()
		a := old + int64(n)
		if a > int64(p.lim.Pressure) {
			p.enterPressure()
		} else if a <= int64(p.lim.Low) {
			p.pressure.Store(false)
		}
		if a > int64(p.lim.High) {
			return false
		}
		if p.allocated.CompareAndSwap(old, a) {
			return true
		}
	}
}

// force takes n bytes whatever the limits say.
func (p *memoryPool) force(n int) {
	if p.allocated.Add(int64(n)) > int64(p.lim.Pressure) {
		p.enterPressure()
	}
}

// uncharge gives n bytes back; below Low the pressure ends.
func (p *memoryPool) uncharge(n int) {
	if p.allocated.Add(-int64(n)) < int64(p.lim.Low) {
		p.pressure.Store(false)
	}
}

func (p *memoryPool) enterPressure() {
	if p.pressure.CompareAndSwap(false, true) {
		p.pressures.Add(1)
	}
}

// connMemory is one connection's account with its host's pool: the
// tcp.MemoryAccount its TCB charges. Its fields are guarded by the
// connection's mutex, under which the TCB calls it.
type connMemory struct {
	pool     *memoryPool
	held     int  // bytes this connection has charged
	detached bool // the connection has left the host's table
}

// Charge implements tcp.MemoryAccount.
func (m *connMemory) Charge(n int) bool {
	if !m.pool.charge(n) {
		return false
	}
	m.add(n)
	return true
}

// Force implements tcp.MemoryAccount.
func (m *connMemory) Force(n int) {
	m.pool.force(n)
	m.add(n)
}

// Uncharge implements tcp.MemoryAccount.
func (m *connMemory) Uncharge(n int) {
	m.pool.uncharge(n)
	m.add(-n)
}

// UnderPressure implements tcp.MemoryAccount.
func (m *connMemory) UnderPressure() bool { return m.pool.pressure.Load() }

func (m *connMemory) add(n int) {
	m.held += n
	if m.detached {
		m.pool.detached.Add(int64(n))
	}
}

// detach moves the connection's charge to the pool's detached part when
// the connection leaves the host's table. Called with the Conn's mutex held.
func (m *connMemory) detach() {
	if !m.detached {
		m.detached = true
		m.pool.detached.Add(int64(m.held))
	}
}
