package explain

import (
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// minRTO is the shortest retransmission timeout of the stacks captures
// come from (Linux's TCP_RTO_MIN; RFC 6298 §2.4 asks for 1 s): a
// retransmission after a silence this long is taken as an RTO's.
const minRTO = 200 * time.Millisecond

// Default MSS values assumed for an end whose SYN the capture missed
// (an Ethernet MTU, as Linux advertises it).
const (
	defaultMSSv4 = 1460
	defaultMSSv6 = 1440
)

// endStats counts what one end did, for the verdicts.
type endStats struct {
	segs int
	// retrans counts resent data and FINs; rto those resent after a
	// silence of at least minRTO.
	retrans, rto int
	dupAcks      int           // duplicate ACKs from the peer since una last moved
	lastTx       clock.Instant // the last time it sent data or a FIN
	lastAdvance  clock.Instant // the last time the peer acknowledged new data

	window   uint32 // the last window it advertised, scaled
	zeroOpen bool   // the last window it advertised was zero
	zeroFrom clock.Instant
	zeros    []span // its zero-window periods
	probes   int    // its window probes while the peer's window was zero

	big, bigMax    int // segments larger than the peer's MSS, and the largest
	bigLimit       int
	badCsum        int
	lastDataAt     clock.Instant
	lastDataFlags  wire.TCPFlags
	halfCloseBytes int64 // data sent after it acknowledged the peer's FIN
	unseen         int64 // sequence space the peer acknowledged that the capture never showed it send

	secondFin    closeKind // how its FIN followed the peer's, if it came second
	refused      bool      // it answered a SYN with RST, ACK
	resetSent    bool      // it reset the connection
	resetAt      clock.Instant
	resetState   tcp.State
	resetForData bool // its reset answered data that arrived after it closed
}

// span is an interval of capture time; open when the capture ended in it.
type span struct {
	from, to clock.Instant
	open     bool
}

// count updates the statistics of e, which sends p to peer, before the
// observer applies p.
func (o *observer) count(e, peer *end, p *packet) {
	s := &e.st
	s.segs++
	if p.csumBad {
		s.badCsum++
	}
	if p.seg.Len > 0 {
		s.lastDataAt, s.lastDataFlags = p.at, p.seg.Flags
		data := p.seq().Add(uint32(p.seg.Len))
		ackedFin := e.acked(peer.finSeq.Add(1)) || (p.has(wire.FlagACK) && p.ack().GreaterThan(peer.finSeq))
		if peer.finSent && ackedFin && data.GreaterThan(e.sndMax) {
			s.halfCloseBytes += int64(data.Sub(tcp.MaxSeq(p.seq(), e.sndMax)))
		}
	}
	o.countRetransmission(e, p)
	o.countSize(e, peer, p)
	if peer.st.zeroOpen && !p.has(wire.FlagSYN|wire.FlagFIN|wire.FlagRST) && e.sndKnown &&
		(p.seg.Len == 0 && p.seq() == e.sndMax.Add(^uint32(0)) || p.seg.Len == 1) {
		s.probes++
	}
	if p.has(wire.FlagACK) && !p.has(wire.FlagRST) {
		o.countAck(e, peer, p)
	}
}

// countRetransmission notes data or a FIN sent again, and whether it came
// after an RTO (a silence since the last transmission and the last
// progress of at least minRTO) or sooner (fast retransmit, SACK recovery,
// a tail loss probe).
func (o *observer) countRetransmission(e *end, p *packet) {
	if p.has(wire.FlagSYN|wire.FlagRST) || (p.seg.Len == 0 && !p.has(wire.FlagFIN)) {
		return
	}
	s := &e.st
	if e.sndKnown && p.seq().LessThan(e.sndMax) {
		s.retrans++
		if p.at.Sub(max(s.lastTx, s.lastAdvance)) >= minRTO && s.dupAcks == 0 {
			s.rto++
		}
	}
	s.lastTx = p.at
}

// countSize notes a segment larger than the MSS the peer asked for, as a
// capture on a host with segmentation offload (TSO, GSO, GRO) shows them.
func (o *observer) countSize(e, peer *end, p *packet) {
	limit := int(peer.mss)
	if limit == 0 {
		limit = defaultMSSv6
		if p.src.Addr().Is4() {
			limit = defaultMSSv4
		}
	}
	if p.seg.Len > limit {
		e.st.big++
		e.st.bigMax = max(e.st.bigMax, p.seg.Len)
		e.st.bigLimit = limit
	}
}

// countAck notes what the acknowledgment and window of p, which e sends,
// say: the peer's progress and duplicate ACKs (RFC 5681 §2), and e's
// window, zero or not.
func (o *observer) countAck(e, peer *end, p *packet) {
	ack := p.ack()
	switch {
	case !peer.sndKnown:
		peer.una = ack // nothing seen from the peer yet
	case ack.GreaterThan(peer.una):
		peer.una, peer.st.lastAdvance, peer.st.dupAcks = ack, p.at, 0
	case ack == peer.una && p.seg.Len == 0 && !p.has(wire.FlagSYN|wire.FlagFIN) && peer.sndMax.GreaterThan(peer.una):
		peer.st.dupAcks++
	}
	if peer.sndKnown && ack.GreaterThan(peer.sndMax) && !p.has(wire.FlagRST) {
		// e acknowledges what the capture never showed the peer send:
		// the capture lost it (tcpdump fell behind, or another path).
		peer.st.unseen += int64(ack.Sub(peer.sndMax))
		peer.sndMax = ack
	}
	if p.has(wire.FlagSYN) {
		return // a SYN's window is never scaled (RFC 7323 §2.2)
	}
	shift := uint8(0)
	if e.wsOffer && peer.wsOffer {
		shift = e.wscale
	}
	w := uint32(p.seg.Window) << shift
	s := &e.st
	s.window = w
	switch {
	case w == 0 && !s.zeroOpen:
		s.zeroOpen, s.zeroFrom = true, p.at
	case w > 0 && s.zeroOpen:
		s.zeroOpen = false
		s.zeros = append(s.zeros, span{from: s.zeroFrom, to: p.at})
	}
}

// finish closes the statistics at the end of the capture, at time last.
func (e *end) finish(last clock.Instant) {
	if e.st.zeroOpen {
		e.st.zeros = append(e.st.zeros, span{from: e.st.zeroFrom, to: last, open: true})
		e.st.zeroOpen = false
	}
}
