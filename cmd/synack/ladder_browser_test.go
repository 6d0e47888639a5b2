package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// needChromium returns the path of Chromium, skipping the test when it is
// absent unless SYNACK_REQUIRE_CHROMIUM=1 makes that a failure.
func needChromium(t *testing.T) string {
	t.Helper()
	p := findChromium()
	if p == "" {
		if os.Getenv("SYNACK_REQUIRE_CHROMIUM") == "1" {
			t.Fatal("chromium is not installed and SYNACK_REQUIRE_CHROMIUM=1")
		}
		t.Skip("chromium is not installed (apt-get install chromium); SYNACK_REQUIRE_CHROMIUM=1 makes this a failure")
	}
	return p
}

// pageLayout is what the test reads of the layout embedded in the page.
type pageLayout struct {
	Rows []struct {
		Kind, To, Mark string
	} `json:"rows"`
	Segments []pageSegment `json:"segments"`
}

// pageSegment is what the test reads of a segment of the layout.
type pageSegment struct {
	Flags          string `json:"flags"`
	RelSeq         uint32 `json:"relSeq"`
	Window         uint32 `json:"window"`
	Retransmission bool   `json:"retransmission"`
	Label          string `json:"label"`
}

// TestHTMLLadderInChromium opens the demo's HTML page in headless Chromium
// as a person would look at it: one arrow per segment, the state labels
// beside the lifelines, the fields of a segment shown when the pointer is
// over its arrow and kept after a click, no console error, nothing
// fetched; and it saves a screenshot.
func TestHTMLLadderInChromium(t *testing.T) {
	ctx, p, url := openRendering(t, "html", "demo", "--loss", "0.3", "--seed", "6")

	var layout pageLayout
	var data string
	must(t, p.eval(ctx, `document.getElementById("ladder-data").textContent`, &data))
	must(t, json.Unmarshal([]byte(data), &layout))
	var arrows int
	must(t, p.eval(ctx, `document.querySelectorAll("svg.ladder g.seg").length`, &arrows))
	if arrows != len(layout.Segments) || arrows < 10 {
		t.Errorf("%d segment arrows drawn, want %d (and at least 10)", arrows, len(layout.Segments))
	}
	var labels []string
	must(t, p.eval(ctx, `[...document.querySelectorAll("svg.ladder .statechange .state")].map(e => e.textContent)`, &labels))
	var want []string
	for _, r := range layout.Rows {
		if r.Kind == "state" && r.Mark != "note" {
			want = append(want, r.To)
		}
	}
	if !slices.Equal(labels, want) || !slices.Contains(labels, "TIME_WAIT") {
		t.Errorf("state labels %q, want %q", labels, want)
	}
	var width float64
	must(t, p.eval(ctx, `document.querySelector("svg.ladder").getBoundingClientRect().width`, &width))
	if width < 1000 {
		t.Errorf("the ladder is drawn %v pixels wide", width)
	}

	// The retransmitted segment: hover shows its fields, leaving hides
	// them, a click keeps them.
	i := slices.IndexFunc(layout.Segments, func(s pageSegment) bool { return s.Retransmission })
	if i < 0 {
		t.Fatal("the layout has no retransmission")
	}
	seg := layout.Segments[i]
	x, y := arrowPoint(t, ctx, p, i)
	must(t, p.mouse(ctx, "mouseMoved", x, y))
	fields := panelFields(t, ctx, p)
	for k, v := range map[string]string{"flags": seg.Flags, "retransmission": "yes", "label": seg.Label} {
		if fields[k] != v {
			t.Errorf("hovering segment %d: %s is %q, want %q (panel %v)", i, k, fields[k], v, fields)
		}
	}
	if !strings.HasPrefix(fields["window"], itoa(seg.Window)+" bytes") || !strings.HasPrefix(fields["seq"], itoa(seg.RelSeq)+" ") {
		t.Errorf("hovering segment %d: window %q, seq %q; want %d and %d", i, fields["window"], fields["seq"], seg.Window, seg.RelSeq)
	}
	must(t, p.mouse(ctx, "mouseMoved", 5, 5))
	if f := panelFields(t, ctx, p); len(f) != 0 {
		t.Errorf("the fields stay after the pointer left: %v", f)
	}
	must(t, p.mouse(ctx, "mousePressed", x, y))
	must(t, p.mouse(ctx, "mouseReleased", x, y))
	must(t, p.mouse(ctx, "mouseMoved", 5, 5))
	if f := panelFields(t, ctx, p); f["label"] != seg.Label {
		t.Errorf("after a click the panel shows %v, want segment %d's fields", f, i)
	}
	var selected int
	must(t, p.eval(ctx, `document.querySelectorAll("svg.ladder g.seg.selected").length`, &selected))
	if selected != 1 {
		t.Errorf("%d segments marked selected after a click, want 1", selected)
	}

	shot := filepath.Join(artifactDir(t), "ladder-echo-loss.png")
	must(t, p.screenshot(ctx, shot))
	t.Logf("screenshot: %s", shot)
	checkPageClean(t, p, url)
}

// TestStateDiagramInChromium opens the state diagram of the recorded
// trace in headless Chromium: the eleven states, both ends' numbered
// steps, no console error; and saves a screenshot.
func TestStateDiagramInChromium(t *testing.T) {
	ctx, p, url := openRendering(t, "states", "ladder", lossTrace)
	var states []string
	must(t, p.eval(ctx, `[...document.querySelectorAll("g.node text")].map(e => e.textContent)`, &states))
	slices.Sort(states)
	if distinct := slices.Compact(slices.Clone(states)); len(states) != 12 || len(distinct) != 11 {
		t.Errorf("state boxes %q, want the eleven states with CLOSED twice", states)
	}
	var steps []int
	must(t, p.eval(ctx, `[...document.querySelectorAll("g.path")].map(g => g.querySelectorAll("g.step").length)`, &steps))
	// client: CLOSED SYN_SENT ESTABLISHED FIN_WAIT_1 FIN_WAIT_2 TIME_WAIT
	// CLOSED; server: CLOSED LISTEN SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK
	// CLOSED (lossTrace's run).
	if !slices.Equal(steps, []int{6, 6}) {
		t.Errorf("numbered steps per end %v, want [6 6]", steps)
	}
	var visible bool
	must(t, p.eval(ctx, `(() => { const r = document.querySelector("g.step circle").getBoundingClientRect(); return r.width > 10 && r.height > 10; })()`, &visible))
	if !visible {
		t.Error("the steps' numbers are not drawn")
	}
	shot := filepath.Join(artifactDir(t), "states-echo-loss.png")
	must(t, p.screenshot(ctx, shot))
	t.Logf("screenshot: %s", shot)
	checkPageClean(t, p, url)
}

// openRendering writes what the command line args draw in format f to a
// file, and opens it in a new headless Chromium, for at most 90 seconds.
func openRendering(t *testing.T, f string, args ...string) (context.Context, *cdpConn, string) {
	t.Helper()
	chromium := needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	ext := map[string]string{"html": ".html", "svg": ".svg", "states": ".states.svg"}[f]
	path := filepath.Join(t.TempDir(), args[0]+ext) // the browser goes by the name
	if _, errOut, code := runArgs(append(args, "--format", f, "-o", path)...); code != 0 {
		t.Fatalf("%s: exit status %d: %s", args[0], code, errOut)
	}
	b := startBrowser(t, ctx, chromium)
	url := "file://" + path
	if err := b.page.open(ctx, url); err != nil {
		t.Fatal(err)
	}
	return ctx, b.page, url
}

// checkPageClean fails the test if the page logged an error or fetched
// anything but itself.
func checkPageClean(t *testing.T, p *cdpConn, url string) {
	t.Helper()
	problems, fetched := p.report()
	for _, pr := range problems {
		t.Errorf("the page logged: %s", pr)
	}
	for _, u := range fetched {
		if u != url {
			t.Errorf("the page fetched %s", u)
		}
	}
	if !slices.Contains(fetched, url) {
		t.Errorf("no request for the page itself was seen (requests: %q): the network log is not working", fetched)
	}
}

// arrowPoint returns a point in the window on segment i's arrow where the
// arrow is what the pointer would hit.
func arrowPoint(t *testing.T, ctx context.Context, p *cdpConn, i int) (float64, float64) {
	t.Helper()
	var pt []float64
	must(t, p.eval(ctx, `(() => {
		const g = document.getElementById("seg-`+itoa(uint32(i))+`");
		g.scrollIntoView({block: "center"});
		const l = g.querySelector("line.hit"), m = l.getScreenCTM();
		const x1 = l.x1.baseVal.value, y1 = l.y1.baseVal.value, x2 = l.x2.baseVal.value, y2 = l.y2.baseVal.value;
		for (const f of [0.15, 0.25, 0.35, 0.65, 0.75, 0.85]) {
			const q = new DOMPoint(x1 + f * (x2 - x1), y1 + f * (y2 - y1)).matrixTransform(m);
			const e = document.elementFromPoint(q.x, q.y);
			if (e && e.closest(".seg") === g) return [q.x, q.y];
		}
		return [];
	})()`, &pt))
	if len(pt) != 2 {
		t.Fatalf("no point of segment %d's arrow is on top", i)
	}
	return pt[0], pt[1]
}

// panelFields reads the details panel: its terms and their values.
func panelFields(t *testing.T, ctx context.Context, p *cdpConn) map[string]string {
	t.Helper()
	var pairs [][2]string
	must(t, p.eval(ctx, `[...document.querySelectorAll("#fields dt")].map(dt => [dt.textContent, dt.nextElementSibling.textContent])`, &pairs))
	m := map[string]string{}
	for _, kv := range pairs {
		m[kv[0]] = kv[1]
	}
	return m
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
