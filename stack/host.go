package stack

import (
	"crypto/sha256"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// Tuple identifies a connection by its two ends.
type Tuple struct {
	Local, Remote netip.AddrPort
}

// Host is one TCP/IP host. The driver goroutine calls Deliver, Tick, Flush
// and NextDeadline; user goroutines call Connect, Listen and the methods
// of Conn and Listener. mu guards the tables; each Conn's own mutex guards
// its TCB. Lock order: Host.mu before Conn.mu, never the reverse.
type Host struct {
	cfg    Config
	tcpCfg *tcp.Config
	isn    *tcp.ISNGenerator
	rec    trace.Recorder

	// addrs is replaced, never modified, so that every packet can read
	// it without a lock.
	addrs atomic.Pointer[[]netip.Prefix]

	mu        sync.Mutex
	conns     connTable
	listeners map[netip.AddrPort]*Listener
	timers    timerWheel
	timeWaits int       // connections in the map whose TCB was replaced by a TIME_WAIT entry
	portNext  uint32    // RFC 6056 Algorithm 3's "next_ephemeral"
	retired   connStats // per-connection counts of removed connections and TIME_WAIT entries

	// portFilter, if not nil, limits the ephemeral ports to the tuples a
	// sharded driver gives this host (shard.go).
	portFilter func(Tuple) bool
	// memShared: mem is other hosts' too (ShareMemory in shard.go).
	memShared bool

	// countMu guards counters and serialises the recorder. It is a leaf
	// lock but for the subscriptions' own, taken to queue an event.
	countMu  sync.Mutex
	counters Counters

	// dirty lists connections to visit in the next Flush. It has its own
	// lock so that user calls holding a Conn's lock may append to it.
	dirtyMu sync.Mutex
	dirty   []*Conn

	out outQueue // packets built but not yet handed to the driver

	// The SYN queue (half-open requests), the requests whose SYN-ACK waits
	// for the next Flush, the form a request is driven as, the TCB it is
	// expanded into and its observer, and the SYN cookies. Guarded by mu.
	syn     synQueue
	synDue  []synKey
	req     requestForm
	scratch *tcp.TCB
	reqObs  requestObserver
	cookies *tcp.CookieJar

	dgram datagrams // UDP and ping sockets (datagrams.go)

	mem     *memoryPool  // the connections' buffer memory (memory.go), shared by a stack's shards (shard.go)
	orphans atomic.Int64 // connections closed by their users and still closing (orphans.go)

	fwd forwarding // forwarding any destination (forward.go)

	tw timeWaitTables // TIME_WAIT outside the map (twhost.go); guarded by tw.mu

	subs subscribers // trace subscriptions (subscribe.go)
}

// NewHost creates a host.
func NewHost(cfg Config) *Host {
	cfg.fill()
	h := &Host{
		cfg:       cfg,
		tcpCfg:    cfg.TCP,
		isn:       tcp.NewISNGenerator(cfg.Secret),
		cookies:   tcp.NewCookieJar(cookieKey(cfg.Secret)),
		rec:       cfg.Recorder,
		conns:     newConnTable(),
		listeners: make(map[netip.AddrPort]*Listener),
	}
	addrs := append([]netip.Prefix(nil), cfg.Addrs...)
	h.addrs.Store(&addrs)
	h.tw.epoch = &twEpoch{}
	h.out.init(cfg.MTU)
	h.mem = &memoryPool{lim: cfg.Memory}
	return h
}

// Name is the host's name in traces.
func (h *Host) Name() string { return h.cfg.Name }

// MTU is the host's link MTU.
func (h *Host) MTU() int { return h.cfg.MTU }

// AddAddress adds an address (with its subnet prefix) to the host.
func (h *Host) AddAddress(p netip.Prefix) {
	h.mu.Lock()
	next := append(append([]netip.Prefix(nil), *h.addrs.Load()...), p)
	h.addrs.Store(&next)
	h.mu.Unlock()
}

// Addrs returns the host's addresses.
func (h *Host) Addrs() []netip.Prefix {
	return append([]netip.Prefix(nil), *h.addrs.Load()...)
}

// Counters returns a snapshot of the MIB counters.
// Per-connection counts (retransmissions, challenge ACKs, …) are summed
// over the live connections and those already gone.
func (h *Host) Counters() Counters {
	h.mu.Lock()
	sum := h.retired
	for _, c := range h.conns.all() {
		c.mu.Lock()
		if t := c.full(); t != nil {
			sum.add(t.Stats())
		}
		c.mu.Unlock()
	}
	timeWaits := h.timeWaitCount()
	h.mu.Unlock()
	h.countMu.Lock()
	k := h.counters
	h.countMu.Unlock()
	k.CurrTimeWait = uint64(timeWaits)
	k.TCPMemoryPressures = h.mem.pressures.Load()
	k.MemoryAllocated = uint64(h.mem.allocated.Load())
	k.CurrOrphans = uint64(h.orphans.Load())
	k.addConnStats(&sum)
	return k
}

// count applies f to the counters under their lock.
func (h *Host) count(f func(k *Counters)) {
	h.countMu.Lock()
	f(&h.counters)
	h.countMu.Unlock()
}

// isLocal reports whether a is one of the host's addresses.
func (h *Host) isLocal(a netip.Addr) bool {
	for _, p := range *h.addrs.Load() {
		if p.Addr() == a {
			return true
		}
	}
	return false
}

// sourceFor picks the local address for a connection to remote: one whose
// subnet contains it, else the first of the same family.
func (h *Host) sourceFor(remote netip.Addr) (netip.Addr, bool) {
	var fallback netip.Addr
	for _, p := range *h.addrs.Load() {
		if p.Addr().Is4() != remote.Is4() {
			continue
		}
		if p.Contains(remote) {
			return p.Addr(), true
		}
		if !fallback.IsValid() {
			fallback = p.Addr()
		}
	}
	return fallback, fallback.IsValid()
}

// mssFor is the MSS to advertise to remote: the MTU minus the IP and TCP
// headers (RFC 9293 §3.7.1, RFC 8200 §5), and the MSS assumed when the peer
// sends none.
func (h *Host) mssFor(remote netip.Addr) (mss, def uint16) {
	if remote.Is4() {
		return uint16(h.cfg.MTU - 40), 536
	}
	return uint16(h.cfg.MTU - 60), 1220
}

// openParams computes the per-connection inputs of an OPEN.
func (h *Host) openParams(now clock.Instant, t Tuple, obs tcp.Observer, o OpenOptions) tcp.OpenParams {
	mss, def := h.mssFor(t.Remote.Addr())
	if o.MaxSegment > 0 {
		mss = min(mss, uint16(o.MaxSegment))
	}
	return tcp.OpenParams{
		ISS:        h.isn.ISN(now, t.Local, t.Remote),
		MSS:        mss,
		DefaultMSS: def,
		// RFC 7323 §5.4: a per-connection offset, here the tuple's ISN
		// hash at time zero, so that it needs no extra randomness.
		TSOffset:          uint32(h.isn.ISN(0, t.Remote, t.Local)),
		Observer:          obs,
		CongestionControl: o.CongestionControl,
	}
}

// markDirty queues c for the next Flush.
func (h *Host) markDirty(c *Conn) {
	h.dirtyMu.Lock()
	first := len(h.dirty) == 0
	if !c.dirty {
		c.dirty = true
		h.dirty = append(h.dirty, c)
	}
	h.dirtyMu.Unlock()
	if first && h.cfg.OnOutput != nil {
		h.cfg.OnOutput()
	}
}

// NextDeadline is the earliest instant at which Tick has work, or
// clock.Never. Pending output is not a deadline: drivers Flush after
// every Deliver, Tick or user call.
func (h *Host) NextDeadline() clock.Instant {
	h.mu.Lock()
	defer h.mu.Unlock()
	return clock.Min(clock.Min(h.timers.next(), h.syn.next()), clock.Min(h.nextForward(), h.nextTimeWait()))
}

// HasPendingOutput reports whether Flush has work.
func (h *Host) HasPendingOutput() bool {
	h.dirtyMu.Lock()
	defer h.dirtyMu.Unlock()
	return len(h.dirty) > 0 || h.out.len() > 0 || h.dgram.out.pending() || h.forwardsAnswered()
}

// Tick runs the timers of every connection whose deadline is at or before now.
func (h *Host) Tick(now clock.Instant) {
	h.mu.Lock()
	for {
		c := h.timers.popDue(now)
		if c == nil {
			break
		}
		c.mu.Lock()
		c.f.tick(now, c)
		c.orphanOutOfResources(now)
		c.mu.Unlock()
		h.markDirty(c)
	}
	h.tickTimeWaits(now)
	h.tickRequests(now)
	h.tickForwards(now)
	h.mu.Unlock()
	h.tickUDPFlows(now) // udp_forward.go
}

// rekey replaces the host's secrets, as a host that reboots draws new
// random ones (Linux's syncookie and ISN keys are drawn once per boot):
// a cookie or ISN of the last life must mean nothing in the next, or a
// keep-alive probe from a peer of the old life, numbered like a
// handshake's final ACK, could bring a forgotten connection back from
// its cookie. The new secret is derived from the old one, so that a
// simulation stays reproducible. Called with h.mu held.
func (h *Host) rekey() {
	sum := sha256.Sum256(h.cfg.Secret[:])
	copy(h.cfg.Secret[:], sum[:])
	h.isn = tcp.NewISNGenerator(h.cfg.Secret)
	h.cookies = tcp.NewCookieJar(cookieKey(h.cfg.Secret))
}

// Crash forgets every connection and listener at once, without sending
// anything, as a host that loses power and reboots does. Peers are left
// with half-open connections (RFC 9293 §3.5.1).
func (h *Host) Crash(now clock.Instant) {
	h.mu.Lock()
	conns := h.conns
	lns := h.listeners
	h.conns = newConnTable()
	h.listeners = make(map[netip.AddrPort]*Listener)
	h.timers = timerWheel{}
	h.timeWaits = 0
	h.crashRequests(now)
	h.synDue = nil
	h.crashForward()
	h.crashTimeWaits(now) // and rekey
	for _, c := range conns.all() {
		c.removed = true
		c.timer = unarmed
	}
	h.mu.Unlock()
	h.dirtyMu.Lock()
	for _, c := range h.dirty {
		c.dirty = false
	}
	h.dirty = h.dirty[:0]
	h.dirtyMu.Unlock()
	h.out.reset()
	h.crashDatagrams()
	for _, c := range conns.all() {
		c.crash(now)
	}
	for _, l := range lns {
		l.crash()
	}
}
