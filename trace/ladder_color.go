package trace

import (
	"strings"

	"github.com/synack-net/synack/tcp"
)

// textStyle is how a character of a text ladder is drawn on a colour
// terminal. The zero style is the terminal's default.
type textStyle uint8

// The styles of a text ladder.
const (
	styleDefault textStyle = iota
	styleHost              // a host's name
	styleTime              // the time margin
	styleNote              // causes and gaps
	styleClosed            // state names, one style per phase
	styleOpening
	styleEstablished
	styleClosing
	styleTimeWait
	styleLost  // a segment lost in the network
	styleRetx  // a retransmission
	styleDup   // a copy the network made
	styleTimer // a timer that fired
	styleDrop  // a segment a host dropped
)

// ansiCodes are the SGR parameters of each style (ECMA-48 §8.3.117).
var ansiCodes = [...]string{
	styleDefault:     "",
	styleHost:        "1",
	styleTime:        "2",
	styleNote:        "2",
	styleClosed:      "1",
	styleOpening:     "1;34",
	styleEstablished: "1;32",
	styleClosing:     "1;33",
	styleTimeWait:    "1;35",
	styleLost:        "31",
	styleRetx:        "33",
	styleDup:         "35",
	styleTimer:       "36",
	styleDrop:        "31",
}

// phaseStyle is the style of a state's name: the colour of its phase.
func phaseStyle(s tcp.State) textStyle {
	switch Phase(s) {
	case "opening":
		return styleOpening
	case "established":
		return styleEstablished
	case "closing":
		return styleClosing
	case "time-wait":
		return styleTimeWait
	}
	return styleClosed
}

// segmentStyle is the style of a segment's arrow.
func segmentStyle(s LadderSegment) textStyle {
	switch {
	case s.Lost:
		return styleLost
	case s.Duplicate:
		return styleDup
	case s.Retransmission:
		return styleRetx
	}
	return styleDefault
}

// writeRow appends r to b without its trailing spaces, in colour when
// color is set: an escape sequence where the style changes, and a reset at
// the end of a line that left the default style.
func writeRow(b *strings.Builder, r textRow, color bool) {
	n := len(r.b)
	for n > 0 && r.b[n-1] == ' ' {
		n--
	}
	if !color {
		b.Write(r.b[:n])
		b.WriteByte('\n')
		return
	}
	cur := styleDefault
	for i := range n {
		st := r.st[i]
		if r.b[i] == ' ' {
			st = cur // a space shows no colour: do not switch for it
		}
		if st != cur {
			b.WriteString("\x1b[0")
			if code := ansiCodes[st]; code != "" {
				b.WriteString(";" + code)
			}
			b.WriteByte('m')
			cur = st
		}
		b.WriteByte(r.b[i])
	}
	if cur != styleDefault {
		b.WriteString("\x1b[0m")
	}
	b.WriteByte('\n')
}
