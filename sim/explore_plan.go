package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// Plan is one world of the explorer (see Explore): its hosts, the paths
// between them, the faults it suffers and the connections its
// applications make. NewPlan draws one from a seed; being plain data, a
// failing plan can be shrunk and printed.
type Plan struct {
	Seed    uint64
	Hosts   []PlanHost
	Paths   []PlanPath // one per ordered pair of hosts that talk
	Listens []PlanListen
	Conns   []PlanConn
	Faults  []PlanFault
	// BlackHole turns off the ICMP answers to packets over a path's MTU,
	// so that only the sizes the stack chooses get packets through.
	BlackHole bool
}

// PlanHost is one host: its link MTU and its TCP settings.
type PlanHost struct {
	MTU             int
	TCP             tcp.Config
	MaxTimeWait     int
	MaxSynBacklog   int // 0: the default
	SynCookies      stack.SynCookieMode
	AbortOnOverflow bool
	TimeWaitReuse   stack.TimeWaitReuseMode
}

// PlanPath is the impairment of one direction between two hosts.
type PlanPath struct {
	From, To int
	Imp      netem.Impairment
}

// PlanListen is a listening socket and the application that accepts on it.
type PlanListen struct {
	Host    int
	Port    uint16
	Backlog int
	// AcceptDelay is how long the application takes to accept each
	// connection; CloseAt, if not zero, closes the listener then, with
	// whatever connections it still holds.
	AcceptDelay, CloseAt time.Duration
}

// PlanConn is one connection: an active open to a listener, or, with
// Listen < 0, a simultaneous open between two fixed ports.
type PlanConn struct {
	Client, Server int // hosts
	Listen         int // index in Plan.Listens, or -1
	IPv6           bool
	At             time.Duration
	ClientApp      AppPlan
	ServerApp      AppPlan
}

// EndMode is how an application ends its side of a connection.
type EndMode uint8

// The ways to end a connection.
const (
	// EndHalfClose shuts down writing once everything is written
	// (shutdown(SHUT_WR)), reads to the end of file, then closes.
	EndHalfClose EndMode = iota
	// EndAfterEOF reads to the end of file, finishes writing, then closes:
	// the passive closer.
	EndAfterEOF
	// EndClose closes as soon as everything is written, reading no more.
	EndClose
	// EndAbort resets the connection (SO_LINGER 0, close) at AbortAt.
	EndAbort
)

var endModeNames = [...]string{"half-close", "after-eof", "close", "abort"}

func (m EndMode) String() string { return endModeNames[m] }

// AppPlan is what one end's application does.
type AppPlan struct {
	Send       int           // bytes to write in all
	WriteChunk int           // bytes per write call
	WriteGap   time.Duration // pause between writes (0: as fast as the buffer allows)
	ReadChunk  int           // bytes per read call
	ReadGap    time.Duration // pause between reads (0: read whatever arrives)
	ReadAfter  time.Duration // no reading before this long after the start
	End        EndMode
	AbortAt    time.Duration // EndAbort: this long after the start
	NoDelay    bool
}

// FaultKind names a fault.
type FaultKind uint8

// The faults.
const (
	FaultPartition  FaultKind = iota // hosts A and B cannot reach each other for For
	FaultCrash                       // host A reboots: every connection forgotten
	FaultClockStep                   // host A's clock jumps For ahead
	FaultPathChange                  // the path A->B takes Imp from then on
)

var faultNames = [...]string{"partition", "crash", "clock-step", "path-change"}

func (k FaultKind) String() string { return faultNames[k] }

// PlanFault is one fault at one instant.
type PlanFault struct {
	Kind FaultKind
	At   time.Duration
	A, B int
	For  time.Duration
	Imp  netem.Impairment
}

// Faulty reports whether anything in the world can lose packets or
// connections: loss, corruption, queue overflow, a black hole, partitions,
// crashes, clock steps or path changes. In a world that is not faulty
// every connection must end exactly as its applications chose.
func (p *Plan) Faulty() bool {
	if len(p.Faults) > 0 || p.BlackHole {
		return true
	}
	for _, path := range p.Paths {
		if path.Imp.Loss > 0 || path.Imp.Corrupt > 0 || path.Imp.Rate > 0 {
			return true
		}
	}
	return false
}

// String renders the plan for a failure report, one line per item.
func (p *Plan) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, %d hosts, faulty %v, black hole %v\n", p.Seed, len(p.Hosts), p.Faulty(), p.BlackHole)
	for i, h := range p.Hosts {
		c := h.TCP
		fmt.Fprintf(&b, "  host %s: mtu %d snd %d..%d rcv %d..%d nodelay %v ts %v sack %v ws %v cc %s tw %v fw2 %v ka %+v uto %v retries %d/%d/%d/%d maxtw %d synq %d cookies %d abort-on-overflow %v\n",
			hostName(i), h.MTU, c.SendBufferSize, c.SendBufferMax, c.ReceiveBufferSize, c.ReceiveBufferMax,
			c.NoDelay, c.Timestamps, c.SACK, c.WindowScaling, c.CongestionControl, c.TimeWait, c.FinWait2Timeout,
			c.KeepAlive, c.UserTimeout, c.SynRetries, c.SynAckRetries, c.Retries, c.OrphanRetries, h.MaxTimeWait,
			h.MaxSynBacklog, h.SynCookies, h.AbortOnOverflow)
	}
	for _, path := range p.Paths {
		fmt.Fprintf(&b, "  path %s>%s: %+v\n", hostName(path.From), hostName(path.To), path.Imp)
	}
	for i, l := range p.Listens {
		fmt.Fprintf(&b, "  listen %d: %s:%d backlog %d accept-delay %v close-at %v\n", i, hostName(l.Host), l.Port, l.Backlog, l.AcceptDelay, l.CloseAt)
	}
	for i, c := range p.Conns {
		fmt.Fprintf(&b, "  conn %d: %s>%s listen %d v6 %v at %v\n    client %+v\n    server %+v\n", i, hostName(c.Client), hostName(c.Server),
			c.Listen, c.IPv6, c.At, c.ClientApp, c.ServerApp)
	}
	for _, f := range p.Faults {
		fmt.Fprintf(&b, "  fault %v at %v: %s %s for %v %+v\n", f.Kind, f.At, hostName(f.A), hostName(f.B), f.For, f.Imp)
	}
	return b.String()
}

// hostName is the explorer's name of host i: h0, h1, ...
func hostName(i int) string { return fmt.Sprintf("h%d", i) }
