package trace

import (
	"slices"
	"time"
)

// The geometry of the SVG ladder, in pixels.
const (
	svgWidth     = 1140
	svgTimeRight = 88  // the right edge of the time labels
	svgLeftLine  = 340 // x of the left lifeline
	svgRightLine = 840 // x of the right lifeline
	svgTop       = 78  // y of the first row
	svgStep      = 18  // the least distance between two rows
	svgFlight    = 72  // the height of a typical flight
	svgStretch   = 288 // the most a stretch of time may take before it is cut
	svgBreak     = 46  // the height of a cut
	svgBand      = 8   // the width of a lifeline's state band
	svgMargin    = 36  // below the last row
	svgMidX      = (svgLeftLine + svgRightLine) / 2
)

// defaultFlight is the flight time assumed when no segment arrived.
const defaultFlight = time.Millisecond

// svgBreakMark is an idle stretch cut out of the time axis: between rows
// at y0 and y1, idle long.
type svgBreakMark struct {
	y0, y1 float64
	idle   time.Duration
}

// svgGeom places the rows of a ladder on the page: the times between rows
// to scale, so that a typical flight (the median time from send to
// arrival) is svgFlight high; rows at the same instant, or closer than
// svgStep, svgStep apart; and any stretch that would be taller than
// svgStretch cut down to svgBreak and marked.
type svgGeom struct {
	y      []float64 // by row
	breaks []svgBreakMark
	height float64
}

// newSVGGeom lays out the rows of l.
func newSVGGeom(l *Ladder) svgGeom {
	flight := typicalFlight(l)
	perSec := svgFlight / flight.Seconds()
	g := svgGeom{y: make([]float64, len(l.Rows))}
	y := float64(svgTop)
	for i, r := range l.Rows {
		if i > 0 {
			dt := r.Time.Sub(l.Rows[i-1].Time)
			dy := dt.Seconds() * perSec
			switch {
			case dy > svgStretch:
				g.breaks = append(g.breaks, svgBreakMark{y0: y, y1: y + svgBreak, idle: dt})
				dy = svgBreak
			case dy < svgStep:
				dy = svgStep
			}
			y += dy
		}
		g.y[i] = y
	}
	g.height = y + svgMargin
	return g
}

// typicalFlight is the median time the segments of l took to arrive,
// ignoring those that took none.
func typicalFlight(l *Ladder) time.Duration {
	var ds []time.Duration
	for _, s := range l.Segments {
		sent, ok1 := s.Sent(l)
		recv, ok2 := s.Received(l)
		if d := recv.Sub(sent); ok1 && ok2 && d > 0 {
			ds = append(ds, d)
		}
	}
	if len(ds) == 0 {
		return defaultFlight
	}
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// lineX is the x of side's lifeline.
func lineX(side int) float64 {
	if side == 0 {
		return svgLeftLine
	}
	return svgRightLine
}

// arrowEnds returns where segment s starts and ends on the page: from its
// sender's lifeline at its send row to the other lifeline at its arrival
// row. A lost segment stops half-way, as far down as half a typical flight;
// a segment whose sender left no event starts a typical flight before it
// arrived, and one whose receiver left none ends a typical flight after it
// was sent. (Either may cross a cut in the time axis: the cuts are drawn
// under the arrows.)
func (g svgGeom) arrowEnds(s LadderSegment) (x1, y1, x2, y2 float64) {
	x1, x2 = lineX(s.From), lineX(1-s.From)
	switch {
	case s.SendRow < 0:
		y2 = g.y[s.RecvRow]
		y1 = y2 - svgFlight
	case s.RecvRow < 0 && !s.Lost: // its receiver left no event
		y1 = g.y[s.SendRow]
		y2 = y1 + svgFlight
	case s.RecvRow < 0:
		y1 = g.y[s.SendRow]
		x2, y2 = svgMidX, y1+svgFlight/2
	default:
		y1, y2 = g.y[s.SendRow], g.y[s.RecvRow]
	}
	return x1, y1, x2, y2
}
