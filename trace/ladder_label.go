package trace

import (
	"strconv"
	"strings"

	"github.com/synack-net/synack/wire"
)

// numbering finds the base of each side's relative sequence numbers, as
// Wireshark counts them: the side's ISN, the sequence number of the last
// SYN it sent. For a side seen without a SYN, the ISN is taken to be one
// less than the first sequence number it used (or the peer acknowledged),
// so its data starts at 1.
type numbering struct {
	isn   [2]uint32
	known [2]bool
}

// sent notes that side sent s, which may reveal its ISN.
func (n *numbering) sent(side int, s Segment) {
	switch {
	case s.Flags.Has(wire.FlagSYN):
		n.isn[side], n.known[side] = s.Seq, true
	case !n.known[side]:
		n.isn[side], n.known[side] = s.Seq-1, true
	}
}

// acked notes that side acknowledged v, which counts in the peer's
// sequence space and may reveal the peer's ISN.
func (n *numbering) acked(side int, v uint32) {
	if peer := 1 - side; !n.known[peer] {
		n.isn[peer], n.known[peer] = v-1, true
	}
}

// segmentLabel is the text of an arrow: the header fields, and the options
// apart so that a narrow diagram can put them on a line of their own.
type segmentLabel struct {
	head string // e.g. "PSH,ACK seq=1:101(100) ack=1 win=502"
	opts string // e.g. "<nop,nop,TS val 100 ecr 200>", or ""
}

// String joins the two parts of the label.
func (l segmentLabel) String() string {
	if l.opts == "" {
		return l.head
	}
	return l.head + " " + l.opts
}

// formatSegment labels s in the packetdrill manner, with seq and ack mapping
// its sequence and acknowledgment numbers for display.
func formatSegment(s Segment, seq, ack func(uint32) uint32) segmentLabel {
	var b strings.Builder
	b.WriteString(s.Flags.String())
	b.WriteString(" seq=")
	start := seq(s.Seq)
	b.WriteString(strconv.FormatUint(uint64(start), 10))
	if s.Len > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.FormatUint(uint64(start+uint32(s.Len)), 10))
		b.WriteByte('(')
		b.WriteString(strconv.Itoa(s.Len))
		b.WriteByte(')')
	}
	if s.Flags.Has(wire.FlagACK) {
		b.WriteString(" ack=")
		b.WriteString(strconv.FormatUint(uint64(ack(s.Ack)), 10))
	}
	b.WriteString(" win=")
	b.WriteString(strconv.FormatUint(uint64(s.ScaledWindow()), 10))
	return segmentLabel{head: b.String(), opts: formatOptions(s.Options, ack)}
}

// formatOptions renders o in packetdrill syntax, laid out as Linux writes
// options, e.g. "<mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>"; sack maps
// the SACK block edges for display. No options give "".
func formatOptions(o wire.TCPOptions, sack func(uint32) uint32) string {
	var parts []string
	if o.HasMSS {
		parts = append(parts, "mss "+strconv.Itoa(int(o.MSS)))
	}
	switch {
	case o.HasTS && o.SACKPermitted:
		parts = append(parts, "sackOK", tsOption(o))
	case o.HasTS:
		parts = append(parts, "nop", "nop", tsOption(o))
	case o.SACKPermitted:
		parts = append(parts, "nop", "nop", "sackOK")
	}
	if o.HasWScale {
		parts = append(parts, "nop", "wscale "+strconv.Itoa(int(o.WScale)))
	}
	if n := min(max(o.NumSACK, 0), wire.MaxSACKBlocks); n > 0 {
		blocks := make([]string, n)
		for i, blk := range o.SACK[:n] {
			blocks[i] = strconv.FormatUint(uint64(sack(blk.Left)), 10) + ":" +
				strconv.FormatUint(uint64(sack(blk.Right)), 10)
		}
		parts = append(parts, "nop", "nop", "sack "+strings.Join(blocks, " "))
	}
	if len(parts) == 0 {
		return ""
	}
	return "<" + strings.Join(parts, ",") + ">"
}

// tsOption renders the timestamps option of o.
func tsOption(o wire.TCPOptions) string {
	return "TS val " + strconv.FormatUint(uint64(o.TSVal), 10) + " ecr " + strconv.FormatUint(uint64(o.TSEcr), 10)
}
