package trace

import "math"

// The size of a label's characters (11 px monospace) and the room kept
// around a label.
const (
	labelCharWidth = 6.6
	labelClearX    = 8
	labelClearY    = 13
)

// labelAt are the places along an arrow, as fractions of its length, that
// its label may take, best first.
var labelAt = [...]float64{0.5, 0.38, 0.62, 0.28, 0.72, 0.2, 0.8}

// labelPlacer keeps labels of arrows from overlapping: each label is
// placed at the first point along its arrow where it clears the labels
// placed before, else at the middle.
type labelPlacer struct {
	placed []placedLabel
}

// placedLabel is a label's baseline, sampled, and the vertical span it
// takes.
type placedLabel struct {
	pts    [][2]float64
	lo, hi float64
}

// place finds where the label of n characters of the arrow from (x1, y1)
// to (x2, y2) goes and returns the point of the arrow it is centred on.
func (p *labelPlacer) place(x1, y1, x2, y2 float64, n int) (x, y float64) {
	half := float64(n) * labelCharWidth / 2
	dx, dy := x2-x1, y2-y1
	length := math.Hypot(dx, dy)
	ux, uy := dx/length, dy/length
	var first placedLabel
	for k, t := range labelAt {
		cx, cy := x1+t*dx, y1+t*dy
		c := sampleLabel(cx, cy, ux, uy, half)
		if k == 0 {
			first = c
		}
		if !p.collides(c) {
			p.placed = append(p.placed, c)
			return cx, cy
		}
	}
	p.placed = append(p.placed, first)
	return x1 + dx/2, y1 + dy/2
}

// sampleLabel samples the baseline of a label centred on (cx, cy) along the
// direction (ux, uy), half pixels either side.
func sampleLabel(cx, cy, ux, uy, half float64) placedLabel {
	c := placedLabel{lo: math.Inf(1), hi: math.Inf(-1)}
	for d := -half; d <= half; d += labelClearX {
		x, y := cx+d*ux, cy+d*uy
		c.pts = append(c.pts, [2]float64{x, y})
		c.lo, c.hi = min(c.lo, y), max(c.hi, y)
	}
	return c
}

// collides reports whether c comes too near a label placed before.
func (p *labelPlacer) collides(c placedLabel) bool {
	for _, o := range p.placed {
		if o.hi+labelClearY < c.lo || c.hi+labelClearY < o.lo {
			continue
		}
		for _, a := range c.pts {
			for _, b := range o.pts {
				if math.Abs(a[0]-b[0]) < labelClearX && math.Abs(a[1]-b[1]) < labelClearY {
					return true
				}
			}
		}
	}
	return false
}
