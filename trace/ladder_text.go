package trace

import (
	"errors"
	"io"
	"strings"
	"time"

	"github.com/synack-net/synack/clock"
)

// LadderOptions tunes the text ladder. The zero value asks for the defaults.
type LadderOptions struct {
	// Width is the total number of columns of the diagram (default 100).
	Width int
	// Absolute prints sequence numbers as they are on the wire. By default
	// they are relative, as Wireshark shows them: each host's sequence
	// numbers count from its ISN (the sequence number of the last SYN it
	// sent), and acknowledgment numbers and SACK blocks count from the peer's.
	Absolute bool
	// ShowTimers adds a row for each timer that fired.
	ShowTimers bool
	// ShowDrops draws the segments lost in the network (an arrow that stops
	// half-way in an X) and adds a row, with the reason, for each segment a
	// host dropped on arrival. Without it, lost segments are left out and a
	// segment a host dropped is drawn like any other.
	ShowDrops bool
	// Color draws with ANSI escape sequences, for a terminal: state names
	// in the colour of their phase (see Phase), lost segments red,
	// retransmissions yellow, duplicates magenta, timers cyan. The
	// characters and their columns are the same as without it.
	Color bool
}

// defaultLadderWidth is the Width used when LadderOptions leaves it zero.
const defaultLadderWidth = 100

// RenderLadder writes a text ladder diagram of the connection between hosts
// left and right to w: NewLadder, then WriteText.
func RenderLadder(w io.Writer, events []Event, left, right string, opt LadderOptions) error {
	l, err := NewLadder(events, left, right)
	if err != nil {
		return err
	}
	return l.WriteText(w, opt)
}

// WriteText writes the ladder as text to w, in the manner of the figures of
// TCP/IP Illustrated: one lifeline per host, one row per event in time
// order, each segment an arrow drawn at the time it was sent (a duplicate
// when it arrived, tagged "(dup)"; a retransmission tagged so), and each
// state change written beside the lifeline of the host that changed, with
// its cause. A dotted row marks a gap of a second or more between two rows.
func (l *Ladder) WriteText(w io.Writer, opt LadderOptions) error {
	width := opt.Width
	if width == 0 {
		width = defaultLadderWidth
	}
	g, err := newTextGrid(width, l.timeColumnWidth(), l.stateColumnWidth())
	if err != nil {
		return err
	}
	d := &textLadder{grid: g, opt: opt, l: l}
	d.header()
	for _, r := range l.Rows {
		d.row(r)
	}
	d.rows = append(d.rows, g.blank())

	var b strings.Builder
	for _, r := range d.rows {
		writeRow(&b, r, opt.Color)
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// errNarrow reports a Width too small for a readable diagram.
var errNarrow = errors.New("trace: ladder width too small")

// timeColumnWidth is the width of the time margin: the longest timestamp
// among the rows plus a space.
func (l *Ladder) timeColumnWidth() int {
	n := 0
	for _, r := range l.Rows {
		n = max(n, len(r.Time.String()))
	}
	return n + 1
}

// stateColumnWidth is the width of the longest state name the diagram shows.
func (l *Ladder) stateColumnWidth() int {
	n := 0
	for _, r := range l.Rows {
		if r.Kind == KindState {
			n = max(n, len(r.From.String()), len(r.To.String()))
		}
	}
	return n
}

// textLadder accumulates the rows of one text diagram.
type textLadder struct {
	grid textGrid
	opt  LadderOptions
	l    *Ladder

	rows  []textRow
	last  clock.Instant // the time of the last row drawn
	drawn bool          // whether last holds anything yet
}

// header adds the host names, their addresses and the initial states.
func (d *textLadder) header() {
	g := d.grid
	names, addrs, states := newTextRow(g.width), newTextRow(g.width), g.blank()
	for side, col := range [2]int{g.left, g.right} {
		h := d.l.Hosts[side]
		names.putCentered(col, h.Name, styleHost)
		addrs.putCentered(col, h.Addr.String(), styleDefault)
		if h.HasInitial {
			g.stateName(states, side, h.Initial.String(), phaseStyle(h.Initial))
		}
	}
	d.rows = append(d.rows, names, addrs, states)
}

// row adds the text rows for r, if it has any.
func (d *textLadder) row(r LadderRow) {
	g := d.grid
	switch r.Kind {
	case KindState:
		d.add(r, d.stateRow(r))
	case KindSend:
		s := d.l.Segments[r.Segment]
		if s.Lost && !d.opt.ShowDrops {
			return
		}
		d.add(r, g.arrow(s.From == 0, s.Lost, s.label(d.opt.Absolute), segmentStyle(s))...)
	case KindRecv:
		// A copy the network made, or one whose sender left no event:
		// drawn when it arrived, since it was never sent as such.
		s := d.l.Segments[r.Segment]
		if s.SendRow >= 0 && !s.Duplicate {
			return
		}
		d.add(r, g.arrow(s.From == 0, false, s.label(d.opt.Absolute), segmentStyle(s))...)
	case KindDrop:
		if !d.opt.ShowDrops {
			return
		}
		t := g.blank()
		g.note(t, r.Side, "dropped "+r.Dropped.Flags.String()+": "+r.Reason, styleDrop)
		d.add(r, t)
	case KindTimer:
		if !d.opt.ShowTimers {
			return
		}
		t := g.blank()
		g.note(t, r.Side, "timer "+r.Timer.String()+" fired", styleTimer)
		d.add(r, t)
	}
}

// stateRow draws a state change as its mark says.
func (d *textLadder) stateRow(r LadderRow) textRow {
	g := d.grid
	t := g.blank()
	why := r.Cause.String()
	switch r.Mark {
	case MarkEnter:
		g.stateName(t, r.Side, r.To.String(), phaseStyle(r.To))
		g.note(t, r.Side, "("+why+")", styleNote)
	case MarkNote:
		g.note(t, r.Side, "listener "+r.From.String()+" -> "+r.To.String()+" ("+why+")", styleNote)
	default:
		g.stateName(t, r.Side, r.To.String(), phaseStyle(r.To))
		g.note(t, r.Side, "(from "+r.From.String()+", "+why+")", styleNote)
	}
	return t
}

// gapThreshold is the time between two rows drawn that earns a dotted
// row between them, a reminder that the rows are not to scale.
const gapThreshold = time.Second

// add appends the text rows of one ladder row, stamping the first with its
// time unless the row drawn before happened at the same time.
func (d *textLadder) add(r LadderRow, rows ...textRow) {
	if d.drawn && r.Time.Sub(d.last) >= gapThreshold {
		d.rows = append(d.rows, d.grid.gap())
	}
	if ts := r.Time.String(); !d.drawn || ts != d.last.String() {
		d.grid.timestamp(rows[0], ts)
	}
	d.last, d.drawn = r.Time, true
	d.rows = append(d.rows, rows...)
}
