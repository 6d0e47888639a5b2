package tcp

import (
	"io"
	"syscall"

	"github.com/synack-net/synack/clock"
)

// Write is the SEND call (RFC 9293 §3.10.2): it copies as much of p as the
// send buffer has room for and returns the count. It returns 0, nil when the
// buffer is full (the caller waits for Writable), and an errno when the
// connection can no longer send: EPIPE after Shutdown or Close, the
// connection's error once it failed.
func (t *TCB) Write(p []byte) (int, error) {
	switch t.state {
	case Closed:
		if t.err != 0 {
			return 0, t.err
		}
		return 0, syscall.EPIPE
	case Listen:
		return 0, syscall.ENOTCONN
	}
	if t.fin.queued {
		return 0, syscall.EPIPE // RFC 9293 §3.10.2: "connection closing"
	}
	return t.sendBuf.write(p), nil
}

// Writable reports how many bytes Write would accept now.
func (t *TCB) Writable() int {
	if t.fin.queued || t.state == Closed || t.state == Listen {
		return 0
	}
	return t.sendBuf.free()
}

// Read is the RECEIVE call (RFC 9293 §3.10.3): it copies buffered in-order
// data into p. With nothing buffered it returns io.EOF once the peer's FIN
// has arrived (or after CloseRead), the errno of a failed connection, or
// 0, nil when the caller must wait.
func (t *TCB) Read(p []byte) (int, error) {
	if n := t.recvBuf.read(p); n > 0 {
		t.tune.read += uint64(n)
		t.windowUpdateAfterRead()
		if t.recvBuf.readable() == 0 && !t.recvBuf.hasOutOfOrder() && t.fin.rcvd {
			t.recvBuf.release()
		}
		return n, nil
	}
	switch {
	case t.rdShut || t.fin.rcvd:
		return 0, io.EOF
	case t.state == Closed && t.err != 0:
		return 0, t.err
	case t.state == Closed:
		return 0, io.EOF
	}
	return 0, nil
}

// Readable reports how many bytes Read would return now.
func (t *TCB) Readable() int { return t.recvBuf.readable() }

// ReadDone reports whether Read would return an error or EOF now (no more
// data will ever arrive).
func (t *TCB) ReadDone() bool {
	return t.recvBuf.readable() == 0 && (t.rdShut || t.fin.rcvd || t.state == Closed)
}

// windowUpdateAfterRead sends a window update when reading freed a lot of
// buffer space: as Linux's __tcp_cleanup_rbuf decides, when the window the
// peer still has is at most half the largest we could offer and the window
// we can offer now is at least twice it. Smaller openings wait for the next
// ACK (receiver-side silly window avoidance, RFC 9293 §3.8.6.2.2).
func (t *TCB) windowUpdateAfterRead() {
	if !t.state.IsSynchronized() || t.state == TimeWait || t.fin.rcvd {
		return
	}
	left := int64(max(t.rcv.adv.Sub(t.rcv.nxt), 0))
	if 2*left > int64(t.recvBuf.limit) {
		return
	}
	if now := int64(t.rcvSpace()); now > 0 && now >= 2*left {
		t.ackNow = true
	}
}

// Shutdown closes the sending direction (shutdown(SHUT_WR), RFC 9293
// §3.10.4 CLOSE of a half-duplex connection): a FIN follows the queued data
// and the peer may go on sending.
func (t *TCB) Shutdown(now clock.Instant) error {
	return t.closeSend(now, CallShutdown)
}

// Close is the CLOSE call (RFC 9293 §3.10.4) for both directions, as
// close(2) on a socket: a FIN follows the queued data, and from now on
// nobody reads. Unread received data makes it abort with a reset instead
// (RFC 2525 §2.17, as Linux does).
func (t *TCB) Close(now clock.Instant) error {
	if t.recvBuf.readable() > 0 && t.state.IsSynchronized() && t.state != TimeWait {
		t.abortWithReset(now, callCause(CallClose))
		return nil
	}
	t.orphaned = true
	t.discardReadable()
	t.recvBuf.release() // an orphan holds no receive storage, as Linux purges its queue
	if t.state == FinWait2 && t.cfg.FinWait2Timeout > 0 && t.tm.finWait2 == clock.Never {
		t.tm.finWait2 = now.Add(t.cfg.FinWait2Timeout)
	}
	err := t.closeSend(now, CallClose)
	if err == syscall.EPIPE {
		return nil // already half-closed: closing the rest is fine
	}
	return err
}

// closeSend queues our FIN and moves to the closing state RFC 9293 §3.10.4
// names for the current one.
func (t *TCB) closeSend(now clock.Instant, call Call) error {
	why := callCause(call)
	switch t.state {
	case Closed:
		if t.err != 0 {
			return t.err
		}
		return syscall.ENOTCONN
	case Listen:
		t.setState(now, Closed, why)
		return nil
	case SynSent:
		// No SYN-ACK yet: nothing to tell the peer. RFC 9293 §3.10.4
		// SYN-SENT STATE: delete the TCB, with the data queued for
		// after the handshake.
		t.fail(now, 0, why)
		return nil
	case SynReceived, Established:
		if t.fin.queued {
			return syscall.EPIPE
		}
		t.fin.queued = true
		t.setState(now, FinWait1, why)
	case CloseWait:
		t.fin.queued = true
		t.setState(now, LastAck, why)
	default:
		return syscall.EPIPE // FIN_WAIT_*, CLOSING, LAST_ACK, TIME_WAIT
	}
	return nil
}

// CloseRead shuts down the receiving direction (shutdown(SHUT_RD)): Read
// returns io.EOF and later data is acknowledged and discarded, as Linux
// does. Nothing is sent.
func (t *TCB) CloseRead() {
	t.rdShut = true
	t.discardReadable()
}

// Abort is the ABORT call (RFC 9293 §3.10.5): queued data is dropped and,
// in a synchronized state or SYN_RCVD, a reset <SEQ=SND.NXT><CTL=RST> is
// sent. It is what SetLinger(0) followed by Close does. A TCB back in
// LISTEN is closed without a word (ibid., LISTEN STATE).
func (t *TCB) Abort(now clock.Instant) {
	why := callCause(CallAbort)
	switch t.state {
	case Closed:
		return
	case Listen, SynSent, Closing, LastAck, TimeWait:
		t.fail(now, 0, why)
	default:
		t.orphaned = true
		t.fail(now, 0, why)
		t.queueAbortReset()
	}
	t.recvBuf.release()
}

// Discard ends a half-open connection of a listener that is closing,
// without a segment: Linux frees such request sockets silently, and the
// peer's handshake ACK, if it comes, then draws the reset for a segment
// that matches no connection (RFC 9293 §3.10.7.1). It does nothing in other
// states.
func (t *TCB) Discard(now clock.Instant) {
	if t.state != SynReceived || !t.passive {
		return
	}
	t.fail(now, syscall.ECONNABORTED, callCause(CallClose))
}

// Crash makes the connection vanish without a word to the peer, as when
// its host loses power: local users see ECONNABORTED.
func (t *TCB) Crash(now clock.Instant) {
	t.rstPending = false
	t.fail(now, syscall.ECONNABORTED, Cause{Kind: CauseCrash})
	t.recvBuf.release()
}

// ICMPReport is what the host makes of an ICMP error about a connection.
type ICMPReport struct {
	Err syscall.Errno // the errno it stands for
	// DropRequest ends a passive open's half-open connection, as Linux
	// drops its request for some errors (see the host's table).
	DropRequest bool
	// RevertBackoff allows RFC 6069's revert of the RTO backoff: a net or
	// host unreachable (ICMPv6 no route), which tells that the path, not
	// congestion, lost the retransmission, as Linux's tcp_ld_RTO_revert
	// takes them.
	RevertBackoff bool
}

// ICMPError reports an ICMP error (destination unreachable, time
// exceeded, parameter problem) about the connection (RFC 1122 §4.2.3.9,
// RFC 5927). seq is the sequence number quoted in the message; one
// outside SND.UNA..SND.NXT cannot be about a segment in flight and is
// ignored (RFC 5927 §4.1). Like Linux (tcp_v4_err, tcp_v6_err), any such
// message about our SYN fails a connect at once with r.Err, where RFC
// 1122 would wait for the SYN to time out; one with r.DropRequest ends a
// passive open's half-open connection silently, as Linux drops its
// request; every other error is soft: remembered until an acceptable ACK
// shows the peer is reachable, and reported only if the connection times
// out first. It reports whether the message was accepted.
func (t *TCB) ICMPError(now clock.Instant, seq Seq, r ICMPReport) bool {
	if t.state == Closed || t.state == Listen || !seq.InRange(t.snd.una, t.snd.max.Add(1)) {
		return false
	}
	switch {
	case t.state == SynSent:
		t.fail(now, r.Err, Cause{Kind: CauseICMP})
	case t.state == SynReceived && t.passive && r.DropRequest:
		t.fail(now, 0, Cause{Kind: CauseICMP})
	default:
		t.coldPart().softErr = r.Err
		if r.RevertBackoff {
			t.revertBackoff(now, seq)
		}
	}
	return true
}

// revertBackoff undoes one doubling of the RTO when an ICMP unreachable
// quotes SND.UNA during the backoff (RFC 6069 §4, as Linux's
// tcp_ld_RTO_revert): the retransmission was lost to a broken path, not
// to congestion, so the next one is due one RTO, not two, after it went
// out, and at once if that time has passed.
func (t *TCB) revertBackoff(now clock.Instant, seq Seq) {
	if !t.state.IsSynchronized() || seq != t.snd.una || t.retransmit == 0 ||
		t.rtt.backoffCount() == 0 || t.tm.retransmit == clock.Never {
		return
	}
	// The timer was armed at the last resend with the backed-off RTO.
	sent := t.tm.retransmit.Add(-t.rtt.rto())
	t.rtt.undoBackoff()
	t.tm.retransmit = max(sent.Add(t.rtt.rto()), now)
}

// TakeSoftError returns the ICMP soft error the connection remembers (0
// for none) and forgets it, as Linux's SO_ERROR does when the socket has
// no hard error (sock_getsockopt reads sk_err_soft then and clears it).
func (t *TCB) TakeSoftError() syscall.Errno {
	e := t.softErr()
	t.clearSoftErr()
	return e
}

// SetNoDelay turns Nagle's algorithm off (true) or on (false).
func (t *TCB) SetNoDelay(noDelay bool) { t.nagle = !noDelay }

// SetKeepAlive replaces the keep-alive configuration.
func (t *TCB) SetKeepAlive(k KeepAlive) { t.keepalive, t.keepProbes = &k, 0 }

// SetSharedKeepAlive makes *k the keep-alive configuration, as
// SetKeepAlive does, without a copy of its own: many connections may
// share k, which must not change afterwards. A dialer's default thus
// costs its connections no memory.
func (t *TCB) SetSharedKeepAlive(k *KeepAlive) { t.keepalive, t.keepProbes = k, 0 }

// SetBufferSizes changes the buffer limits (SO_SNDBUF, SO_RCVBUF) and turns
// autotuning off for each buffer set; zero leaves one unchanged.
func (t *TCB) SetBufferSizes(send, recv int) {
	if send > 0 {
		t.sendBuf.setLimit(send)
		t.tune.sendLocked = true
	}
	if recv > 0 {
		t.recvBuf.setLimit(recv)
		t.tune.recvLocked = true
	}
}

// AckPending reports whether an ACK (such as the window update after a
// Read) waits to be sent, so that a host woken by a user call knows to
// poll the TCB.
func (t *TCB) AckPending() bool { return t.ackNow || t.dupAcksOwed > 0 }

// Info is a snapshot of a connection's variables, like Linux's TCP_INFO.
type Info struct {
	State                State
	ISS, IRS             Seq
	SndUna, SndNxt       Seq
	RcvNxt               Seq
	SndWnd, RcvWnd       uint32
	SndWScale, RcvWScale uint8
	MSS                  uint32
	CWnd, SSThresh       uint32
	SRTT, RTTVar, RTO    int64 // nanoseconds
	Timestamps, SACK     bool
	Retransmits          int
	Unacked, Unsent      int
	// SendBuffer and ReceiveBuffer are the buffers' current limits, which
	// autotuning grows (SO_SNDBUF and SO_RCVBUF as getsockopt reports them).
	SendBuffer, ReceiveBuffer int
	Stats                     ConnStats
}

// Info returns a snapshot of the connection's variables.
func (t *TCB) Info() Info {
	return Info{
		State: t.state, ISS: t.snd.iss, IRS: t.rcv.irs,
		SndUna: t.snd.una, SndNxt: t.snd.nxt, RcvNxt: t.rcv.nxt,
		SndWnd: t.snd.wnd, RcvWnd: uint32(max(t.rcv.adv.Sub(t.rcv.nxt), 0)),
		SndWScale: t.snd.wscale, RcvWScale: t.rcv.wscale,
		MSS: t.mss, CWnd: t.cc.cwnd(), SSThresh: t.cc.ssthresh(),
		SRTT: int64(t.rtt.srtt()), RTTVar: int64(t.rtt.rttvar()), RTO: int64(t.rtt.rto()),
		Timestamps: t.tsOK, SACK: t.sackOK, Retransmits: int(t.retransmit),
		Unacked: int(t.snd.nxt.Sub(t.snd.una)), Unsent: max(t.unsent(), 0),
		SendBuffer: t.sendBuf.limit, ReceiveBuffer: t.recvBuf.limit,
		Stats: t.Stats(),
	}
}

// AcceptsNewIncarnation reports whether a SYN for this connection's 4-tuple,
// arriving while it is in TIME_WAIT, is certainly not an old duplicate
// (RFC 6191 §2): its timestamp is newer than TS.Recent when both ends use
// timestamps, else its sequence number lies beyond RCV.NXT.
func (t *TCB) AcceptsNewIncarnation(syn *Segment) bool {
	return t.state == TimeWait && t.tw.AcceptsNewIncarnation(syn)
}

// EndTimeWait closes a connection in TIME_WAIT early, for why: a new
// incarnation takes over its 4-tuple (RFC 6191), or the host has no room
// for it.
func (t *TCB) EndTimeWait(now clock.Instant, why Cause) {
	if t.state == TimeWait {
		t.tw.End(now, why, (*timeWaitOwner)(t))
	}
}

// KeepAliveConfig returns the connection's keep-alive configuration.
func (t *TCB) KeepAliveConfig() KeepAlive { return *t.keepalive }
