package trace

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// LadderOptions tunes RenderLadder. The zero value asks for the defaults.
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
}

// defaultLadderWidth is the Width used when LadderOptions leaves it zero.
const defaultLadderWidth = 100

// RenderLadder writes a text ladder (sequence) diagram of the connection
// between hosts left and right (named as in Event.Host) to w, in the manner
// of the figures of TCP/IP Illustrated: one lifeline per host, one row per
// event in time order, each segment an arrow drawn at the time it was sent,
// and each state change written beside the lifeline of the host that changed.
//
// When the hosts had more than one connection, the diagram shows the 4-tuple
// of the first one (and any later connection reusing it); events of other
// connections and of other hosts are left out. A host's listener, which has
// no remote end, counts as part of the connection.
//
// A segment sent but never received is lost in the network; a received
// segment that matches no send is a copy the network made, drawn when it
// arrived and tagged "(dup)". LadderOptions says which rows to include.
func RenderLadder(w io.Writer, events []Event, left, right string, opt LadderOptions) error {
	if left == right {
		return fmt.Errorf("trace: ladder needs two different hosts, got %q twice", left)
	}
	conn, ok := findConnection(events, left, right)
	if !ok {
		return fmt.Errorf("trace: no connection between hosts %q and %q in the events", left, right)
	}
	evs := conn.events(events)
	slices.SortStableFunc(evs, func(a, b Event) int { return cmp.Compare(a.Time, b.Time) })

	width := opt.Width
	if width == 0 {
		width = defaultLadderWidth
	}
	l, err := newLadderLayout(width, timeColumnWidth(evs), stateColumnWidth(evs))
	if err != nil {
		return err
	}
	d := &ladder{
		layout: l,
		opt:    opt,
		conn:   conn,
		num:    numbering{absolute: opt.Absolute},
		match:  matchSegments(evs, conn),
	}
	d.header(evs)
	for i, e := range evs {
		d.event(i, e)
	}
	d.rows = append(d.rows, d.layout.blank())

	var b strings.Builder
	for _, r := range d.rows {
		b.WriteString(strings.TrimRight(string(r), " "))
		b.WriteByte('\n')
	}
	_, err = io.WriteString(w, b.String())
	return err
}

// errNarrow reports a Width too small for a readable diagram.
var errNarrow = errors.New("trace: ladder width too small")

// timeColumnWidth is the width of the time margin: the longest timestamp
// among evs plus a space.
func timeColumnWidth(evs []Event) int {
	n := 0
	for _, e := range evs {
		n = max(n, len(e.Time.String()))
	}
	return n + 1
}

// stateColumnWidth is the width of the longest state name the diagram shows.
func stateColumnWidth(evs []Event) int {
	n := 0
	for _, e := range evs {
		if e.Kind == KindState {
			n = max(n, len(e.From.String()), len(e.To.String()))
		}
	}
	return n
}

// ladder accumulates the rows of one diagram.
type ladder struct {
	layout ladderLayout
	opt    LadderOptions
	conn   connection
	num    numbering
	match  segmentMatch

	rows  [][]byte
	last  clock.Instant // the time of the last event drawn
	drawn bool          // whether last holds anything yet
	state [2]tcp.State  // the state last shown for each side
	shown [2]bool       // whether state holds anything yet
}

// header adds the host names, their addresses and the initial states.
func (d *ladder) header(evs []Event) {
	l := d.layout
	names, addrs, states := make([]byte, l.width), make([]byte, l.width), l.blank()
	fill(names, ' ')
	fill(addrs, ' ')
	for side, col := range [2]int{l.left, l.right} {
		putCentered(names, col, d.conn.host[side])
		putCentered(addrs, col, d.conn.addr[side].String())
		for _, e := range evs {
			if e.Kind == KindState && d.conn.side(e) == side {
				d.setState(states, side, e.From)
				break
			}
		}
	}
	d.rows = append(d.rows, names, addrs, states)
}

// event adds the rows for evs[i], if it has any.
func (d *ladder) event(i int, e Event) {
	side := d.conn.side(e)
	switch e.Kind {
	case KindState:
		d.add(e, d.stateRow(side, e))
	case KindSend:
		d.num.sent(side, e.Segment)
		lost := !d.match.delivered[i]
		if lost && !d.opt.ShowDrops {
			return
		}
		d.add(e, d.layout.arrow(side == 0, lost, d.label(side, e.Segment, ""))...)
	case KindRecv:
		if !d.match.orphan[i] {
			return
		}
		// A copy the network made, or one whose sender left no event:
		// drawn when it arrived, since it was never sent as such.
		from := 1 - side
		d.num.sent(from, e.Segment)
		tag := ""
		if d.match.duplicate[i] {
			tag = " (dup)"
		}
		d.add(e, d.layout.arrow(from == 0, false, d.label(from, e.Segment, tag))...)
	case KindDrop:
		if !d.opt.ShowDrops {
			return
		}
		r := d.layout.blank()
		d.layout.note(r, side, "dropped "+e.Segment.Flags.String()+": "+e.Reason)
		d.add(e, r)
	case KindTimer:
		if !d.opt.ShowTimers {
			return
		}
		r := d.layout.blank()
		d.layout.note(r, side, "timer "+e.Timer.String()+" fired")
		d.add(e, r)
	}
}

// stateRow draws a state change of side. The state column follows the
// connection: a change of the listener once the connection has moved on
// (closing it, say) is only a note, and any other change that does not start
// from the state shown names the state it came from.
func (d *ladder) stateRow(side int, e Event) []byte {
	r := d.layout.blank()
	why := e.Cause.String()
	switch {
	case !d.shown[side] || d.state[side] == e.From:
		d.setState(r, side, e.To)
		d.layout.note(r, side, "("+why+")")
	case !e.Remote.IsValid():
		d.layout.note(r, side, "listener "+e.From.String()+" -> "+e.To.String()+" ("+why+")")
	default:
		d.setState(r, side, e.To)
		d.layout.note(r, side, "(from "+e.From.String()+", "+why+")")
	}
	return r
}

// label is the text of the arrow for segment s sent by side.
func (d *ladder) label(side int, s Segment, tag string) segmentLabel {
	lb := formatSegment(s, func(v uint32) uint32 { return d.num.seq(side, v) },
		func(v uint32) uint32 { return d.num.ack(side, v) })
	lb.head += tag
	return lb
}

// setState writes state st in side's state column of row r and remembers it.
func (d *ladder) setState(r []byte, side int, st tcp.State) {
	d.layout.stateName(r, side, st.String())
	d.state[side], d.shown[side] = st, true
}

// gapThreshold is the time between two events drawn that earns a dotted
// row between them, a reminder that the rows are not to scale.
const gapThreshold = time.Second

// add appends the rows of one event, stamping the first with e's time unless
// the event drawn before happened at the same time.
func (d *ladder) add(e Event, rows ...[]byte) {
	if d.drawn && e.Time.Sub(d.last) >= gapThreshold {
		d.rows = append(d.rows, d.layout.gap())
	}
	if ts := e.Time.String(); !d.drawn || ts != d.last.String() {
		d.layout.timestamp(rows[0], ts)
	}
	d.last, d.drawn = e.Time, true
	d.rows = append(d.rows, rows...)
}
