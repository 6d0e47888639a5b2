package tcp

import (
	"syscall"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// rcvText is the seventh and eighth steps of RFC 9293 §3.10.7.4: queue the
// segment's data for the user and process its FIN.
func (t *TCB) rcvText(now clock.Instant, seg *Segment) {
	data := seg.Payload
	seq := seg.Seq
	if seg.Flags&wire.FlagSYN != 0 {
		seq = seq.Add(1)
	}
	if len(data) > 0 {
		switch t.state {
		case Established, FinWait1, FinWait2, SynReceived:
			if t.orphaned {
				// New data for a socket the user closed cannot be
				// delivered, so the connection is reset (RFC 2525 §2.17).
				// Like Linux (tcp_rcv_state_process), the reset answers
				// the segment as if no connection existed.
				if seq.Add(uint32(len(data))).GreaterThan(t.rcv.nxt) {
					t.fail(now, syscall.ECONNRESET, segCause(seg))
					r := ResetFor(seg)
					t.queueReset(r.Seq, r.Ack, r.Flags)
					return
				}
			} else {
				t.queueText(now, seq, data)
			}
		default:
			// CLOSE_WAIT, CLOSING, LAST_ACK: the peer already sent its
			// FIN, so this is a retransmission; ignore it.
		}
	}
	if seg.Flags&wire.FlagFIN != 0 {
		finSeq := seq.Add(uint32(len(data)))
		if finSeq.GreaterThan(t.rcv.nxt) && !t.fin.rcvd {
			// The FIN is beyond a hole: remember it until the hole fills.
			t.fin.pending, t.fin.rcvSeq = true, finSeq
			t.ackNow = true
			return
		}
		if finSeq == t.rcv.nxt || t.fin.rcvd {
			t.rcvFin(now, segCause(seg))
		}
	}
	if t.fin.pending && t.fin.rcvSeq == t.rcv.nxt {
		// The hole before a FIN that came early has filled: the state
		// changes for that FIN (a FIN always carries an ACK once
		// synchronized), not for the segment that filled the hole.
		t.rcvFin(now, Cause{Kind: CauseSegment, Flags: wire.FlagFIN | wire.FlagACK})
	}
}

// queueText stores in-window data and decides when to acknowledge it.
func (t *TCB) queueText(now clock.Instant, seq Seq, data []byte) {
	// Trim what was already received (RFC 9293 §3.10.7.4 "trimmed").
	if d := t.rcv.nxt.Sub(seq); d > 0 {
		if int(d) >= len(data) {
			t.ackNow = true // a pure duplicate: acknowledge at once (RFC 5681 §4.2)
			return
		}
		data = data[d:]
		seq = t.rcv.nxt
	}
	off := int(seq.Sub(t.rcv.nxt))
	room := t.recvBuf.window() - off
	if room <= 0 {
		t.ackNow = true
		return
	}
	if len(data) > room {
		data = data[:room]
	}
	t.noteHeldDuplicate(off, len(data))
	if data = t.fitMemory(off, data); len(data) == 0 {
		t.ackNow = true
		return
	}
	wasOutOfOrder := t.recvBuf.hasOutOfOrder()
	advance, ok := t.recvBuf.insert(off, data)
	if !ok {
		t.coldStats().ReassemblyOverrun++
		t.ackNow = true
		return
	}
	if t.rdShut {
		// shutdown(SHUT_RD): the data is acknowledged but thrown away.
		t.discardReadable()
	}
	t.rcv.nxt = t.rcv.nxt.Add(uint32(advance))
	t.hot.BytesReceived += uint64(advance)
	switch {
	case off > 0:
		// Out of order: a duplicate ACK at once, with SACK blocks
		// (RFC 5681 §4.2, RFC 2018 §4).
		// One duplicate ACK per such segment, even when several arrive
		// together, so that the sender's count reaches three.
		t.coldStats().OutOfOrderQueued++
		t.dupAcksOwed = min(t.dupAcksOwed+1, maxDupAcksOwed)
	case wasOutOfOrder:
		// The segment filled (part of) a hole: ACK at once (RFC 5681 §4.2).
		t.ackNow = true
	default:
		t.scheduleAck(now, len(data))
	}
	t.tuneReceiveBuffer(now)
}

// rcvFin processes the peer's FIN once all data before it has arrived
// (RFC 9293 §3.10.7.4 eighth); why is the FIN's cause.
func (t *TCB) rcvFin(now clock.Instant, why Cause) {
	if t.fin.rcvd {
		t.ackNow = true
		return
	}
	t.fin.rcvd, t.fin.pending = true, false
	t.rcv.nxt = t.rcv.nxt.Add(1)
	switch t.state {
	case SynReceived, Established:
		// The ACK of the FIN is delayed like any other (Linux does the
		// same), so that an application that closes as soon as it reads
		// EOF sends its FIN on that ACK: a close in three segments.
		t.scheduleAck(now, 0)
		t.setState(now, CloseWait, why)
		return
	}
	t.ackNow = true
	switch t.state {
	case FinWait1:
		// Our FIN is not yet acknowledged (or ackFin would have moved us
		// to FIN_WAIT_2): simultaneous close.
		t.setState(now, Closing, why)
	case FinWait2:
		t.enterTimeWait(now, why)
	}
}

// abortWithReset sends <SEQ=SND.NXT><CTL=RST> and closes (RFC 9293
// §3.10.5 ABORT).
func (t *TCB) abortWithReset(now clock.Instant, why Cause) {
	synced := t.state != SynSent
	t.fail(now, syscall.ECONNRESET, why)
	if synced {
		t.queueAbortReset()
	}
}

// queueAbortReset queues the RST of an abort, <SEQ=SND.NXT><CTL=RST>
// (RFC 9293 §3.10.5). Like Linux it also acknowledges RCV.NXT and, when
// timestamps are in use, carries a fresh one (RFC 7323 §3.2: every segment
// of such a connection does).
func (t *TCB) queueAbortReset() {
	t.queueReset(t.snd.nxt, t.rcv.nxt, wire.FlagRST|wire.FlagACK)
	t.rst.withTS = t.tsOK
}

// discardReadable throws away in-order data nobody will read.
func (t *TCB) discardReadable() {
	var scratch [512]byte
	for t.recvBuf.readable() > 0 {
		t.recvBuf.read(scratch[:])
	}
}

func timeMillis(ms int32) time.Duration { return time.Duration(ms) * time.Millisecond }
