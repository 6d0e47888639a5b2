package trace

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
	"time"
)

// SVGOptions tunes WriteSVG. The zero value asks for the defaults.
type SVGOptions struct {
	// Absolute labels sequence numbers as on the wire, not relative.
	Absolute bool
	// Title is the diagram's title, shown in its header (default: the two
	// hosts).
	Title string
}

// WriteSVG writes the ladder as a standalone SVG image: two lifelines,
// each segment a slanted arrow from the time it was sent to the time it
// arrived with a label (flags, seq, ack, len, the scaled window), each
// end's state written beside its lifeline as it changes, and the lifeline
// coloured by the phase of its state (see Phase). A lost segment ends in a
// cross mid-way; a retransmission is dashed, a duplicate dotted, a segment
// the receiver dropped ends in a bar; timers that fired are marked on their
// lifeline. Time runs down the page to scale, except that rows at one
// instant are stacked a little apart and idle stretches (such as 2×MSL)
// are cut out and marked with their length.
func (l *Ladder) WriteSVG(w io.Writer, opt SVGOptions) error {
	var b bytes.Buffer
	l.svg(&b, opt)
	_, err := w.Write(b.Bytes())
	return err
}

// svg writes the SVG element of the ladder to b.
func (l *Ladder) svg(b *bytes.Buffer, opt SVGOptions) {
	g := newSVGGeom(l)
	title := opt.Title
	if title == "" {
		title = "TCP connection between " + l.Hosts[0].Name + " and " + l.Hosts[1].Name
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="ladder" width="%d" height="%.0f" viewBox="0 0 %d %.0f" role="img">`+"\n",
		svgWidth, g.height, svgWidth, g.height)
	fmt.Fprintf(b, "<title>%s</title>\n<style>%s</style>\n", esc(title), ladderSVGStyle)
	fmt.Fprintf(b, `<rect class="page" width="%d" height="%.0f"/>`+"\n", svgWidth, g.height)
	l.svgHeader(b)
	l.svgBands(b, g)
	for _, br := range g.breaks {
		svgBreakMarkup(b, br) // over the lifelines, under the arrows
	}
	l.svgTimes(b, g)
	for i, r := range l.Rows {
		l.svgRow(b, g, i, r)
	}
	var labels labelPlacer
	for i, s := range l.Segments {
		l.svgSegment(b, g, &labels, i, s, opt.Absolute)
	}
	b.WriteString("</svg>\n")
}

// svgHeader writes the host names and addresses above the lifelines.
func (l *Ladder) svgHeader(b *bytes.Buffer) {
	for side, h := range l.Hosts {
		x := lineX(side)
		fmt.Fprintf(b, `<text class="host" x="%.0f" y="26">%s</text>`+"\n", x, esc(h.Name))
		fmt.Fprintf(b, `<text class="addr" x="%.0f" y="44">%s</text>`+"\n", x, esc(h.Addr.String()))
	}
}

// svgBands draws each lifeline as bands in the colour of the phase of the
// state the host is in, from one state change to the next.
func (l *Ladder) svgBands(b *bytes.Buffer, g svgGeom) {
	for side, h := range l.Hosts {
		x := lineX(side)
		fmt.Fprintf(b, `<line class="lifeline" x1="%.0f" y1="54" x2="%.0f" y2="%.0f"/>`+"\n", x, x, g.height-8)
		y0, phase := float64(svgTop-16), ""
		if h.HasInitial {
			phase = Phase(h.Initial)
		}
		band := func(y1 float64) {
			if phase != "" && y1 > y0 {
				fmt.Fprintf(b, `<rect class="band %s" x="%.0f" y="%.1f" width="%d" height="%.1f"/>`+"\n",
					phase, x-svgBand/2, y0, svgBand, y1-y0)
			}
		}
		for i, r := range l.Rows {
			if r.Kind == KindState && r.Side == side && r.Mark != MarkNote {
				band(g.y[i])
				y0, phase = g.y[i], Phase(r.To)
			}
		}
		band(g.height - svgMargin/2)
	}
}

// svgTimes writes the time of the rows down the left margin, where it
// changes and there is room.
func (l *Ladder) svgTimes(b *bytes.Buffer, g svgGeom) {
	last, lastY := "", math.Inf(-1)
	for i, r := range l.Rows {
		ts := r.Time.String()
		if ts == last || g.y[i]-lastY < 12 {
			continue
		}
		fmt.Fprintf(b, `<text class="time" x="%d" y="%.1f">%s</text>`+"\n", svgTimeRight, g.y[i]+4, ts)
		last, lastY = ts, g.y[i]
	}
}

// svgRow draws what a row shows beside its lifeline: a state change, a
// timer, a drop.
func (l *Ladder) svgRow(b *bytes.Buffer, g svgGeom, i int, r LadderRow) {
	y := g.y[i]
	switch r.Kind {
	case KindState:
		name, cause := r.To.String(), r.Cause.String()
		switch r.Mark {
		case MarkJump:
			cause = "from " + r.From.String() + ", " + cause
		case MarkNote:
			svgBeside(b, r.Side, y, fmt.Sprintf(`<tspan class="cause">listener %s → %s (%s)</tspan>`,
				r.From, r.To, esc(cause)), "note")
			return
		}
		st := fmt.Sprintf(`<tspan class="state %s">%s</tspan>`, Phase(r.To), name)
		ca := `<tspan class="cause">` + esc(cause) + `</tspan>`
		if r.Side == 0 {
			svgBeside(b, r.Side, y, ca+" "+st, "statechange")
		} else {
			svgBeside(b, r.Side, y, st+" "+ca, "statechange")
		}
	case KindTimer:
		x := lineX(r.Side)
		fmt.Fprintf(b, `<g class="timer"><circle cx="%.0f" cy="%.1f" r="5"/>`, x, y)
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" text-anchor="%s">timer %s fired</text></g>`+"\n",
			x+inward(r.Side, 10), y+4, inwardAnchor(r.Side), esc(r.Timer.String()))
	case KindDrop:
		fmt.Fprintf(b, `<text class="drop" x="%.0f" y="%.1f" text-anchor="%s">dropped %s: %s</text>`+"\n",
			lineX(r.Side)+inward(r.Side, 10), y+14, inwardAnchor(r.Side), r.Dropped.Flags, esc(r.Reason))
	}
}

// svgBeside writes markup as a text outside side's lifeline, at y.
func svgBeside(b *bytes.Buffer, side int, y float64, markup, class string) {
	x, anchor := lineX(side)-12, "end"
	if side == 1 {
		x, anchor = lineX(side)+12, "start"
	}
	fmt.Fprintf(b, `<text class="%s" x="%.0f" y="%.1f" text-anchor="%s">%s</text>`+"\n", class, x, y+4, anchor, markup)
}

// inward is d pixels from side's lifeline towards the other one.
func inward(side int, d float64) float64 {
	if side == 0 {
		return d
	}
	return -d
}

// inwardAnchor is the text anchor of a note written inward of side's
// lifeline.
func inwardAnchor(side int) string {
	if side == 0 {
		return "start"
	}
	return "end"
}

// svgSegment draws segment i: its arrow, the label along it, and a title
// with all its fields for a viewer's tooltip.
func (l *Ladder) svgSegment(b *bytes.Buffer, g svgGeom, labels *labelPlacer, i int, s LadderSegment, absolute bool) {
	x1, y1, x2, y2 := g.arrowEnds(s)
	class := "seg"
	for _, c := range []struct {
		on   bool
		name string
	}{{s.Lost, "lost"}, {s.Retransmission, "retx"}, {s.Duplicate, "dup"}, {s.DroppedBy != "", "dropped"}} {
		if c.on {
			class += " " + c.name
		}
	}
	lb := s.label(absolute)
	fmt.Fprintf(b, `<g class="%s" id="seg-%d" data-seg="%d" tabindex="0">`, class, i, i)
	fmt.Fprintf(b, "<title>%s</title>", esc(l.segmentTitle(s, lb)))
	fmt.Fprintf(b, `<line class="hit" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x1, y1, x2, y2)
	fmt.Fprintf(b, `<line class="shaft" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, x1, y1, x2, y2)
	dx, dy := x2-x1, y2-y1
	n := math.Hypot(dx, dy)
	ux, uy := dx/n, dy/n
	switch {
	case s.Lost:
		for _, d := range [][2]float64{{1, 1}, {1, -1}} {
			fmt.Fprintf(b, `<line class="x" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`,
				x2-6*d[0], y2-6*d[1], x2+6*d[0], y2+6*d[1])
		}
	default:
		fmt.Fprintf(b, `<polygon class="head" points="%.1f,%.1f %.1f,%.1f %.1f,%.1f"/>`,
			x2, y2, x2-10*ux-4*uy, y2-10*uy+4*ux, x2-10*ux+4*uy, y2-10*uy-4*ux)
		if s.DroppedBy != "" {
			fmt.Fprintf(b, `<line class="bar" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`,
				x2-14*ux-7*uy, y2-14*uy+7*ux, x2-14*ux+7*uy, y2-14*uy-7*ux)
		}
	}
	angle := math.Atan2(dy, dx) * 180 / math.Pi
	if angle > 90 || angle < -90 {
		angle -= math.Copysign(180, angle)
	}
	mx, my := labels.place(x1, y1, x2, y2, len(lb.head))
	fmt.Fprintf(b, `<text class="label" x="%.1f" y="%.1f" transform="rotate(%.2f %.1f %.1f)">%s</text></g>`+"\n",
		mx, my-4, angle, mx, my, esc(lb.head))
}

// segmentTitle is the text of a segment's tooltip: who sent it to whom and
// when, what became of it, and its label with the options.
func (l *Ladder) segmentTitle(s LadderSegment, lb segmentLabel) string {
	var t strings.Builder
	fmt.Fprintf(&t, "%s → %s", l.Hosts[s.From].Name, l.Hosts[1-s.From].Name)
	sent, okS := s.Sent(l)
	if okS {
		fmt.Fprintf(&t, ", sent %v", sent)
	}
	if recv, ok := s.Received(l); ok {
		fmt.Fprintf(&t, ", received %v", recv)
		if okS {
			fmt.Fprintf(&t, " (%v later)", recv.Sub(sent))
		}
	}
	switch {
	case s.Lost:
		t.WriteString(", lost")
	case s.RecvRow < 0:
		t.WriteString(", arrival unknown: the receiver left no event")
	case s.DroppedBy != "":
		t.WriteString(", dropped by the receiver: " + s.DroppedBy)
	}
	t.WriteString("\n" + lb.String())
	return t.String()
}

// svgBreakMarkup marks a cut in the time axis: the lifelines broken and
// the idle time written in the time margin.
func svgBreakMarkup(b *bytes.Buffer, br svgBreakMark) {
	y0, y1 := br.y0+8, br.y1-8
	fmt.Fprintf(b, `<g class="break"><rect x="%d" y="%.1f" width="%d" height="%.1f"/>`,
		svgTimeRight+4, y0, svgWidth-svgTimeRight-8, y1-y0)
	for _, x := range []float64{svgLeftLine, svgRightLine} {
		for _, y := range []float64{y0, y1} {
			fmt.Fprintf(b, `<path d="M%.0f %.1f l12 -5"/>`, x-6, y+2.5)
		}
	}
	fmt.Fprintf(b, `<text x="%d" y="%.1f">%s idle</text></g>`+"\n", svgTimeRight, (y0+y1)/2+4, idleText(br.idle))
}

// idleText writes an idle time briefly, e.g. "59.99 s" or "200 ms".
func idleText(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%.3g ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.4g s", d.Seconds())
}

// esc escapes text for XML character data and attribute values.
func esc(s string) string { return html.EscapeString(s) }
