package drill

import (
	"fmt"
	"strings"

	"github.com/synack-net/synack/wire"
)

// flagChars are the dialect's flag letters, in the order it prints them.
var flagChars = []struct {
	f wire.TCPFlags
	c byte
}{
	{wire.FlagFIN, 'F'}, {wire.FlagSYN, 'S'}, {wire.FlagRST, 'R'}, {wire.FlagPSH, 'P'},
	{wire.FlagACK, '.'}, {wire.FlagURG, 'U'}, {wire.FlagECE, 'E'}, {wire.FlagCWR, 'W'},
}

// flagString renders flags as the dialect writes them: "S.", "FP.", "-".
func flagString(f wire.TCPFlags) string {
	var b []byte
	for _, fc := range flagChars {
		if f&fc.f != 0 {
			b = append(b, fc.c)
		}
	}
	if len(b) == 0 {
		return "-"
	}
	return string(b)
}

// formatPacket renders a packet line as the script writes it.
func formatPacket(p *Packet) string {
	var b strings.Builder
	dir := "<"
	if p.Dir == Outbound {
		dir = ">"
	}
	if p.ICMP != nil {
		return dir + " " + formatICMP(p)
	}
	fmt.Fprintf(&b, "%s %s %d:%d(%d)", dir, flagString(p.Flags), p.Seq, p.Seq+p.Len, p.Len)
	if p.HasAck {
		fmt.Fprintf(&b, " ack %d", p.Ack)
	}
	if p.HasWin {
		fmt.Fprintf(&b, " win %d", p.Win)
	}
	if p.HasUrg {
		fmt.Fprintf(&b, " urg %d", p.Urg)
	}
	switch {
	case p.AnyOptions:
		b.WriteString(" <...>")
	case p.Options != nil:
		b.WriteString(" " + formatOptions(p.Options))
	}
	return b.String()
}

// formatActual renders a packet the host sent, with its numbers mapped
// into script space (seq, ack and SACK blocks moved by their offsets, the
// TS value by the script's TS clock when mapTS).
func formatActual(s *segment, seqOff, ackOff uint32, tsVal uint32, mapTS bool) string {
	var b strings.Builder
	seq := s.seq - seqOff
	n := uint32(len(s.payload))
	fmt.Fprintf(&b, "> %s %d:%d(%d)", flagString(s.flags), seq, seq+n, n)
	if s.flags&wire.FlagACK != 0 {
		fmt.Fprintf(&b, " ack %d", s.ack-ackOff)
	} else if s.ack != 0 {
		fmt.Fprintf(&b, " ack %d", s.ack)
	}
	fmt.Fprintf(&b, " win %d", s.win)
	if s.urg != 0 || s.flags&wire.FlagURG != 0 {
		fmt.Fprintf(&b, " urg %d", s.urg)
	}
	if len(s.opts) > 0 {
		b.WriteString(" " + formatRawOptions(s.opts, ackOff, tsVal, mapTS))
	}
	return b.String()
}

// formatICMP renders an ICMP line after its direction.
func formatICMP(p *Packet) string {
	m := p.ICMP
	s := "icmp " + m.Type
	if m.Code != "" {
		s += " " + m.Code
	}
	if m.HasMTU {
		s += fmt.Sprintf(" mtu %d", m.MTU)
	}
	if m.Quoted {
		s += fmt.Sprintf(" [%d:%d(%d)]", p.Seq, p.Seq+p.Len, p.Len)
	}
	return s
}
