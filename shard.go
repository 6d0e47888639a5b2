package synack

import (
	"crypto/rand"
	"net/netip"
	"runtime"
	"sync"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/trace"
)

// Shards: a Stack splits its TCP connections among Config.Shards hosts,
// each a stack.Host with its own lock, timer wheel, tables and event-loop
// goroutine, so that the connections of one stack run on as many cores.
// A flow belongs to the shard its 4-tuple hashes to (shard_place.go):
// the link readers read each packet's IP header and ports and hand it to
// that shard's queue; an active open picks an ephemeral port whose tuple
// hashes to the shard it runs on (stack.Host.SetPortFilter), so that the
// shard whose table decides whether a tuple is free is the one that owns
// it; a listener is registered on every shard and Accept takes from
// whichever has a connection ready, and so is the TCP forwarder, each
// copy taking the tuples its shard owns. UDP, ping and the UDP forwarder
// live on shard 0, which every datagram, echo and ICMP message quoting no TCP
// header reaches. What the shards share: the buffer memory account
// (Config.Host.Memory bounds them together), the links (each link's writes
// take turns under a mutex, and its reader goroutine parses and places
// every packet), the buffer pool, the recorder (serialised) and the
// clock.

// shard is one event loop and the host it drives.
type shard struct {
	s       *Stack
	host    *stack.Host
	kick    chan struct{} // wakes the loop: user calls queued output
	inbound chan packet   // packets from the link readers
}

// newShards creates the hosts, n of them (0: one per GOMAXPROCS).
func (s *Stack) newShards(n int, hc stack.Config) {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	if hc.Secret == [16]byte{} {
		// One secret for all: ISNs, cookies and timestamps offsets are
		// the same function of the tuple whichever shard computes them.
		rand.Read(hc.Secret[:])
	}
	s.placer = newPlacer(hc.Secret)
	addrs := append([]netip.Prefix(nil), hc.Addrs...)
	s.addrs.Store(&addrs)
	if n > 1 && hc.Recorder != nil {
		hc.Recorder = &lockedRecorder{r: hc.Recorder}
	}
	s.shards = make([]*shard, n)
	for i := range s.shards {
		sh := &shard{s: s, kick: make(chan struct{}, 1), inbound: make(chan packet, 256)}
		c := hc
		c.OnOutput = sh.wake
		sh.host = stack.NewHost(c)
		if n > 1 {
			i := i
			sh.host.SetPortFilter(func(t stack.Tuple) bool { return s.shardOf(t) == i })
		}
		if i > 0 {
			sh.host.ShareMemory(s.shards[0].host)
		}
		s.shards[i] = sh
	}
	s.host = s.shards[0].host
}

// lockedRecorder serialises the shards' calls of one Recorder, which
// each host calls from its own goroutines.
type lockedRecorder struct {
	mu sync.Mutex
	r  trace.Recorder
}

func (l *lockedRecorder) Record(e trace.Event) {
	l.mu.Lock()
	l.r.Record(e)
	l.mu.Unlock()
}

// inboundFor returns the queue of the shard that owns pkt's flow.
func (s *Stack) inboundFor(pkt []byte) chan<- packet {
	if len(s.shards) == 1 {
		return s.shards[0].inbound
	}
	return s.shards[s.place(pkt)].inbound
}

// wake nudges the event loop; it never blocks.
func (sh *shard) wake() {
	select {
	case sh.kick <- struct{}{}:
	default:
	}
}

// eventLoop is the only goroutine that drives the shard's host: it
// delivers packets, runs timers and flushes output.
func (sh *shard) eventLoop() {
	s := sh.s
	defer s.wg.Done()
	timer := s.clk.NewTimer(clock.Never)
	defer timer.Stop()
	emit := s.emit
	for {
		select {
		case p := <-sh.inbound:
			now := s.clk.Now()
			sh.deliver(now, p)
			// Take what else has arrived, then flush once.
		drain:
			for i := 0; i < 64; i++ {
				select {
				case p = <-sh.inbound:
					sh.deliver(now, p)
				default:
					break drain
				}
			}
		case <-sh.kick:
		case <-timer.C():
		case <-s.done:
			return
		}
		now := s.clk.Now()
		sh.host.Tick(now)
		sh.host.Flush(now, emit)
		s.flushLinks()
		timer.Reset(sh.host.NextDeadline())
	}
}

func (sh *shard) deliver(now clock.Instant, p packet) {
	if p.from != nil {
		sh.host.Deliver(now, p.lent)
		p.from.ReleasePacketBuffer(p.lent)
		return
	}
	sh.host.Deliver(now, (*p.buf)[:p.n])
	sh.s.pool.Put(p.buf)
}

// Shards returns the hosts of the stack's shards, shard 0's first.
func (s *Stack) Shards() []*stack.Host {
	hs := make([]*stack.Host, len(s.shards))
	for i, sh := range s.shards {
		hs[i] = sh.host
	}
	return hs
}

// Counters returns a snapshot of the stack's MIB counters, summed over
// its shards but for those of the memory account they share.
func (s *Stack) Counters() stack.Counters {
	k := s.host.Counters()
	for _, sh := range s.shards[1:] {
		o := sh.host.Counters()
		o.MemoryAllocated, o.TCPMemoryPressures = 0, 0
		sumFields(&k, &o)
	}
	return k
}

// Census returns what the stack holds, summed over its shards; a
// listener, registered on every shard, counts once.
func (s *Stack) Census() stack.Census {
	c := s.host.Census()
	for _, sh := range s.shards[1:] {
		o := sh.host.Census()
		o.Listeners = 0
		sumFields(&c, &o)
	}
	return c
}

// AddAddress adds an address (with its subnet prefix) to every shard.
// On a stack of several shards use it rather than Host().AddAddress,
// which tells shard 0 only.
func (s *Stack) AddAddress(p netip.Prefix) {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	for _, sh := range s.shards {
		sh.host.AddAddress(p)
	}
	next := append(append([]netip.Prefix(nil), *s.addrs.Load()...), p)
	s.addrs.Store(&next)
}
