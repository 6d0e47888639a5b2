// Package synack is a userspace TCP/IP stack: a Stack attached to one or
// more links (a TUN device, an in-memory pipe, a simulated network) gives
// Go programs net.Conn and net.Listener values whose TCP runs inside the
// process, with every connection's state machine observable.
//
//	st, err := synack.New(synack.Config{Links: []synack.Link{{Link: l, Addrs: addrs}}})
//	ln, err := st.Listen("tcp", "10.0.0.1:80")
//	c, err := st.Dial("tcp", "10.0.0.2:80")
package synack

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// Config configures a Stack.
type Config struct {
	// Name names the stack in traces and logs.
	Name string
	// Links are the network interfaces; each carries some of the stack's
	// addresses. At least one is required.
	Links []Link
	// TCP holds the TCP tunables; nil means tcp.DefaultConfig().
	TCP *tcp.Config
	// Clock is the time source; nil means the real clock. Deadlines set
	// with SetDeadline always use the time package (which
	// testing/synctest virtualises).
	Clock clock.Clock
	// Recorder, if not nil, receives every trace event.
	Recorder trace.Recorder
	// Logger receives diagnostics; nil means slog.Default().
	Logger *slog.Logger
	// Resolver, if not nil, looks up the host names given to Dial and
	// DialContext (a *net.Resolver, or one that asks a DNS server through
	// this stack). Without one, Dial takes literal IP addresses only.
	Resolver Resolver
	// Host holds the remaining host settings (ports, limits, secret);
	// its Name, Addrs, MTU, TCP, Recorder and OnOutput are set from the
	// fields above. With more than one shard, Memory bounds them all
	// together, and the other limits (MaxConns, MaxTimeWait, MaxOrphans,
	// the backlogs and the ICMP rate limits) each shard.
	Host stack.Config
	// Shards is the number of event loops the stack's TCP connections
	// are spread over, each a stack.Host of its own with its lock, timer
	// wheel and goroutine, owning the connections whose 4-tuple hashes
	// to it (under a key drawn from Host.Secret, which no peer can aim
	// at); 0 means runtime.GOMAXPROCS(0), 1 one loop for everything, as
	// before shards. UDP, ping and the UDP forwarder live on shard 0; a
	// listener or TCP forwarder has a copy on every shard. Host
	// returns shard 0's host, Shards every shard's; Counters, Census,
	// Sockets and Subscribe span them all.
	Shards int
}

// Link is one network interface of a Stack.
type Link struct {
	Link  link.Link
	Addrs []netip.Prefix
}

// Stack is a TCP/IP host running on its own event-loop goroutines, one
// per shard.
type Stack struct {
	name     string
	host     *stack.Host // shard 0's: UDP, ping and the UDP forwarder live there
	shards   []*shard
	placer   placer                         // the keyed hash that places tuples (shard_hash.go)
	nextOpen atomic.Uint32                  // the shard the next active open tries first (shard_dial.go)
	listenMu sync.Mutex                     // serialises Listen and Close across the shards (shard_listen.go)
	addrs    atomic.Pointer[[]netip.Prefix] // the shards' addresses, replaced by AddAddress
	addrMu   sync.Mutex                     // serialises AddAddress
	clk      clock.Clock
	log      *slog.Logger
	links    []Link
	linkMu   []sync.Mutex // per link, serialising the shards' writes when there are several
	resolver Resolver

	pool sync.Pool // of *[]byte, MTU-sized
	done chan struct{}
	wg   sync.WaitGroup

	closeOnce sync.Once
}

type packet struct {
	buf *[]byte
	n   int
	// lent is a packet in the storage of from, a link.BufferReader, which
	// gets it back once delivered (buf is then nil).
	lent []byte
	from link.BufferReader
}

// New creates a stack and starts its goroutines: one event loop per
// shard, and one reader per link.
func New(cfg Config) (*Stack, error) {
	if len(cfg.Links) == 0 {
		return nil, errors.New("synack: Config.Links is empty")
	}
	if cfg.TCP != nil {
		// As Linux refuses an unknown tcp_congestion_control.
		if err := tcp.CheckCongestionControl(cfg.TCP.CongestionControl); err != nil {
			return nil, fmt.Errorf("synack: Config.TCP.CongestionControl %q: %w", cfg.TCP.CongestionControl, err)
		}
	}
	s := &Stack{
		name:     cfg.Name,
		clk:      cfg.Clock,
		log:      cfg.Logger,
		links:    cfg.Links,
		linkMu:   make([]sync.Mutex, len(cfg.Links)),
		resolver: cfg.Resolver,
		done:     make(chan struct{}),
	}
	if s.clk == nil {
		s.clk = clock.NewReal()
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	hc := cfg.Host
	hc.Name, hc.TCP, hc.Recorder = cfg.Name, cfg.TCP, cfg.Recorder
	hc.Addrs = nil
	hc.MTU = 0
	for _, l := range cfg.Links {
		if l.Link == nil {
			return nil, errors.New("synack: a Link has no link.Link")
		}
		if len(l.Addrs) == 0 {
			return nil, errors.New("synack: a Link has no addresses")
		}
		hc.Addrs = append(hc.Addrs, l.Addrs...)
		if mtu := l.Link.MTU(); hc.MTU == 0 || mtu < hc.MTU {
			hc.MTU = mtu
		}
	}
	if hc.MTU < 1280 && hasIPv6(hc.Addrs) || hc.MTU < 576 {
		return nil, fmt.Errorf("synack: link MTU %d is too small", hc.MTU)
	}
	s.newShards(cfg.Shards, hc)
	mtu := hc.MTU
	s.pool.New = func() any { b := make([]byte, mtu); return &b }
	for _, l := range cfg.Links {
		s.wg.Add(1)
		go s.readLoop(l.Link)
	}
	for _, sh := range s.shards {
		s.wg.Add(1)
		go sh.eventLoop()
	}
	return s, nil
}

func hasIPv6(ps []netip.Prefix) bool {
	for _, p := range ps {
		if p.Addr().Is6() {
			return true
		}
	}
	return false
}

// Host returns the stack's host runtime, for counters and inspection:
// with several shards, shard 0's, which holds the UDP and ping sockets,
// the UDP forwarder and its share of the TCP connections (Shards returns
// them all).
func (s *Stack) Host() *stack.Host { return s.host }

// Close stops the stack: its goroutines end and its links are closed.
// Connections are dropped without a word to their peers; close them first
// for an orderly shutdown.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		for _, l := range s.links {
			l.Link.Close()
		}
		s.wg.Wait()
		now := s.clk.Now()
		for _, sh := range s.shards {
			sh.host.Crash(now)
		}
	})
	return nil
}

// readLoop moves packets from a link to the event loops, each to the
// shard that owns its flow.
func (s *Stack) readLoop(l link.Link) {
	defer s.wg.Done()
	if br, ok := l.(link.BufferReader); ok {
		s.readLent(br)
		return
	}
	for {
		bp := s.pool.Get().(*[]byte)
		n, err := l.ReadPacket(*bp)
		if err != nil {
			s.pool.Put(bp)
			s.linkReadFailed(err)
			return
		}
		select {
		case s.inboundFor((*bp)[:n]) <- packet{buf: bp, n: n}:
		case <-s.done:
			s.pool.Put(bp)
			return
		}
	}
}

// linkReadFailed logs why a link's reader stopped, unless the stack is
// closing.
func (s *Stack) linkReadFailed(err error) {
	select {
	case <-s.done:
	default:
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) {
			s.log.Debug("synack: link closed", "stack", s.name, "err", err)
		} else {
			s.log.Error("synack: link read failed", "stack", s.name, "err", err)
		}
	}
}

// readLent is readLoop for a link that lends its packets: no copy into
// the stack's buffers.
func (s *Stack) readLent(br link.BufferReader) {
	for {
		pkt, err := br.ReadPacketBuffer()
		if err != nil {
			s.linkReadFailed(err)
			return
		}
		select {
		case s.inboundFor(pkt) <- packet{lent: pkt, from: br}:
		case <-s.done:
			br.ReleasePacketBuffer(pkt)
			return
		}
	}
}

// emit writes a packet to the link that owns its source address. A link
// is safe for one writer at a time: with several shards, its mutex makes
// them take turns.
func (s *Stack) emit(pkt []byte) {
	i := 0
	if len(s.links) > 1 {
		i = s.linkFor(pkt)
	}
	l := s.links[i].Link
	var err error
	if len(s.shards) > 1 {
		s.linkMu[i].Lock()
		err = l.WritePacket(pkt)
		s.linkMu[i].Unlock()
	} else {
		err = l.WritePacket(pkt)
	}
	if err != nil {
		select {
		case <-s.done:
		default:
			s.log.Warn("synack: link write failed", "err", err)
		}
	}
}

// flushLinks ends a burst of output: links that hold packets back to
// send them together (link.Flusher) send them now.
func (s *Stack) flushLinks() {
	for i, l := range s.links {
		f, ok := l.Link.(link.Flusher)
		if !ok {
			continue
		}
		var err error
		if len(s.shards) > 1 {
			s.linkMu[i].Lock()
			err = f.Flush()
			s.linkMu[i].Unlock()
		} else {
			err = f.Flush()
		}
		if err != nil {
			select {
			case <-s.done:
			default:
				s.log.Warn("synack: link flush failed", "err", err)
			}
		}
	}
}

// linkFor picks the link whose addresses include the packet's source,
// else (a forwarded connection's packet, from an address the stack does
// not own) the one whose subnet holds its destination, else the first.
func (s *Stack) linkFor(pkt []byte) int {
	var src, dst netip.Addr
	switch {
	case len(pkt) >= 20 && pkt[0]>>4 == 4:
		src, dst = netip.AddrFrom4([4]byte(pkt[12:16])), netip.AddrFrom4([4]byte(pkt[16:20]))
	case len(pkt) >= 40 && pkt[0]>>4 == 6:
		src, dst = netip.AddrFrom16([16]byte(pkt[8:24])), netip.AddrFrom16([16]byte(pkt[24:40]))
	}
	for i, l := range s.links {
		for _, a := range l.Addrs {
			if a.Addr() == src {
				return i
			}
		}
	}
	for i, l := range s.links {
		for _, a := range l.Addrs {
			if a.Contains(dst) {
				return i
			}
		}
	}
	return 0
}
