package trace

import (
	"fmt"
	"math"
	"slices"

	"github.com/synack-net/synack/tcp"
)

// sdRoute is the curve an arc of the state diagram takes: a quadratic
// Bézier from the edge of one box to the edge of another.
type sdRoute struct {
	x1, y1, cx, cy, x2, y2 float64
}

// sdBends are the bends an arc may take, as fractions of its length
// sideways, best first: straight, or curved to either side.
var sdBends = [...]float64{0, 0.14, -0.14, 0.26, -0.26, 0.38, -0.38}

// routeArc picks the route of arc a among arcs: the first bend whose curve
// clears every other box. An arc whose reverse is drawn too never goes
// straight, so that the two stay apart (each bends to its own right).
func routeArc(a [2]tcp.State, arcs [][2]tcp.State) sdRoute {
	from, to := nodeFor(a[0], a[1], false), nodeFor(a[1], a[0], true)
	reverse := slices.Contains(arcs, [2]tcp.State{a[1], a[0]})
	var first sdRoute
	found := false
	for _, bend := range sdBends {
		if reverse && bend <= 0 {
			continue
		}
		r := curveBetween(from, to, bend)
		if !found {
			first, found = r, true
		}
		if !r.crossesBoxes(from, to) {
			return r
		}
	}
	return first
}

// curveBetween is the curve from box a to box b bent sideways by bend.
func curveBetween(a, b sdNode, bend float64) sdRoute {
	dx, dy := b.x-a.x, b.y-a.y
	length := math.Hypot(dx, dy)
	// The control point, off the middle to the right of the direction of
	// travel.
	cx, cy := (a.x+b.x)/2-dy/length*bend*length, (a.y+b.y)/2+dx/length*bend*length
	x1, y1 := boxEdge(a, cx, cy)
	x2, y2 := boxEdge(b, cx, cy)
	return sdRoute{x1, y1, cx, cy, x2, y2}
}

// boxEdge is where the line from the centre of box n towards (x, y) leaves
// the box.
func boxEdge(n sdNode, x, y float64) (float64, float64) {
	dx, dy := x-n.x, y-n.y
	if dx == 0 && dy == 0 {
		return n.x, n.y
	}
	s := math.Min(math.Abs(sdBoxW/2/dx), math.Abs(sdBoxH/2/dy))
	return n.x + dx*s, n.y + dy*s
}

// point is the curve's point at t in [0, 1].
func (r sdRoute) point(t float64) (float64, float64) {
	u := 1 - t
	return u*u*r.x1 + 2*u*t*r.cx + t*t*r.x2, u*u*r.y1 + 2*u*t*r.cy + t*t*r.y2
}

// crossesBoxes reports whether the curve passes through a box other than
// its ends', with a margin.
func (r sdRoute) crossesBoxes(from, to sdNode) bool {
	const margin = 6
	for _, n := range sdNodes {
		if n == from || n == to {
			continue
		}
		for t := 0.0; t <= 1; t += 0.02 {
			x, y := r.point(t)
			if math.Abs(x-n.x) < sdBoxW/2+margin && math.Abs(y-n.y) < sdBoxH/2+margin {
				return true
			}
		}
	}
	return false
}

// offset returns the curve moved sideways by lane pixels, to the right of
// its direction of travel.
func (r sdRoute) offset(lane float64) sdRoute {
	if lane == 0 {
		return r
	}
	dx, dy := r.x2-r.x1, r.y2-r.y1
	n := math.Hypot(dx, dy)
	ox, oy := -dy/n*lane, dx/n*lane
	return sdRoute{r.x1 + ox, r.y1 + oy, r.cx + ox, r.cy + oy, r.x2 + ox, r.y2 + oy}
}

// path is the SVG path data of the curve in lane.
func (r sdRoute) path(lane float64) string {
	o := r.offset(lane)
	return fmt.Sprintf("M%.1f %.1fQ%.1f %.1f %.1f %.1f", o.x1, o.y1, o.cx, o.cy, o.x2, o.y2)
}

// head is the arrowhead at the end of the curve in lane.
func (r sdRoute) head(lane float64) string {
	o := r.offset(lane)
	dx, dy := o.x2-o.cx, o.y2-o.cy
	n := math.Hypot(dx, dy)
	ux, uy := dx/n, dy/n
	return fmt.Sprintf(`<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f"/>`,
		o.x2, o.y2, o.x2-9*ux-4*uy, o.y2-9*uy+4*ux, o.x2-9*ux+4*uy, o.y2-9*uy-4*ux)
}

// at is the point at t along the curve in lane.
func (r sdRoute) at(t, lane float64) (float64, float64) {
	return r.offset(lane).point(t)
}
