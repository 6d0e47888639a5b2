package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/netip"
	"slices"
	"strings"

	"github.com/synack-net/synack/trace"
)

// TextOptions tunes WriteText.
type TextOptions struct {
	// Width is the width of the ladder diagrams (trace.LadderOptions.Width;
	// 0 for its default).
	Width int
	// NoLadder leaves the ladder diagrams out.
	NoLadder bool
}

// WriteText writes the report for a person: a summary line, then per
// connection its endpoints with their states, its verdicts and its ladder
// diagram.
func (r *Report) WriteText(w io.Writer, name string, opt TextOptions) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d packet%s, %d TCP connection%s", name, r.Records, plural(r.Records),
		len(r.Connections), plural(len(r.Connections)))
	if len(r.Skipped) > 0 {
		var parts []string
		for _, why := range slices.Sorted(maps.Keys(r.Skipped)) {
			parts = append(parts, fmt.Sprintf("%d %s", r.Skipped[why], why))
		}
		fmt.Fprintf(&b, " (skipped: %s)", strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for i, c := range r.Connections {
		if err := c.writeText(w, i+1, opt); err != nil {
			return err
		}
	}
	return nil
}

// writeText writes connection number n.
func (c *Connection) writeText(w io.Writer, n int, opt TextOptions) error {
	var b strings.Builder
	a, z := c.Endpoints[0], c.Endpoints[1]
	fmt.Fprintf(&b, "\nconnection %d: %s -> %s, %d segment%s from %s to %s\n",
		n, a.label(), z.label(), c.Segments, plural(c.Segments), c.First, c.Last)
	width := max(len(a.label()), len(z.label()))
	for _, e := range c.Endpoints {
		names := make([]string, len(e.States))
		for i, s := range e.States {
			names[i] = s.String()
		}
		fmt.Fprintf(&b, "  %-*s  %s\n", width, e.label(), strings.Join(names, " -> "))
	}
	for _, v := range c.Verdicts {
		fmt.Fprintf(&b, "  - %s\n", v)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if opt.NoLadder {
		return nil
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return trace.RenderLadder(w, c.Events, a.Name, z.Name, trace.LadderOptions{Width: opt.Width})
}

// label names the endpoint: its role and address, or its address.
func (e Endpoint) label() string { return label(e.Name, e.Addr) }

// label names an end called name at addr: "client 10.0.0.1:40000", or
// just the address when that is its name.
func label(name string, addr netip.AddrPort) string {
	if name == addr.String() {
		return name
	}
	return name + " " + addr.String()
}

// The JSON form of a report.
type (
	jsonReport struct {
		Connections []jsonConnection `json:"connections"`
	}
	jsonConnection struct {
		Endpoints [2]jsonEndpoint `json:"endpoints"`
		Verdicts  []string        `json:"verdicts"`
	}
	jsonEndpoint struct {
		Addr   string   `json:"addr"`
		Name   string   `json:"name"`
		States []string `json:"states"`
	}
)

// WriteJSON writes the report as one JSON object:
// {"connections": [{"endpoints": [{"addr": "ip:port", "name": "client",
// "states": ["CLOSED", "SYN_SENT", ...]}, {...}], "verdicts": [...]}]}.
func (r *Report) WriteJSON(w io.Writer) error {
	out := jsonReport{Connections: []jsonConnection{}}
	for _, c := range r.Connections {
		jc := jsonConnection{Verdicts: append([]string{}, c.Verdicts...)}
		for i, e := range c.Endpoints {
			je := jsonEndpoint{Addr: e.Addr.String(), Name: e.Name, States: []string{}}
			for _, s := range e.States {
				je.States = append(je.States, s.String())
			}
			jc.Endpoints[i] = je
		}
		out.Connections = append(out.Connections, jc)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
