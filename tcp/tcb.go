package tcp

import (
	"syscall"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// TCB is the Transmission Control Block of one connection (RFC 9293 §3.3.1):
// its state, its sequence variables and its buffers. Its methods are the
// user calls of RFC 9293 §3.10 (Write, Read, Close, Shutdown, Abort) and the
// host's inputs (Deliver, Tick, NextSegment). It is not safe for concurrent
// use; the host serialises calls.
type TCB struct {
	// The fields are grouped by alignment (8-byte, then 4, 2 and 1) so
	// that no padding pushes the TCB into a larger size class
	// (TestTCBSizeClass).
	cfg *Config
	obs Observer
	// err is the error the connection died of, as the errno a kernel socket
	// would report; 0 while the connection is healthy.
	err syscall.Errno

	sendBuf sendBuffer
	recvBuf recvBuffer
	// mem is the buffers' share of the host's memory (memory.go).
	mem memCharge

	// tw is the connection in TIME_WAIT: from the end of the segment that
	// brought it there, every rule of that state is the entry's, and the
	// host may keep the entry alone (TimeWaitEntry).
	tw *TimeWaitEntry

	ack  ackPolicy
	tune bufferTuning
	tm   timers

	rtt      rttEstimator
	rttStart clock.Instant

	cc congestion
	sb scoreboard // what the peer has SACKed (RFC 6675)
	// ld is the RACK-TLP state (lossdetect.go), allocated as data is
	// first sent with SACK in use.
	ld *lossDetection

	lastRecv clock.Instant // when the last segment arrived (keep-alive idle)
	// keepalive is the keep-alive configuration: the Config's, one that
	// many connections share (SetSharedKeepAlive) or the connection's own
	// (SetKeepAlive). It is never written through.
	keepalive *KeepAlive

	// hot counts what every segment moves; the other counters of
	// ConnStats, with the rest of what a healthy connection rarely
	// touches, are in cold (cold.go), nil until first needed.
	hot  hotStats
	cold *tcbCold

	snd sendVars
	rcv recvVars
	fin finState
	rst resetToSend // the reset rstPending asks for

	// Options negotiated in the handshake.
	mss      uint32 // largest payload we send in one segment (after option overhead)
	tsRecent uint32 // RFC 7323 §4.3 TS.Recent
	tsOffset uint32 // added to our clock in TSval (RFC 7323 §5.4)

	ackDelayed  int32 // in-order segments received since the last ACK we sent
	dupAcksOwed int32 // immediate duplicate ACKs owed for out-of-order segments
	// burst counts the data segments NextSegment has returned since it
	// last had nothing to send. PSH marks the end of a write and the last
	// segment of a burst (RFC 9293 §3.9.1), as a TSO burst ends on Linux.
	burst int32

	rttSeq     Seq
	retransmit int32 // consecutive retransmission timeouts
	dupAcks    int32
	recover    Seq // RFC 6582 §3.2 "recover"

	ourMSS  uint16 // the MSS we advertise
	defMSS  uint16 // the MSS assumed when the peer sends none (536 or 1220)
	peerMSS uint16 // the MSS option of the peer's SYN, 0 if it had none

	state State
	// passive is true for a TCB born from a listener's SYN: an RST in
	// SYN_RCVD then returns it to LISTEN (RFC 9293 §3.10.7.4).
	passive bool
	tsOK    bool // RFC 7323 timestamps in use
	sackOK  bool // RFC 2018 SACK permitted by both ends
	wsOK    bool // RFC 7323 window scaling in use

	// Output requests, consumed by NextSegment.
	ackNow     bool // an ACK must go out now
	rstPending bool // send rst (a reset not derived from snd.nxt)
	// bareProbePending asks for a bare probe <SEQ=SND.UNA-1>: a keep-alive
	// (RFC 1122 §4.2.3.6), or a retransmission timeout into a zero window.
	bareProbePending bool
	resendOne        bool // fast retransmit: resend one segment from snd.una

	rttTiming  bool // a segment is being timed (no timestamps; Karn's rule)
	inRecovery bool

	nagle    bool // Nagle's algorithm on (TCP_NODELAY off)
	rdShut   bool // the user shut down reading (CloseRead)
	orphaned bool // the user called Close: no one will read again
	// windowProbePending is set when the persist timer asks for a window
	// probe (RFC 9293 §3.8.6.1).
	windowProbePending bool
	keepProbes         uint8 // unanswered keep-alive probes
	// probesOut counts window probes sent since the peer last answered
	// (Linux icsk_probes_out).
	probesOut uint8
}

// resetToSend is a queued reset: its numbers and flags, and whether it
// carries a timestamp (an abort's does, RFC 7323 §3.2; one built from the
// offending segment does not). It is kept this small, rather than as a
// Segment, because every TCB carries it.
type resetToSend struct {
	seq, ack Seq
	flags    wire.TCPFlags
	withTS   bool
}

// sendVars are the send sequence variables of RFC 9293 §3.3.1.
type sendVars struct {
	una Seq    // SND.UNA: oldest unacknowledged sequence number
	nxt Seq    // SND.NXT: next sequence number to send
	max Seq    // highest sequence number sent (SND.NXT before a rewind)
	wnd uint32 // SND.WND, already scaled
	wl1 Seq    // SND.WL1: segment sequence number used for the last window update
	wl2 Seq    // SND.WL2: segment acknowledgment number used for the last window update
	iss Seq    // ISS: initial send sequence number
	// wscale is the peer's window scale shift (RFC 7323 §2.2), applied to
	// the windows it advertises.
	wscale uint8
	// maxWnd is the largest window the peer has offered (RFC 9293 §3.8.6.2.1).
	maxWnd uint32
	// small is the end of the last segment sent with less than an MSS of
	// data (Minshall's Nagle variant).
	small Seq
	// bufSeq is the sequence number of the first byte in the send buffer.
	bufSeq Seq
}

// recvVars are the receive sequence variables of RFC 9293 §3.3.1.
type recvVars struct {
	nxt Seq // RCV.NXT: next sequence number expected
	irs Seq // IRS: initial receive sequence number
	// adv is the right edge of the window we last advertised
	// (RCV.NXT+RCV.WND at that time); it never moves left (RFC 9293 §3.8.6).
	adv Seq
	// wscale is our window scale shift, applied to windows we advertise;
	// wscaleOffered is the shift our SYN offered, which scaling uses only
	// if the peer's SYN offered one too (RFC 7323 §2.2).
	wscale, wscaleOffered uint8
	// lastAck is Last.ACK.sent of RFC 7323 §4.3.
	lastAck Seq
}

// finState tracks the FINs of both directions.
type finState struct {
	queued  bool // the user closed the sending direction; send FIN after the data
	sent    bool // a FIN has been given a sequence number
	rcvd    bool // the peer's FIN has been processed
	pending bool // the peer's FIN arrived beyond a hole and waits for it to fill
	seq     Seq  // the FIN's sequence number, when sent
	rcvSeq  Seq  // the pending FIN's sequence number
}

// ConnStats counts one connection's events, for the host's MIB counters.
type ConnStats struct {
	SegsOut, SegsIn   uint64
	RetransSegs       uint64
	Timeouts          uint64 // RTO expiries
	FastRetrans       uint64
	DupAcksIn         uint64
	ChallengeAcks     uint64
	OutOfWindow       uint64 // unacceptable segments answered with an ACK
	PAWSRejected      uint64
	BytesSent         uint64
	BytesReceived     uint64
	OutOfOrderQueued  uint64
	ReassemblyOverrun uint64
	// RcvQDrop and OFODrop count segments whose in-order or out-of-order
	// data was dropped, in whole or in part, because the host's buffer
	// memory was over its hard limit (Linux's TCPRcvQDrop, TCPOFODrop).
	RcvQDrop, OFODrop uint64
	PathMTUChanges    uint64 // ICMP messages that lowered the MSS
	// InvalidAcksLimited counts ACKs to unacceptable segments suppressed
	// by the rate limit (Linux's TCPACKSkipped* counters).
	InvalidAcksLimited uint64
	// LossProbes counts tail loss probes sent (RFC 8985 §7), and
	// LossProbeRecoveries those whose ACK showed they repaired a loss
	// (Linux's TCPLossProbes, TCPLossProbeRecovery).
	LossProbes, LossProbeRecoveries uint64
}

// maxDupAcksOwed bounds the duplicate ACKs sent back to back for one
// batch of out-of-order segments: three trigger fast retransmit.
const maxDupAcksOwed = 3

// OpenParams are the per-connection inputs of an OPEN that the host
// computes: the ISS from its RFC 6528 generator, the MSS from the route's
// MTU, and the timestamp offset.
type OpenParams struct {
	ISS Seq
	// MSS is advertised in our SYN: the route MTU minus the IP and TCP
	// headers (1460 for IPv4 on Ethernet, 1440 for IPv6).
	MSS uint16
	// DefaultMSS is assumed when the peer sends no MSS option: 536 for IPv4
	// (RFC 9293 §3.7.1), 1220 for IPv6 (RFC 8200 §5).
	DefaultMSS uint16
	// TSOffset randomises our timestamps per connection (RFC 7323 §5.4).
	TSOffset uint32
	Observer Observer
	// Memory is the host's account of buffer memory; nil leaves the
	// TCB's buffers unaccounted.
	Memory MemoryAccount
	// CongestionControl, when not empty, names the connection's
	// algorithm instead of Config.CongestionControl (TCP_CONGESTION set
	// before connect, or on a listener).
	CongestionControl string
}

func newTCB(cfg *Config, p OpenParams) *TCB {
	t := new(TCB)
	initTCB(t, cfg, p)
	return t
}

// initTCB makes *t a new TCB in CLOSED, as newTCB returns it, reusing the
// memory of whatever it held before.
func initTCB(t *TCB, cfg *Config, p OpenParams) {
	cold := t.cold
	*t = TCB{
		cfg:       cfg,
		obs:       p.Observer,
		ourMSS:    p.MSS,
		defMSS:    p.DefaultMSS,
		tsOffset:  p.TSOffset,
		nagle:     !cfg.NoDelay,
		keepalive: &cfg.KeepAlive,
		ack:       ackPolicy{quick: cfg.QuickAcks},
		rtt:       newRTTEstimator(cfg),
	}
	if cold != nil {
		// A host's scratch TCB, reused for request after request, keeps
		// its cold part rather than allocating one per request.
		*cold = newCold(cfg)
		t.cold = cold
	}
	t.mem.acct = p.Memory
	t.sendBuf.mem, t.recvBuf.mem = &t.mem, &t.mem
	cc := cfg.CongestionControl
	if p.CongestionControl != "" {
		cc = p.CongestionControl
	}
	t.cc = newCongestion(cc, uint32(p.MSS))
	t.sendBuf.setLimit(cfg.SendBufferSize)
	t.recvBuf.setLimit(cfg.ReceiveBufferSize)
	t.snd.iss = p.ISS
	t.snd.una = p.ISS
	t.snd.nxt = p.ISS
	t.snd.max = p.ISS
	t.snd.small = p.ISS
	// RFC 6582 §3.2 step 1: "recover" starts at the ISS, so that the
	// first loss may start fast recovery wherever the ISS lies.
	t.recover = p.ISS
	t.snd.bufSeq = p.ISS.Add(1)
	t.mss = uint32(p.MSS)
	if cfg.WindowScaling {
		t.rcv.wscale = windowShiftFor(max(cfg.ReceiveBufferSize, cfg.ReceiveBufferMax))
		t.rcv.wscaleOffered = t.rcv.wscale
	}
	t.tm.init()
}

// windowShiftFor returns the smallest window scale shift that lets a
// 16-bit window field describe a buffer of n bytes (RFC 7323 §2.3: at most 14).
func windowShiftFor(n int) uint8 {
	var s uint8
	for s < 14 && n>>s > 0xffff {
		s++
	}
	return s
}

// State returns the connection's current state.
func (t *TCB) State() State { return t.state }

// Err returns the errno the connection failed with, or 0.
func (t *TCB) Err() syscall.Errno { return t.err }

// setState is the single path for every state change: it records the
// transition with its cause for the observer.
func (t *TCB) setState(now clock.Instant, to State, why Cause) {
	from := t.state
	if from == to {
		return
	}
	t.state = to
	if from == TimeWait {
		t.tw = nil
	}
	if to == Closed || to == TimeWait {
		t.releaseLossMemory() // nothing is in flight any more
	}
	if t.obs != nil {
		t.obs.StateChanged(now, from, to, why)
	}
}

// fail ends the connection with err: it moves to CLOSED, drops both
// buffers and stops every timer (RFC 9293 §3.10.7.4 "flush all segment
// queues").
func (t *TCB) fail(now clock.Instant, err syscall.Errno, why Cause) {
	if t.err == 0 {
		t.err = err
	}
	t.sendBuf.discard(t.sendBuf.len())
	t.sendBuf.release()
	t.tm.stopAll()
	t.ackNow, t.ackDelayed, t.resendOne, t.dupAcksOwed = false, 0, false, 0
	t.bareProbePending, t.windowProbePending = false, false
	t.setState(now, Closed, why)
}

func segCause(s *Segment) Cause { return Cause{Kind: CauseSegment, Flags: s.Flags} }
func timerCause(tm Timer) Cause { return Cause{Kind: CauseTimer, Timer: tm} }
func callCause(c Call) Cause    { return Cause{Kind: CauseCall, Call: c} }
