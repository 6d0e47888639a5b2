package main

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/synack-net/synack/trace"
)

// maxEchoShown is the longest echo the report quotes whole.
const maxEchoShown = 256

// report writes the demo's output to w: a header saying what is shown, the
// ladder diagram, the echoed text, each host's states and how the run ended.
func report(w io.Writer, sc scenario, o demoOptions, res demoResult) error {
	var b bytes.Buffer
	title := fmt.Sprintf("%s: scenario %s, seed %d, one-way delay %v, loss %v", o.name(), sc.name, o.seed, o.delay, o.loss)
	if o.jitter > 0 || o.reorder > 0 || o.dup > 0 {
		title += fmt.Sprintf(", jitter %v, reorder %v, duplicate %v", o.jitter, o.reorder, o.dup)
	}
	writeWrapped(&b, title, "", "  ", o.width)
	b.WriteString("\n")
	writeWrapped(&b, header(sc, o), "", "", o.width)
	b.WriteByte('\n')

	err := trace.RenderLadder(&b, res.drawn(sc), sc.hosts[0], sc.hosts[1], trace.LadderOptions{
		Width:      o.width,
		Absolute:   o.absolute,
		ShowTimers: o.timers || sc.timers,
		ShowDrops:  true,
		Color:      o.color,
	})
	if err != nil {
		return err
	}
	b.WriteByte('\n')

	echoed := "none"
	switch n := len(res.echoed); {
	case n > maxEchoShown:
		echoed = fmt.Sprintf("%d bytes, starting %s", n, strconv.Quote(string(res.echoed[:32])))
	case n > 0:
		echoed = strconv.Quote(string(res.echoed))
	}
	writeCut(&b, "Echoed text: "+echoed, "  ", o.width)
	b.WriteString("States:\n")
	for side, name := range sc.hosts {
		var names []string
		for _, st := range trace.States(res.events, name) {
			names = append(names, st.String())
		}
		if len(names) == 0 {
			names = []string{"(no connection)"}
		}
		writeSequence(&b, "  "+name+": ", names, o.width)
		if e := res.errs[side]; e != 0 {
			writeWrapped(&b, "the application saw "+errnoText(e), "    ", "      ", o.width)
		}
	}
	fmt.Fprintf(&b, "Network: %d packets sent, %d lost.\n", res.sent, res.lost)
	if p := res.problem(sc, o); p != "" {
		writeWrapped(&b, "Did not end as expected: "+p+".", "", "  ", o.width)
	} else {
		writeWrapped(&b, fmt.Sprintf("Finished at %v of virtual time: %s.", res.end, endText(sc)), "", "  ", o.width)
	}
	_, err = w.Write(b.Bytes())
	return err
}

// scenarioText says what the scenario shows and what the network does,
// for the HTML page.
func scenarioText(sc scenario, o demoOptions) string {
	return sc.about + networkText(o) + fmt.Sprintf(". The seed of its randomness is %d.", o.seed)
}

// networkText is the sentence about the network, without its full stop.
func networkText(o demoOptions) string {
	s := fmt.Sprintf(" The network delays each packet by %v in each direction", o.delay)
	if o.jitter > 0 {
		s += fmt.Sprintf(", plus up to %v of jitter", o.jitter)
	}
	if o.reorder > 0 {
		s += fmt.Sprintf(", holds one back %v longer with probability %v", reorderDelay, o.reorder)
	}
	if o.dup > 0 {
		s += fmt.Sprintf(", duplicates it with probability %v", o.dup)
	}
	if o.loss > 0 {
		s += fmt.Sprintf(" and loses it with probability %v (a lost segment stops half-way in an X)", o.loss)
	}
	return s
}

// header is the paragraph above the text diagram: the scenario, the
// network and how to read the diagram.
func header(sc scenario, o demoOptions) string {
	var b strings.Builder
	b.WriteString(sc.about + networkText(o))
	b.WriteString(". Below, virtual time runs down the left margin; each arrow is a segment, drawn " +
		"when it was sent, with ")
	if o.absolute {
		b.WriteString("its sequence numbers as on the wire")
	} else {
		b.WriteString("sequence numbers relative to each host's initial sequence number, as " +
			"Wireshark shows them")
	}
	b.WriteString("; beside each lifeline are the states the host enters and, in parentheses, why")
	if o.timers || sc.timers {
		b.WriteString("; a row marks each timer that fired")
	}
	b.WriteString(". A dotted row marks a gap of a second or more.")
	return b.String()
}

// endText says how a scenario that ended as expected ended.
func endText(sc scenario) string {
	var open []string
	for side, states := range sc.open {
		for _, st := range states {
			open = append(open, fmt.Sprintf("%s's in %v", sc.hosts[side], st))
		}
	}
	if len(open) == 0 {
		return "every connection reached CLOSED"
	}
	return "every connection reached CLOSED but those the scenario leaves open, " + strings.Join(open, " and ")
}
