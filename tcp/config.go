package tcp

import "time"

// Config holds the tunables of a TCB. One Config is shared, read-only, by
// every TCB of a host; DefaultConfig gives Linux's defaults.
type Config struct {
	// SendBufferSize and ReceiveBufferSize are the initial limits of the
	// per-connection buffers (SO_SNDBUF, SO_RCVBUF; Linux tcp_wmem[1] and
	// tcp_rmem[1]). Buffers are allocated lazily up to their limits.
	SendBufferSize    int
	ReceiveBufferSize int

	// SendBufferMax and ReceiveBufferMax bound buffer autotuning, which
	// grows the limits with the connection's bandwidth-delay product
	// (Linux tcp_wmem[2]: 4 MiB, tcp_rmem[2]: 6 MiB). Our window scale is
	// chosen so that the window can describe ReceiveBufferMax (6 MiB: 7).
	// A value not above the initial size turns tuning off.
	SendBufferMax    int
	ReceiveBufferMax int

	// InitialRTO is the retransmission timeout before any RTT sample
	// (RFC 6298 §2.1: 1 s). MinRTO is the least variance term, as Linux
	// applies its rto_min: RTO = SRTT + max(4*RTTVAR, MinRTO), where
	// RFC 6298 §2.4 puts a 1 s floor under the sum. MaxRTO caps the RTO.
	// Linux uses 200 ms and 120 s.
	InitialRTO, MinRTO, MaxRTO time.Duration

	// SynRetries is how many times a SYN is retransmitted before connect
	// fails with ETIMEDOUT (Linux tcp_syn_retries: 6, giving up 127 s after
	// the first SYN). SynAckRetries is the same for a SYN-ACK
	// (tcp_synack_retries: 5). Retries bounds a synchronized connection's
	// retransmissions as Linux's tcp_retries2 (15) does: by the time that
	// many would take from the RTO floor, 924.6 s with 200 ms; and the
	// window probes that go unanswered. OrphanRetries is the same for a
	// connection its user has closed (tcp_orphan_retries, which Linux
	// treats as 8 when it is 0).
	SynRetries, SynAckRetries, Retries, OrphanRetries int

	// TimeWait is how long a connection stays in TIME_WAIT, 2×MSL
	// (RFC 9293 §3.4.2). Linux uses 60 s.
	TimeWait time.Duration

	// FinWait2Timeout bounds FIN_WAIT_2 for a connection the user has fully
	// closed (Linux tcp_fin_timeout: 60 s). Half-closed connections wait
	// for the peer indefinitely, as RFC 9293 says.
	FinWait2Timeout time.Duration

	// DelayedAck is the longest an ACK for in-order data is held back
	// (RFC 1122 §4.2.3.2 allows up to 500 ms; Linux's minimum is 40 ms).
	DelayedAck time.Duration

	// QuickAcks is how many data segments are acknowledged at once at the
	// start of a connection and after an idle period longer than the RTO,
	// before delayed ACKs apply (Linux TCP_MAX_QUICKACKS: 16). Zero always
	// delays.
	QuickAcks int

	// NoDelay disables Nagle's algorithm (RFC 9293 §3.7.4). Go's net.TCPConn
	// sets TCP_NODELAY by default, and so do we.
	NoDelay bool

	// KeepAlive configures keep-alive probes (RFC 1122 §4.2.3.6).
	KeepAlive KeepAlive

	// WindowScaling, Timestamps and SACK enable the RFC 7323 and RFC 2018
	// options in the SYN.
	WindowScaling, Timestamps, SACK bool

	// RFC1337 ignores RSTs in TIME_WAIT (RFC 1337 §3, "TIME-WAIT
	// assassination"). Linux's tcp_rfc1337 is off by default; ours is on.
	RFC1337 bool

	// NoRACK turns RACK off (RFC 8985 §6; Linux net.ipv4.tcp_recovery=0):
	// with SACK, RFC 6675's DupThresh rule then marks losses instead of
	// RACK's timing.
	NoRACK bool

	// CongestionControl names the connections' default algorithm (Linux's
	// net.ipv4.tcp_congestion_control): "cubic" (RFC 9438, Linux's
	// default, also what "" means), "reno" (RFC 5681 with RFC 6582
	// NewReno recovery) or one registered with RegisterCongestionControl.
	// CheckCongestionControl tells whether a name is known (synack.New
	// refuses an unknown one); a connection given an unknown one uses the
	// default. Each connection may change
	// its own (TCB.SetCongestionControl, OpenParams.CongestionControl).
	CongestionControl string

	// AckRateLimit is the least time between two ACKs that answer
	// unacceptable segments (out of window, PAWS, RFC 5961 challenges) on
	// one connection (Linux tcp_invalid_ratelimit: 500 ms; RFC 5961 §7).
	// Zero disables the limit.
	AckRateLimit time.Duration

	// UserTimeout, when non-zero, is each connection's initial user timeout
	// (RFC 9293 §3.8.3, RFC 5482; TCP_USER_TIMEOUT): a connection whose sent
	// data stays unacknowledged this long, or whose window probes or
	// keep-alives go unanswered this long, ends with ETIMEDOUT.
	UserTimeout time.Duration
}

// KeepAlive configures keep-alive probing. A zero Idle disables it.
type KeepAlive struct {
	Enable   bool
	Idle     time.Duration // idle time before the first probe (TCP_KEEPIDLE)
	Interval time.Duration // time between unanswered probes (TCP_KEEPINTVL)
	Count    int           // unanswered probes before the connection is dropped (TCP_KEEPCNT)
}

// DefaultConfig returns Linux's defaults, with Go's TCP_NODELAY.
func DefaultConfig() Config {
	return Config{
		SendBufferSize:    1 << 20,
		ReceiveBufferSize: 1 << 20,
		SendBufferMax:     4 << 20,
		ReceiveBufferMax:  6 << 20,
		InitialRTO:        time.Second,
		MinRTO:            200 * time.Millisecond,
		MaxRTO:            120 * time.Second,
		SynRetries:        6,
		SynAckRetries:     5,
		Retries:           15,
		OrphanRetries:     8,
		TimeWait:          60 * time.Second,
		FinWait2Timeout:   60 * time.Second,
		DelayedAck:        40 * time.Millisecond,
		QuickAcks:         16,
		NoDelay:           true,
		KeepAlive:         KeepAlive{Idle: 2 * time.Hour, Interval: 75 * time.Second, Count: 9},
		WindowScaling:     true,
		Timestamps:        true,
		SACK:              true,
		RFC1337:           true,
		CongestionControl: "cubic",
		AckRateLimit:      500 * time.Millisecond,
	}
}
