package tcp

import (
	"fmt"
	"strings"

	"github.com/synack-net/synack/wire"
)

// Segment is a TCP segment as the TCB sees it: decoded header fields and
// options, and the payload. Addresses and ports belong to the host.
//
// A Segment handed to TCB.Deliver is only borrowed for the call; one
// returned by NextSegment has its Payload inside the caller's buffer.
type Segment struct {
	Seq, Ack Seq
	Flags    wire.TCPFlags
	Window   uint16 // the header field, unscaled
	Options  wire.TCPOptions
	Payload  []byte
	// PayloadSum is the running checksum of Payload (wire.Checksum with
	// initial 0) when NextSegment filled the payload: it sums the bytes
	// as it copies them out of the send buffer, so that the host need not
	// read them again to checksum the segment. 0 means not known; a
	// payload of zero bytes sums to 0 too, so summing it again is right.
	PayloadSum uint32
}

// Len is SEG.LEN: the payload plus one for SYN and one for FIN (RFC 9293 §3.4).
func (s *Segment) Len() uint32 {
	n := uint32(len(s.Payload))
	if s.Flags&wire.FlagSYN != 0 {
		n++
	}
	if s.Flags&wire.FlagFIN != 0 {
		n++
	}
	return n
}

// End is the sequence number just after the segment: SEG.SEQ+SEG.LEN.
func (s *Segment) End() Seq { return s.Seq.Add(s.Len()) }

// String renders the segment in the notation of RFC 9293's figures, e.g.
// "<SEQ=100><ACK=300><CTL=SYN,ACK><WND=65535><LEN=0>".
func (s *Segment) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "<SEQ=%d>", uint32(s.Seq))
	if s.Flags&wire.FlagACK != 0 {
		fmt.Fprintf(&b, "<ACK=%d>", uint32(s.Ack))
	}
	fmt.Fprintf(&b, "<CTL=%s><WND=%d><LEN=%d>", s.Flags, s.Window, len(s.Payload))
	o := &s.Options
	if o.HasMSS {
		fmt.Fprintf(&b, "<MSS=%d>", o.MSS)
	}
	if o.HasWScale {
		fmt.Fprintf(&b, "<WS=%d>", o.WScale)
	}
	if o.SACKPermitted {
		b.WriteString("<SACKOK>")
	}
	if o.HasTS {
		fmt.Fprintf(&b, "<TS=%d,%d>", o.TSVal, o.TSEcr)
	}
	for i := 0; i < o.NumSACK; i++ {
		fmt.Fprintf(&b, "<SACK=%d-%d>", o.SACK[i].Left, o.SACK[i].Right)
	}
	return b.String()
}
