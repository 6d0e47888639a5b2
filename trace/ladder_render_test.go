package trace

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// renderCases are the hand-built scenarios every renderer draws.
var renderCases = []struct {
	name   string
	events func() []Event
	left   string
	right  string
}{
	{"handshake_data_close", handshakeDataClose, "client", "server"},
	{"lost_syn", lostSYN, "client", "server"},
	{"simultaneous_open", simultaneousOpen, "alice", "bob"},
	{"refused_rst", refused, "client", "server"},
	{"listener_and_strays", listenerAndStrays, "client", "server"},
	{"faults", faults, "client", "server"},
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./trace -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update after checking it):\n%s", path, got)
	}
}

// TestRenderGolden renders each scenario in every format and compares it
// with its golden file.
func TestRenderGolden(t *testing.T) {
	for _, c := range renderCases {
		t.Run(c.name, func(t *testing.T) {
			l, err := NewLadder(c.events(), c.left, c.right)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct {
				ext    string
				render func(w io.Writer) error
			}{
				{".svg", func(w io.Writer) error { return l.WriteSVG(w, SVGOptions{}) }},
				{".states.svg", l.WriteStateDiagram},
				{".json", l.WriteJSON},
				{".html", func(w io.Writer) error { return l.WriteHTML(w, HTMLOptions{Description: "A <test> & more."}) }},
			} {
				if f.ext == ".html" && c.name != "faults" {
					continue // one page is enough: the rest of it is the SVGs
				}
				var b bytes.Buffer
				if err := f.render(&b); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, c.name+f.ext, b.Bytes())
			}
		})
	}
}

// parseXML checks that doc is well-formed XML and returns its elements'
// start tags.
func parseXML(t *testing.T, doc string) []xml.StartElement {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var starts []xml.StartElement
	depth := 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			depth++
			starts = append(starts, tok.Copy())
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 || len(starts) == 0 || starts[0].Name.Local != "svg" || starts[0].Name.Space != "http://www.w3.org/2000/svg" {
		t.Fatalf("not one SVG element: depth %d, %d elements", depth, len(starts))
	}
	return starts
}

// attr returns the attribute name of e.
func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// countClass counts the elements whose class attribute starts with class
// followed by a space or its end.
func countClass(starts []xml.StartElement, class string) int {
	n := 0
	for _, e := range starts {
		if c := attr(e, "class"); c == class || strings.HasPrefix(c, class+" ") {
			n++
		}
	}
	return n
}

// TestSVGLadderWellFormed parses each SVG ladder and checks what it draws:
// one arrow per segment, with the classes of its faults, one state label
// per change shown, a timer mark per timer, a cut per long idle stretch.
func TestSVGLadderWellFormed(t *testing.T) {
	for _, c := range renderCases {
		l, _ := NewLadder(c.events(), c.left, c.right)
		var b bytes.Buffer
		if err := l.WriteSVG(&b, SVGOptions{}); err != nil {
			t.Fatal(err)
		}
		starts := parseXML(t, b.String())
		var states, timers, lost, retx, dup int
		for _, r := range l.Rows {
			switch {
			case r.Kind == KindState && r.Mark != MarkNote:
				states++
			case r.Kind == KindTimer:
				timers++
			}
		}
		for _, s := range l.Segments {
			lost, retx, dup = lost+b2i(s.Lost), retx+b2i(s.Retransmission), dup+b2i(s.Duplicate)
		}
		got := map[string]int{"seg": countClass(starts, "seg"), "statechange": countClass(starts, "statechange"),
			"timer": countClass(starts, "timer"), "lost": strings.Count(b.String(), `class="seg lost`),
			"retx": strings.Count(b.String(), " retx"), "dup": strings.Count(b.String(), " dup")}
		want := map[string]int{"seg": len(l.Segments), "statechange": states, "timer": timers,
			"lost": lost, "retx": retx, "dup": dup}
		for k := range want {
			if got[k] != want[k] {
				t.Errorf("%s: %d %s elements, want %d", c.name, got[k], k, want[k])
			}
		}
		if n := countClass(starts, "break"); c.name == "handshake_data_close" && n != 4 {
			t.Errorf("%s: %d cuts in the time axis, want 4 (1 s, 0.96 s, 0.49 s and 60 s idle)", c.name, n)
		}
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestStateDiagramWellFormed parses each state diagram: the eleven states
// (CLOSED drawn twice), every arc of the diagram, and each end's path.
func TestStateDiagramWellFormed(t *testing.T) {
	for _, c := range renderCases {
		l, _ := NewLadder(c.events(), c.left, c.right)
		var b bytes.Buffer
		if err := l.WriteStateDiagram(&b); err != nil {
			t.Fatal(err)
		}
		starts := parseXML(t, b.String())
		names := map[string]int{}
		for _, e := range starts {
			if attr(e, "class") == "node" {
				names[attr(e, "data-state")]++
			}
		}
		if len(names) != 11 || names["CLOSED"] != 2 {
			t.Errorf("%s: state boxes %v, want the eleven states with CLOSED twice", c.name, names)
		}
		paths := l.paths()
		if n := countClass(starts, "arc"); n < len(tcp.Arcs()) {
			t.Errorf("%s: %d arcs, want at least the diagram's %d", c.name, n, len(tcp.Arcs()))
		}
		if n := countClass(starts, "step"); n != len(paths[0])+len(paths[1]) {
			t.Errorf("%s: %d numbered steps, want %d", c.name, n, len(paths[0])+len(paths[1]))
		}
	}
}

// TestStateDiagramExtraArc: a transition the diagram lacks is drawn,
// dashed, rather than left out.
func TestStateDiagramExtraArc(t *testing.T) {
	events := []Event{{Host: "a", Local: clientAddr, Remote: serverAddr, Kind: KindState,
		From: tcp.Closed, To: tcp.TimeWait, Cause: call(tcp.CallOpen)}}
	l, err := NewLadder(events, "a", "b")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := l.WriteStateDiagram(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `<g class="arc extra" data-from="CLOSED" data-to="TIME_WAIT">`) {
		t.Errorf("no dashed arc CLOSED -> TIME_WAIT:\n%s", b.String())
	}
}

// svgElement matches each SVG element inside an HTML page.
var svgElement = regexp.MustCompile(`(?s)<svg .*?</svg>`)

// TestHTMLSelfContained checks the page: both diagrams well-formed, the
// layout embedded as JSON that decodes to the layout, nothing to fetch,
// and text escaped.
func TestHTMLSelfContained(t *testing.T) {
	l, _ := NewLadder(faults(), "client", "server")
	var b bytes.Buffer
	if err := l.WriteHTML(&b, HTMLOptions{Title: "x</script><b>", Description: "a & b"}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	svgs := svgElement.FindAllString(page, -1)
	if len(svgs) != 2 {
		t.Fatalf("%d SVG elements in the page, want 2", len(svgs))
	}
	for _, s := range svgs {
		parseXML(t, s)
	}
	for _, bad := range []string{"http://", "https://", "src=", "@import", "url(", "<b>", "x</script>"} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("the page holds %q", bad)
		}
	}
	m := regexp.MustCompile(`<script type="application/json" id="ladder-data">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no layout in the page")
	}
	var embedded, direct bytes.Buffer
	if err := json.Indent(&embedded, []byte(m[1]), "", "  "); err != nil {
		t.Fatal(err)
	}
	if err := l.WriteJSON(&direct); err != nil {
		t.Fatal(err)
	}
	if embedded.String()+"\n" != direct.String() {
		t.Errorf("the embedded layout differs from WriteJSON's:\n%s", embedded.String())
	}
	if !strings.Contains(page, "a &amp; b") {
		t.Error("the description is not escaped")
	}
}
