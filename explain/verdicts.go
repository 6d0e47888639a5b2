package explain

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// closeKind says how the second FIN of a connection followed the first.
type closeKind uint8

const (
	closeNone         closeKind = iota
	closeFour                   // after an ACK of the first FIN: four segments
	closeThree                  // on the ACK of the first FIN: three segments
	closeSimultaneous           // before the first FIN arrived (RFC 9293 Figure 13)
)

// closeSecond classifies the second FIN: whether its segment acknowledges
// the first, and whether its sender had acknowledged it before.
func closeSecond(covers, ackedBefore bool) closeKind {
	switch {
	case !covers:
		return closeSimultaneous
	case ackedBefore:
		return closeFour
	}
	return closeThree
}

// verdicts says in plain words how c went, from its opening to the state
// it was left in, then what the path and the capture itself show.
func (c *conn) verdicts() []string {
	var v []string
	if c.midStart {
		v = append(v, "capture starts mid-connection: both ends taken as ESTABLISHED")
	}
	if c.obs.startedAfterSyn {
		v = append(v, "capture starts after the SYN")
	}
	v = append(v, c.openingVerdicts()...)
	v = append(v, c.closingVerdicts()...)
	v = append(v, c.endVerdicts()...)
	v = append(v, c.pathVerdicts()...)
	return append(v, c.captureVerdicts()...)
}

// label names an end for a verdict: its role and address, or its address.
func (e *end) label() string { return label(e.name, e.addr) }

// openingVerdicts: retransmitted SYNs, refusals, unanswered SYNs.
func (c *conn) openingVerdicts() []string {
	var v []string
	for _, e := range c.obs.ends {
		v = append(v, retransmittedSyn("SYN", e.synTimes)...)
		v = append(v, retransmittedSyn("SYN-ACK", e.synAckTimes)...)
	}
	for _, e := range c.obs.ends {
		peer := c.obs.peer(e)
		switch {
		case e.st.refused:
			v = append(v, "refused: RST from "+e.addr.String())
		case e.state == tcp.SynSent && peer.st.segs == 0:
			v = append(v, fmt.Sprintf("no answer from %s: %s still in SYN_SENT at the end of the capture", peer.addr, e.addr))
		}
	}
	return v
}

// retransmittedSyn describes the retransmissions of a SYN or SYN-ACK sent
// at the given times.
func retransmittedSyn(what string, at []clock.Instant) []string {
	n := len(at) - 1
	if n <= 0 {
		return nil
	}
	after := make([]string, n)
	for i, t := range at[1:] {
		after[i] = duration(t.Sub(at[0]))
	}
	return []string{fmt.Sprintf("%s retransmitted %s, %s after the first", what, times(n), andList(after))}
}

// closingVerdicts: resets, and how the FINs were exchanged.
func (c *conn) closingVerdicts() []string {
	var v []string
	for _, e := range c.obs.ends {
		if e.st.resetSent {
			s := fmt.Sprintf("closed by RST from %s in %s", e.addr, e.st.resetState)
			if e.st.resetForData {
				s += ": data arrived after it closed"
			}
			v = append(v, s)
		}
	}
	for _, e := range c.obs.ends {
		peer := c.obs.peer(e)
		if e.st.halfCloseBytes > 0 {
			v = append(v, fmt.Sprintf("half-close: %s sent %d bytes after the FIN of %s", e.addr, e.st.halfCloseBytes, peer.addr))
			continue
		}
		switch e.st.secondFin {
		case closeFour:
			v = append(v, fmt.Sprintf("orderly close in 4 segments, %s closed first", peer.addr))
		case closeThree:
			v = append(v, fmt.Sprintf("orderly close in 3 segments (FIN piggybacked on the ACK), %s closed first", peer.addr))
		case closeSimultaneous:
			v = append(v, "simultaneous close: each end sent its FIN before the other's arrived")
		}
	}
	return v
}

// endVerdicts: the state each end was left in when the capture ended.
func (c *conn) endVerdicts() []string {
	var v []string
	a, b := c.obs.ends[0], c.obs.ends[1]
	if a.state == tcp.Established && b.state == tcp.Established {
		return []string{"connection open at the end of the capture"}
	}
	for _, e := range c.obs.ends {
		switch e.state {
		case tcp.Closed, tcp.Listen, tcp.SynSent:
			// SYN_SENT has its opening verdict; CLOSED and LISTEN are ends.
		case tcp.TimeWait:
			v = append(v, e.addr.String()+" in TIME_WAIT at the end")
		case tcp.CloseWait:
			v = append(v, e.label()+" never sent FIN: stuck in CLOSE_WAIT at the end of the capture")
		default:
			v = append(v, fmt.Sprintf("%s in %s at the end of the capture", e.addr, e.state))
		}
	}
	if c.reused {
		v = append(v, "TIME_WAIT ended by the SYN of a new connection on the same 4-tuple (RFC 6191)")
	}
	return v
}

// pathVerdicts: retransmissions and zero windows.
func (c *conn) pathVerdicts() []string {
	var v []string
	total, who := c.sumEnds(func(e *end) int { return e.st.retrans })
	rto, _ := c.sumEnds(func(e *end) int { return e.st.rto })
	if total > 0 {
		s := fmt.Sprintf("retransmissions: %d, %d after an RTO", total, rto)
		if len(who) == 1 {
			s += ", all from " + who[0].String()
		} else {
			s += fmt.Sprintf(" (%s: %d, %s: %d)", who[0], c.obs.ends[0].st.retrans, who[1], c.obs.ends[1].st.retrans)
		}
		v = append(v, s)
	}
	for _, e := range c.obs.ends {
		if s := zeroWindowVerdict(e, c.obs.peer(e)); s != "" {
			v = append(v, s)
		}
	}
	return v
}

// sumEnds adds up count over both ends and returns the addresses of the
// ends it is not zero for.
func (c *conn) sumEnds(count func(*end) int) (total int, from []netip.AddrPort) {
	for _, e := range c.obs.ends {
		if n := count(e); n > 0 {
			total += n
			from = append(from, e.addr)
		}
	}
	return total, from
}

// zeroWindowVerdict describes e's zero-window periods, if any.
func zeroWindowVerdict(e, peer *end) string {
	z := e.st.zeros
	if len(z) == 0 {
		return ""
	}
	var s string
	if len(z) == 1 {
		s = fmt.Sprintf("zero window from %s for %s", e.addr, duration(z[0].to.Sub(z[0].from)))
	} else {
		var sum int64
		for _, p := range z {
			sum += int64(p.to.Sub(p.from))
		}
		s = fmt.Sprintf("zero window from %s %s, %s in all", e.addr, times(len(z)), duration(time.Duration(sum)))
	}
	if z[len(z)-1].open {
		s += ", until the end of the capture"
	}
	if n := peer.st.probes; n > 0 {
		s += fmt.Sprintf(" (%d window probe%s)", n, plural(n))
	}
	return s
}

// captureVerdicts: what the capture carries that a textbook trace does not.
func (c *conn) captureVerdicts() []string {
	var v []string
	bad, from := c.sumEnds(func(e *end) int { return e.st.badCsum })
	segs, _ := c.sumEnds(func(e *end) int { return e.st.segs })
	if bad > 0 {
		names := make([]string, len(from))
		for i, a := range from {
			names[i] = a.String()
		}
		v = append(v, fmt.Sprintf("checksums not verified (offloaded): %d of %d segments carry a wrong TCP checksum, from %s; not rejected",
			bad, segs, strings.Join(names, " and ")))
	}
	for _, e := range c.obs.ends {
		if e.st.big > 0 {
			v = append(v, fmt.Sprintf("segments larger than the MSS (TSO/GRO): %d from %s, up to %d bytes (MSS %d)",
				e.st.big, e.addr, e.st.bigMax, e.st.bigLimit))
		}
	}
	for _, e := range c.obs.ends {
		if e.st.unseen > 0 {
			v = append(v, fmt.Sprintf("the capture missed segments: %s acknowledged %d bytes from %s that it does not hold",
				c.obs.peer(e).addr, e.st.unseen, e.addr))
		}
	}
	if c.dups > 0 {
		v = append(v, fmt.Sprintf("%d packet%s captured twice (the copies are ignored)", c.dups, plural(c.dups)))
	}
	if c.csumUnknown > 0 {
		v = append(v, fmt.Sprintf("%d segment%s cut by the capture's snapshot length", c.csumUnknown, plural(c.csumUnknown)))
	}
	for _, s := range c.obs.invalid {
		v = append(v, "not in the state diagram, so not applied: "+s)
	}
	return v
}
