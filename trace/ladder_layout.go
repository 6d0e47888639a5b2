package trace

import (
	"fmt"
	"strings"
)

// minLadderInner is the fewest columns between the lifelines that still leave
// room for a label line such as a timestamps option.
const minLadderInner = 40

// ladderLayout places the columns of a ladder: the time margin, the left
// host's state column, its lifeline, the space between the lifelines, the
// right host's lifeline and its state column.
type ladderLayout struct {
	width int // total columns
	timeW int // the time margin, including a trailing space
	left  int // column of the left lifeline
	right int // column of the right lifeline
}

// newLadderLayout lays out width columns with a time margin of timeW columns
// and state columns that hold names of up to nameW characters.
func newLadderLayout(width, timeW, nameW int) (ladderLayout, error) {
	l := ladderLayout{
		width: width,
		timeW: timeW,
		left:  timeW + nameW + 1,
		right: width - nameW - 2,
	}
	if l.right-l.left-1 < minLadderInner {
		return l, fmt.Errorf("%w: %d columns leave %d between the lifelines, need %d",
			errNarrow, width, l.right-l.left-1, minLadderInner)
	}
	return l, nil
}

// blank returns a row with nothing but the two lifelines.
func (l ladderLayout) blank() []byte {
	r := make([]byte, l.width)
	fill(r, ' ')
	r[l.left], r[l.right] = '|', '|'
	return r
}

// timestamp writes ts right-aligned in the time margin of r.
func (l ladderLayout) timestamp(r []byte, ts string) {
	put(r, l.timeW-1-len(ts), ts)
}

// stateName writes a state name in side's state column of r, against the
// lifeline.
func (l ladderLayout) stateName(r []byte, side int, name string) {
	if side == 0 {
		put(r, l.left-1-len(name), name)
	} else {
		put(r, l.right+2, name)
	}
}

// note writes text between the lifelines of r, against side's lifeline.
func (l ladderLayout) note(r []byte, side int, text string) {
	if side == 0 {
		put(r, l.left+2, text)
	} else {
		put(r, l.right-1-len(text), text)
	}
}

// arrow returns the rows of a segment going right (from the left lifeline to
// the right one) or left. A lost segment stops half-way in an X. The label
// goes on the shaft when it fits, else on rows of its own above the arrow.
func (l ladderLayout) arrow(right, lost bool, label segmentLabel) [][]byte {
	lo, hi := l.left+1, l.right-1 // the shaft, both ends included
	if lost {
		mid := (lo + hi) / 2
		if right {
			hi = mid
		} else {
			lo = mid
		}
	}
	shaft := l.blank()
	fill(shaft[lo:hi+1], '-')
	switch {
	case lost && right:
		shaft[hi] = 'X'
		put(shaft, hi+2, "(lost)")
	case lost:
		shaft[lo] = 'X'
		put(shaft, lo-len("(lost) "), "(lost)")
	case right:
		shaft[hi] = '>'
	default:
		shaft[lo] = '<'
	}

	span := hi - lo + 1
	text := label.String()
	if len(text)+2 <= span-6 { // keep three dashes on either side
		put(shaft, lo+(span-len(text)-2)/2, " "+text+" ")
		return [][]byte{shaft}
	}
	// Centre the block of lines over the shaft, as far as it stays between
	// the lifelines, and each line within the block.
	lines := wrapLabel(label, l.right-l.left-3)
	blockW := 0
	for _, line := range lines {
		blockW = max(blockW, len(line))
	}
	start := max(min(lo+(span-blockW)/2, l.right-1-blockW), l.left+2)
	var rows [][]byte
	for _, line := range lines {
		r := l.blank()
		put(r, start+(blockW-len(line))/2, line)
		rows = append(rows, r)
	}
	return append(rows, shaft)
}

// gap returns a row that marks a stretch of time with nothing to show: the
// lifelines dotted.
func (l ladderLayout) gap() []byte {
	r := l.blank()
	r[l.left], r[l.right] = ':', ':'
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

// put copies s into r from column col, clipping what falls outside r.
func put(r []byte, col int, s string) {
	for i := range len(s) {
		if c := col + i; c >= 0 && c < len(r) {
			r[c] = s[i]
		}
	}
}

// putCentered copies s into r centred on column col, kept inside r.
func putCentered(r []byte, col int, s string) {
	start := max(min(col-len(s)/2, len(r)-len(s)), 0)
	put(r, start, s)
}

// fill sets every byte of r to c.
func fill(r []byte, c byte) {
	for i := range r {
		r[i] = c
	}
}
