package drill

import (
	"syscall"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// sockState is how far a socket of the script has come, as far as the
// mapping of sequence numbers is concerned (section 3.5 of the corpus
// README: when each side's ISN is learned).
type sockState uint8

const (
	sockNew           sockState = iota // socket() only
	sockListening                      // listen() called
	sockPassiveRcvd                    // made by an inbound packet to a listener
	sockPassiveSynAck                  // the script's line for our SYN-ACK was reached
	sockConnecting                     // connect() called
	sockSynSent                        // the script's line for our SYN was reached
	sockSynAcked                       // the peer's SYN-ACK was injected
)

// sock is a socket of the script: what the script's file descriptor
// stands for, the synack object behind it, and the mapping between the
// script's numbers and the wire's.
type sock struct {
	state    sockState
	nonblock bool
	bound    bool
	ln       *stack.Listener
	conn     *stack.Conn

	// tuple is the connection's live 4-tuple (Local is the host's end),
	// once hasTuple.
	tuple    stack.Tuple
	hasTuple bool

	// scriptLocalISN and liveLocalISN map our sequence numbers (section
	// 3.5): on a SYN line wire = script - scriptLocalISN + liveLocalISN,
	// on other lines wire = script + liveLocalISN. learnISN makes the
	// next packet sniffed for a SYN line set liveLocalISN.
	scriptLocalISN, liveLocalISN uint32
	learnISN                     bool
	// remoteISN maps the peer's numbers: wire = script + remoteISN on
	// lines without SYN.
	remoteISN uint32

	ts tsMap

	opts sockOpts
	// errTaken records that the connection's error was reported once;
	// later reads return 0 and writes EPIPE, as Linux's sk_err.
	errTaken bool
	// connected records that a connect() reported the completion.
	connected bool
	// pending holds connections taken from the listener by poll() and
	// not yet returned by accept().
	pending []*stack.Conn
}

// sockOpts are the socket options set on a socket; accepted
// connections inherit their listener's.
type sockOpts struct {
	reuseAddr, noDelay, keepAlive bool
	keepSet                       bool
	keepIdle, keepIntvl, keepCnt  int
	linger0                       bool
	// maxSeg is TCP_MAXSEG as set before the connection opened (or on a
	// listener, for the connections it accepts); 0 when not set.
	maxSeg int
	// userTimeout is TCP_USER_TIMEOUT in milliseconds, once set.
	userTimeout    int
	userTimeoutSet bool
	// congestion is TCP_CONGESTION as set on the socket, "" for the
	// host's default.
	congestion string
}

// allOpts, as the option given to apply, means every option.
var allOpts = optKey{}

// apply sets on c the options synack's TCB holds: all those set on the
// socket (only == allOpts) when a connection opens or is accepted, or the
// one a setsockopt just changed, so that setting one does not disturb
// the others (a keep-alive's probe count, for one).
func (o *sockOpts) apply(c *stack.Conn, only optKey) {
	all := only == allOpts
	c.Configure(func(t *tcp.TCB) {
		if all || only == optNoDelay {
			t.SetNoDelay(o.noDelay)
		}
		if o.userTimeoutSet && (all || only == optUserTimeout) {
			t.SetUserTimeout(time.Duration(o.userTimeout) * time.Millisecond)
		}
		keep := only == optKeepAlive || only == optKeepIdle || only == optKeepIntvl || only == optKeepCnt
		if !o.keepSet || !all && !keep {
			return
		}
		k := t.KeepAliveConfig()
		k.Enable = o.keepAlive
		if o.keepIdle > 0 {
			k.Idle = secs(o.keepIdle)
		}
		if o.keepIntvl > 0 {
			k.Interval = secs(o.keepIntvl)
		}
		if o.keepCnt > 0 {
			k.Count = o.keepCnt
		}
		t.SetKeepAlive(k)
	})
}

// takeErr reports the connection's error the first time it is asked,
// and then 0, as Linux's sock_error() clears sk_err; without one, the
// ICMP soft error, which is cleared too.
func (s *sock) takeErr() syscall.Errno {
	if s.conn == nil || s.errTaken {
		return 0
	}
	if e := s.conn.Status().Err; e != 0 {
		s.errTaken = true
		return e
	}
	// Linux's SO_ERROR falls back to the soft error, and clears it.
	return s.conn.TakeSoftError()
}

// synchronizing reports whether the connection's handshake is still
// going on (a call must wait for it).
func (s *sock) synchronizing() bool {
	if s.conn == nil {
		return false
	}
	st := s.conn.Status().State
	return st == tcp.SynSent || st == tcp.SynReceived
}

// secs converts a socket option's seconds.
func secs(n int) time.Duration { return time.Duration(n) * time.Second }
