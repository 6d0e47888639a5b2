package trace

import (
	"fmt"
	"strings"
)

// minLadderInner is the fewest columns between the lifelines that still leave
// room for a label line such as a timestamps option.
const minLadderInner = 40

// textGrid places the columns of a text ladder: the time margin, the left
// host's state column, its lifeline, the space between the lifelines, the
// right host's lifeline and its state column.
type textGrid struct {
	width int // total columns
	timeW int // the time margin, including a trailing space
	left  int // column of the left lifeline
	right int // column of the right lifeline
}

// newTextGrid lays out width columns with a time margin of timeW columns
// and state columns that hold names of up to nameW characters.
func newTextGrid(width, timeW, nameW int) (textGrid, error) {
	g := textGrid{
		width: width,
		timeW: timeW,
		left:  timeW + nameW + 1,
		right: width - nameW - 2,
	}
	if g.right-g.left-1 < minLadderInner {
		return g, fmt.Errorf("%w: %d columns leave %d between the lifelines, need %d",
			errNarrow, width, g.right-g.left-1, minLadderInner)
	}
	return g, nil
}

// textRow is one line of a text ladder: its characters and, column by
// column, the style they are drawn in on a colour terminal.
type textRow struct {
	b  []byte
	st []textStyle
}

// newTextRow returns a row of width spaces.
func newTextRow(width int) textRow {
	r := textRow{b: make([]byte, width), st: make([]textStyle, width)}
	for i := range r.b {
		r.b[i] = ' '
	}
	return r
}

// put copies s into r from column col in style st, clipping what falls
// outside r.
func (r textRow) put(col int, s string, st textStyle) {
	for i := range len(s) {
		if c := col + i; c >= 0 && c < len(r.b) {
			r.b[c], r.st[c] = s[i], st
		}
	}
}

// putCentered copies s into r centred on column col, kept inside r.
func (r textRow) putCentered(col int, s string, st textStyle) {
	r.put(max(min(col-len(s)/2, len(r.b)-len(s)), 0), s, st)
}

// fill sets the columns from lo to hi, both included, to c in style st.
func (r textRow) fill(lo, hi int, c byte, st textStyle) {
	for i := max(lo, 0); i <= hi && i < len(r.b); i++ {
		r.b[i], r.st[i] = c, st
	}
}

// blank returns a row with nothing but the two lifelines.
func (g textGrid) blank() textRow {
	r := newTextRow(g.width)
	r.b[g.left], r.b[g.right] = '|', '|'
	return r
}

// timestamp writes ts right-aligned in the time margin of r.
func (g textGrid) timestamp(r textRow, ts string) {
	r.put(g.timeW-1-len(ts), ts, styleTime)
}

// stateName writes a state name in side's state column of r, against the
// lifeline.
func (g textGrid) stateName(r textRow, side int, name string, st textStyle) {
	if side == 0 {
		r.put(g.left-1-len(name), name, st)
	} else {
		r.put(g.right+2, name, st)
	}
}

// note writes text between the lifelines of r, against side's lifeline.
func (g textGrid) note(r textRow, side int, text string, st textStyle) {
	if side == 0 {
		r.put(g.left+2, text, st)
	} else {
		r.put(g.right-1-len(text), text, st)
	}
}

// arrow returns the rows of a segment going right (from the left lifeline to
// the right one) or left, in style st. A lost segment stops half-way in an
// X. The label goes on the shaft when it fits, else on rows of its own
// above the arrow.
func (g textGrid) arrow(right, lost bool, label segmentLabel, st textStyle) []textRow {
	lo, hi := g.left+1, g.right-1 // the shaft, both ends included
	if lost {
		mid := (lo + hi) / 2
		if right {
			hi = mid
		} else {
			lo = mid
		}
	}
	shaft := g.blank()
	shaft.fill(lo, hi, '-', st)
	switch {
	case lost && right:
		shaft.put(hi, "X", st)
		shaft.put(hi+2, "(lost)", st)
	case lost:
		shaft.put(lo, "X", st)
		shaft.put(lo-len("(lost) "), "(lost)", st)
	case right:
		shaft.put(hi, ">", st)
	default:
		shaft.put(lo, "<", st)
	}

	span := hi - lo + 1
	text := label.String()
	if len(text)+2 <= span-6 { // keep three dashes on either side
		shaft.put(lo+(span-len(text)-2)/2, " "+text+" ", st)
		return []textRow{shaft}
	}
	// Centre the block of lines over the shaft, as far as it stays between
	// the lifelines, and each line within the block.
	lines := wrapLabel(label, g.right-g.left-3)
	blockW := 0
	for _, line := range lines {
		blockW = max(blockW, len(line))
	}
	start := max(min(lo+(span-blockW)/2, g.right-1-blockW), g.left+2)
	var rows []textRow
	for _, line := range lines {
		r := g.blank()
		r.put(start+(blockW-len(line))/2, line, st)
		rows = append(rows, r)
	}
	return append(rows, shaft)
}

// gap returns a row that marks a stretch of time with nothing to show: the
// lifelines dotted.
func (g textGrid) gap() textRow {
	r := g.blank()
	r.put(g.left, ":", styleNote)
	r.put(g.right, ":", styleNote)
	return r
}

// wrapLabel breaks a label into lines of at most n characters: whole if it
// fits, else the header fields and the options apart, each broken further
// at spaces (header) or after commas (options) when still too long.
func wrapLabel(label segmentLabel, n int) []string {
	if s := label.String(); len(s) <= n {
		return []string{s}
	}
	lines := pack(strings.SplitAfter(label.head, " "), n)
	if label.opts != "" {
		lines = append(lines, pack(strings.SplitAfter(label.opts, ","), n)...)
	}
	return lines
}

// pack joins words, each carrying its trailing separator, into lines of at
// most n characters (a longer word gets a line of its own), with trailing
// spaces trimmed.
func pack(words []string, n int) []string {
	var lines []string
	cur := ""
	for _, w := range words {
		if cur != "" && len(strings.TrimRight(cur+w, " ")) > n {
			lines = append(lines, strings.TrimRight(cur, " "))
			cur = ""
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, strings.TrimRight(cur, " "))
	}
	return lines
}
