package tcp

import (
	"fmt"

	"github.com/synack-net/synack/clock"
)

// CheckInvariants returns an error naming the first broken rule among the
// relations a TCB keeps between its variables and buffers after every
// call, or nil. Fuzzers, per-state tests and the simulation explorer call
// it after each step; a healthy TCB never fails it.
func (t *TCB) CheckInvariants() error {
	if t.mem.held != t.StorageBytes() {
		return fmt.Errorf("%d bytes of buffer storage, %d charged to the host's memory", t.StorageBytes(), t.mem.held)
	}
	if t.state == Closed || t.state == Listen {
		return t.checkClosed()
	}
	if err := t.checkSendSpace(); err != nil {
		return err
	}
	if err := t.checkScoreboard(); err != nil {
		return err
	}
	if err := t.checkRetransmitQueue(); err != nil {
		return err
	}
	if err := t.checkReceive(); err != nil {
		return err
	}
	return t.checkTimers()
}

// checkClosed: a closed TCB, and one a reset or SYN sent back to LISTEN
// (RFC 9293 §3.10.7.4), keeps no timer and holds nothing to send; its
// sequence variables no longer describe anything in flight.
func (t *TCB) checkClosed() error {
	if d := t.NextDeadline(); d != clock.Never {
		return fmt.Errorf("%v with a timer at %v", t.state, d)
	}
	if t.sendBuf.len() != 0 {
		return fmt.Errorf("%v with %d bytes in the send buffer", t.state, t.sendBuf.len())
	}
	return nil
}

// checkSendSpace: SND.UNA <= SND.NXT <= SND.MAX (RFC 9293 §3.3.1), nothing
// sent beyond the buffered data, the SYN and the FIN, and the buffer's
// first byte just past SND.UNA's SYN or just before its FIN.
func (t *TCB) checkSendSpace() error {
	s := &t.snd
	if s.nxt.LessThan(s.una) || s.max.LessThan(s.nxt) {
		return fmt.Errorf("SND.UNA %d, SND.NXT %d, SND.MAX %d out of order", s.una, s.nxt, s.max)
	}
	if d := s.bufSeq.Sub(s.una); d < -1 || d > 1 {
		return fmt.Errorf("send buffer starts at %d, SND.UNA is %d", s.bufSeq, s.una)
	}
	end := s.bufSeq.Add(uint32(t.sendBuf.len()))
	if t.fin.sent {
		if t.fin.seq != end {
			return fmt.Errorf("FIN at %d, but the data ends at %d", t.fin.seq, end)
		}
		end = end.Add(1)
	}
	if s.max.GreaterThan(end) {
		return fmt.Errorf("SND.MAX %d beyond the data, SYN and FIN (%d)", s.max, end)
	}
	if t.sendBuf.len() > len(t.sendBuf.buf) {
		return fmt.Errorf("send buffer holds %d bytes in %d of storage", t.sendBuf.len(), len(t.sendBuf.buf))
	}
	if t.state.IsSynchronized() && t.state != TimeWait && (t.mss == 0 || t.cc.cwnd() == 0) {
		return fmt.Errorf("MSS %d, cwnd %d", t.mss, t.cc.cwnd())
	}
	return nil
}

// checkScoreboard: SACKed ranges are sorted, disjoint, not adjacent and
// within (SND.UNA, SND.MAX] (RFC 6675 §3).
func (t *TCB) checkScoreboard() error {
	prev := t.snd.una
	for i, r := range t.sb.ranges {
		if !r.start.LessThan(r.end) || r.end.GreaterThan(t.snd.max) {
			return fmt.Errorf("SACK range %d [%d, %d) outside SND.UNA %d..SND.MAX %d", i, r.start, r.end, t.snd.una, t.snd.max)
		}
		if i == 0 && r.start.LessThan(prev) || i > 0 && !prev.LessThan(r.start) {
			return fmt.Errorf("SACK range %d [%d, %d) overlaps or touches the one before (ending %d)", i, r.start, r.end, prev)
		}
		prev = r.end
	}
	if len(t.sb.ranges) > scoreboardMaxRanges {
		return fmt.Errorf("%d SACK ranges, bound %d", len(t.sb.ranges), scoreboardMaxRanges)
	}
	return nil
}

// checkReceive: the reassembly ranges are sorted, disjoint, beyond RCV.NXT
// and add up to the out-of-order count, and everything held fits the
// storage.
func (t *TCB) checkReceive() error {
	b := &t.recvBuf
	if b.nranges > recvBufMaxRanges || b.nranges > 0 && b.ranges == nil {
		return fmt.Errorf("%d reassembly ranges", b.nranges)
	}
	sum, prevEnd := 0, 0
	for i := 0; i < b.nranges; i++ {
		r := b.ranges[i]
		if r.start <= prevEnd || r.end <= r.start {
			return fmt.Errorf("reassembly range %d [%d, %d) after one ending at %d", i, r.start, r.end, prevEnd)
		}
		sum += r.end - r.start
		prevEnd = r.end
	}
	if sum != b.oooBytes {
		return fmt.Errorf("reassembly ranges hold %d bytes, counted %d", sum, b.oooBytes)
	}
	if b.ready+prevEnd > len(b.buf) && (b.ready > 0 || prevEnd > 0) {
		return fmt.Errorf("receive buffer holds %d unread and %d ahead in %d of storage", b.ready, prevEnd, len(b.buf))
	}
	return nil
}

// checkTimers: TIME_WAIT runs only its 2×MSL timer; a connection with
// data in flight has its retransmission timer armed (RFC 6298 §5.1).
func (t *TCB) checkTimers() error {
	if t.state == TimeWait {
		if t.tw == nil || t.tw.Deadline() == clock.Never {
			return fmt.Errorf("TIME_WAIT without its entry's 2MSL timer")
		}
		return nil
	}
	if t.snd.max != t.snd.una && t.tm.retransmit == clock.Never {
		return fmt.Errorf("%d bytes in flight and no retransmission timer", t.snd.max.Sub(t.snd.una))
	}
	return nil
}

// StorageBytes is the buffer storage the TCB holds: its send and receive
// buffers' current allocations and loss recovery's (lossMemory), which an
// idle or finished connection gives back.
func (t *TCB) StorageBytes() int {
	n := 0
	if t.sendBuf.storage != nil {
		n += cap(*t.sendBuf.storage)
	}
	if t.recvBuf.storage != nil {
		n += cap(*t.recvBuf.storage)
	}
	return n + t.lossMemory()
}

// checkRetransmitQueue: with RACK on, the segments of the retransmission
// queue tile [SND.UNA, SND.MAX) in order (from ISS+1 while the SYN is
// unacknowledged), and one is marked SACKed only if the scoreboard covers
// it.
func (t *TCB) checkRetransmitQueue() error {
	if !t.rackOn() {
		return nil
	}
	q := t.ld.rack.queue()
	prev := t.snd.una
	if prev == t.snd.iss {
		prev = prev.Add(1)
	}
	for i, s := range q {
		if s.start != prev || !s.start.LessThan(s.end) {
			return fmt.Errorf("retransmission queue segment %d [%d, %d) does not follow %d (SND.UNA %d)", i, s.start, s.end, prev, t.snd.una)
		}
		if s.flags&segSACKed != 0 && !t.sb.covers(s.start, s.end) {
			return fmt.Errorf("retransmission queue segment %d [%d, %d) marked SACKed, not in the scoreboard", i, s.start, s.end)
		}
		if s.flags&segRetrans != 0 && s.flags&segEverRxt == 0 {
			return fmt.Errorf("retransmission queue segment %d [%d, %d) resent but not marked so", i, s.start, s.end)
		}
		prev = s.end
	}
	if len(q) > 0 && prev != t.snd.max {
		return fmt.Errorf("retransmission queue ends at %d, SND.MAX %d", prev, t.snd.max)
	}
	return nil
}
