// Package stack is synack's host runtime: one TCP/IP host made of its
// addresses, its connections and listeners, and the rules that apply to
// packets that belong to no connection. Like the TCB it drives, it is
// sans-IO: a driver hands it packets (Deliver) and the time, runs its timers
// (Tick), collects what it sends (Flush) and sleeps until NextDeadline.
package stack

import (
	"crypto/rand"
	"net/netip"
	"time"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// Config configures a Host.
type Config struct {
	// Name identifies the host in traces.
	Name string
	// Addrs are the host's addresses, each with the prefix of its subnet.
	Addrs []netip.Prefix
	// MTU is the link MTU; the advertised MSS is derived from it
	// (1460 for IPv4 and 1440 for IPv6 at 1500). Default 1500.
	MTU int
	// TCP holds the TCB tunables; the zero value means tcp.DefaultConfig().
	TCP *tcp.Config
	// Secret keys the ISN generator (RFC 6528), the ephemeral port
	// selection (RFC 6056) and the timestamp offsets. The zero value draws
	// a random one; simulations set it for reproducible runs.
	Secret [16]byte
	// EphemeralPorts is the range for active opens (Linux
	// ip_local_port_range: 32768–60999).
	EphemeralPortLow, EphemeralPortHigh uint16
	// MaxConns bounds the connections (in any state, TIME_WAIT included).
	// Default 1<<20.
	MaxConns int
	// MaxTimeWait bounds the TIME_WAIT table; a connection that reaches
	// TIME_WAIT while it is full is closed at once (Linux
	// tcp_max_tw_buckets: 262144).
	MaxTimeWait int
	// Memory bounds the connections' buffer memory (Linux's tcp_mem; see
	// MemoryLimits). The zero value means 48, 64 and 96 MiB.
	Memory MemoryLimits
	// MaxOrphans bounds the connections closed by their users that are
	// still closing; one closed beyond it is reset (Linux's
	// tcp_max_orphans). Default 65536.
	MaxOrphans int
	// DefaultBacklog is the accept queue bound when Listen gets 0, and
	// the cap on any listen backlog (Linux somaxconn: 4096).
	DefaultBacklog int
	// MaxSynBacklog bounds each listener's half-open connections, beside
	// its listen backlog, which bounds both queues as on Linux
	// (tcp_max_syn_backlog: 4096).
	MaxSynBacklog int
	// SynCookies says when a listener answers SYNs with SYN cookies
	// (RFC 4987 §3.6; Linux's tcp_syncookies): by default once its SYN
	// queue is full (1), always (2), or never (0), when SYNs beyond a full
	// queue are dropped.
	SynCookies SynCookieMode
	// TimeWaitReuse says when an active open may reuse a 4-tuple still in
	// TIME_WAIT, if both ends of the old connection used timestamps and
	// TIME_WAIT has lasted a second (Linux's tcp_tw_reuse): by default for
	// loopback addresses only (2), always (1), or never (0).
	TimeWaitReuse TimeWaitReuseMode
	// AbortOnOverflow answers a handshake's final ACK that finds the
	// accept queue full with a reset instead of dropping it (Linux's
	// tcp_abort_on_overflow).
	AbortOnOverflow bool
	// TTL is the IPv4 TTL and IPv6 hop limit of sent packets (64).
	TTL uint8
	// Recorder, if not nil, receives every trace event.
	Recorder trace.Recorder
	// OnOutput, if not nil, is called (without locks held, possibly from
	// a user goroutine) when a user call gives Flush work while none was
	// pending, so that a driver sleeping until NextDeadline wakes up. It
	// must not block.
	OnOutput func()
}

// SynCookieMode says when SYN cookies are used; the zero value is Linux's
// default.
type SynCookieMode uint8

// The SYN cookie modes, with the tcp_syncookies value each mirrors.
const (
	SynCookiesOnOverflow SynCookieMode = iota // 1: once a listener's SYN queue is full
	SynCookiesAlways                          // 2: for every SYN
	SynCookiesNever                           // 0: never; a full SYN queue drops SYNs
)

// TimeWaitReuseMode says when active opens reuse TIME_WAIT 4-tuples; the
// zero value is Linux's default.
type TimeWaitReuseMode uint8

// The TIME_WAIT reuse modes, with the tcp_tw_reuse value each mirrors.
const (
	TimeWaitReuseLoopback TimeWaitReuseMode = iota // 2: loopback connections only
	TimeWaitReuseOn                                // 1: every connection
	TimeWaitReuseOff                               // 0: none
)

// timeWaitReuseDelay is how long TIME_WAIT must have lasted before an
// active open may take over its 4-tuple (Linux's tcp_tw_reuse_delay).
const timeWaitReuseDelay = time.Second

func (c *Config) fill() {
	if c.MTU == 0 {
		c.MTU = 1500
	}
	if c.TCP == nil {
		d := tcp.DefaultConfig()
		c.TCP = &d
	}
	if c.Secret == [16]byte{} {
		rand.Read(c.Secret[:])
	}
	if c.EphemeralPortLow == 0 {
		c.EphemeralPortLow, c.EphemeralPortHigh = 32768, 60999
	}
	if c.MaxConns == 0 {
		c.MaxConns = 1 << 20
	}
	if c.Memory == (MemoryLimits{}) {
		c.Memory = defaultMemoryLimits
	}
	if c.MaxOrphans == 0 {
		c.MaxOrphans = 65536
	}
	if c.MaxTimeWait == 0 {
		c.MaxTimeWait = 262144
	}
	if c.DefaultBacklog == 0 {
		c.DefaultBacklog = 4096
	}
	if c.MaxSynBacklog == 0 {
		c.MaxSynBacklog = 4096
	}
	if c.TTL == 0 {
		c.TTL = 64
	}
}
