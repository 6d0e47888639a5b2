package trace

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/synack-net/synack/tcp"
)

// The geometry of the state diagram, in pixels.
const (
	sdWidth   = 1200
	sdBoxW    = 124
	sdBoxH    = 34
	sdTop     = 70
	sdRowStep = 92
	sdLegendX = 850
)

// sdNode is a box of the state diagram. CLOSED has two, as in RFC 9293
// Figure 5: where connections start (top) and where the synchronized
// states end (bottom).
type sdNode struct {
	state tcp.State
	x, y  float64 // centre
}

// sdColumns are the x of the diagram's three columns.
var sdColumns = [3]float64{150, 420, 690}

// sdNodes places the states as RFC 9293 Figure 5 does; the first is the
// top CLOSED, the last the bottom one.
var sdNodes = []sdNode{
	{tcp.Closed, sdColumns[1], sdTop},
	{tcp.Listen, sdColumns[1], sdTop + sdRowStep},
	{tcp.SynReceived, sdColumns[0], sdTop + 2*sdRowStep},
	{tcp.SynSent, sdColumns[2], sdTop + 2*sdRowStep},
	{tcp.Established, sdColumns[1], sdTop + 3*sdRowStep},
	{tcp.FinWait1, sdColumns[0], sdTop + 4*sdRowStep},
	{tcp.CloseWait, sdColumns[2], sdTop + 4*sdRowStep},
	{tcp.FinWait2, sdColumns[0], sdTop + 5*sdRowStep},
	{tcp.Closing, sdColumns[1], sdTop + 5*sdRowStep},
	{tcp.LastAck, sdColumns[2], sdTop + 5*sdRowStep},
	{tcp.TimeWait, sdColumns[1], sdTop + 6*sdRowStep},
	{tcp.Closed, sdColumns[2], sdTop + 6*sdRowStep},
}

// sdHeight is the height of the diagram without its legend.
const sdHeight = sdTop + 6*sdRowStep + 60

// nodeFor returns the box an arc from one state to another leaves from
// (end false) or arrives at (end true): the top CLOSED for arcs from CLOSED
// and from the states before ESTABLISHED, the bottom one for the rest.
func nodeFor(s tcp.State, other tcp.State, end bool) sdNode {
	if s == tcp.Closed {
		if end && other.IsSynchronized() {
			return sdNodes[len(sdNodes)-1]
		}
		return sdNodes[0]
	}
	for _, n := range sdNodes {
		if n.state == s {
			return n
		}
	}
	return sdNodes[0]
}

// sdStep is one transition of one end's path.
type sdStep struct {
	from, to tcp.State
	row      LadderRow
}

// paths returns the transitions each end of the connection took, in order:
// every state change but the notes about a listener.
func (l *Ladder) paths() [2][]sdStep {
	var p [2][]sdStep
	for _, r := range l.Rows {
		if r.Kind == KindState && r.Mark != MarkNote {
			p[r.Side] = append(p[r.Side], sdStep{r.From, r.To, r})
		}
	}
	return p
}

// WriteStateDiagram writes the state diagram of RFC 9293 (Figure 5, with
// the arcs its text adds: tcp.Arcs) as an SVG image, with the path each
// end of the connection took drawn over it in its own colour, each step
// numbered in order, and a legend listing the steps with their causes and
// times. A transition the diagram lacks is drawn too, dashed.
func (l *Ladder) WriteStateDiagram(w io.Writer) error {
	var b bytes.Buffer
	l.stateDiagram(&b)
	_, err := w.Write(b.Bytes())
	return err
}

// stateDiagram writes the SVG element of the state diagram to b.
func (l *Ladder) stateDiagram(b *bytes.Buffer) {
	paths := l.paths()
	height := max(sdHeight, sdLegendHeight(paths))
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" class="states" width="%d" height="%.0f" viewBox="0 0 %d %.0f" role="img">`+"\n",
		sdWidth, height, sdWidth, height)
	fmt.Fprintf(b, "<title>RFC 9293 state diagram: the paths of %s and %s</title>\n<style>%s</style>\n",
		esc(l.Hosts[0].Name), esc(l.Hosts[1].Name), stateDiagramStyle)
	fmt.Fprintf(b, `<rect class="page" width="%d" height="%.0f"/>`+"\n", sdWidth, height)
	b.WriteString(`<text class="heading" x="20" y="28">TCP connection states (RFC 9293 §3.3.2)</text>` + "\n")

	arcs := sdArcs(paths)
	routes := make(map[[2]tcp.State]sdRoute, len(arcs))
	for _, a := range arcs {
		routes[a] = routeArc(a, arcs)
	}
	for _, a := range arcs {
		r := routes[a]
		class := "arc"
		if !inDiagram(a) {
			class += " extra"
		}
		fmt.Fprintf(b, `<g class="%s" data-from="%s" data-to="%s"><path d="%s"/>%s</g>`+"\n",
			class, a[0], a[1], r.path(0), r.head(0))
	}
	for _, n := range sdNodes {
		fmt.Fprintf(b, `<g class="node" data-state="%s"><rect class="box %s" x="%.0f" y="%.0f" width="%d" height="%d" rx="6"/>`,
			n.state, Phase(n.state), n.x-sdBoxW/2, n.y-sdBoxH/2, sdBoxW, sdBoxH)
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f">%s</text></g>`+"\n", n.x, n.y+4, n.state)
	}
	for side := range 2 {
		l.sdPath(b, side, paths[side], routes)
	}
	l.sdLegend(b, paths)
	b.WriteString("</svg>\n")
}

// inDiagram reports whether the state diagram has arc a.
func inDiagram(a [2]tcp.State) bool {
	return slices.Contains(tcp.Arcs(), a)
}

// sdArcs returns the arcs to draw: every arc of the diagram, then each
// transition of the paths the diagram lacks, in a fixed order.
func sdArcs(paths [2][]sdStep) [][2]tcp.State {
	arcs := tcp.Arcs()
	slices.SortFunc(arcs, func(a, b [2]tcp.State) int {
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		return int(a[1]) - int(b[1])
	})
	for _, p := range paths {
		for _, s := range p {
			if a := [2]tcp.State{s.from, s.to}; !slices.Contains(arcs, a) {
				arcs = append(arcs, a)
			}
		}
	}
	return arcs
}

// sdSideClass is the class of each end's path.
var sdSideClass = [2]string{"side0", "side1"}

// sdPath draws side's path: each step over its arc, offset to the side's
// own lane, with its number in a circle along it.
func (l *Ladder) sdPath(b *bytes.Buffer, side int, steps []sdStep, routes map[[2]tcp.State]sdRoute) {
	lane := float64(2*side-1) * 3
	uses := map[[2]tcp.State]int{}
	fmt.Fprintf(b, `<g class="path %s" data-host="%s">`+"\n", sdSideClass[side], esc(l.Hosts[side].Name))
	for i, s := range steps {
		a := [2]tcp.State{s.from, s.to}
		r := routes[a]
		fmt.Fprintf(b, `<g class="step" data-step="%d" data-from="%s" data-to="%s"><path d="%s"/>%s`,
			i+1, s.from, s.to, r.path(lane), r.head(lane))
		t := numberAt(side, uses[a])
		uses[a]++
		x, y := r.at(t, lane)
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="9"/><text x="%.1f" y="%.1f">%d</text></g>`+"\n",
			x, y, x, y+4, i+1)
	}
	b.WriteString("</g>\n")
}

// numberAt is where along an arc side's k-th use of it puts its number:
// the two ends apart, and later uses apart from earlier ones.
func numberAt(side, k int) float64 {
	at := [...]float64{0.4, 0.28, 0.52, 0.16}
	t := at[k%len(at)]
	if side == 1 {
		t = 1 - t
	}
	return t
}

// sdLegendHeight is the height the legend of paths needs.
func sdLegendHeight(paths [2][]sdStep) float64 {
	return float64(sdTop + 40*2 + 15*(len(paths[0])+len(paths[1])) + 20)
}

// sdLegend lists each end's steps beside the diagram.
func (l *Ladder) sdLegend(b *bytes.Buffer, paths [2][]sdStep) {
	y := float64(sdTop)
	for side, steps := range paths {
		h := l.Hosts[side]
		fmt.Fprintf(b, `<g class="legend %s"><text class="who" x="%d" y="%.0f">%s (%s)</text>`+"\n",
			sdSideClass[side], sdLegendX, y, esc(h.Name), esc(h.Addr.String()))
		y += 18
		if len(steps) == 0 {
			fmt.Fprintf(b, `<text x="%d" y="%.0f">no state change recorded</text>`+"\n", sdLegendX+4, y)
			y += 15
		}
		for i, s := range steps {
			fmt.Fprintf(b, `<text x="%d" y="%.0f"><tspan class="n">%d</tspan> %s → %s <tspan class="why">%s, %v</tspan></text>`+"\n",
				sdLegendX+4, y, i+1, s.from, s.to, esc(s.row.Cause.String()), s.row.Time)
			y += 15
		}
		b.WriteString("</g>\n")
		y += 22
	}
}
