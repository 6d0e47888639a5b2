package trace

import (
	"bytes"
	_ "embed" // the page's style sheet and script
	"encoding/json"
	"fmt"
	"io"
)

var (
	//go:embed assets/ladder.css
	ladderPageStyle string
	//go:embed assets/ladder.js
	ladderPageScript string
)

// HTMLOptions tunes WriteHTML. The zero value asks for the defaults.
type HTMLOptions struct {
	// Absolute labels sequence numbers as on the wire, not relative.
	Absolute bool
	// Title is the page's title (default: the two hosts).
	Title string
	// Description is a paragraph shown under the title, or "".
	Description string
}

// WriteHTML writes a self-contained HTML page: the SVG ladder (as
// WriteSVG draws it), beside it a panel that shows all the fields of the
// segment under the pointer (click or Enter to pin one), a key to the
// colours, and the state diagram with each end's path (as
// WriteStateDiagram draws it). The page fetches nothing: the style sheet,
// the script and the layout (in the JSON form of WriteJSON, which the
// script reads) are inline.
func (l *Ladder) WriteHTML(w io.Writer, opt HTMLOptions) error {
	title := opt.Title
	if title == "" {
		title = "TCP connection between " + l.Hosts[0].Name + " and " + l.Hosts[1].Name
	}
	data, err := json.Marshal(l.jsonForm()) // escapes <, > and &: safe inside <script>
	if err != nil {
		return err
	}
	var b bytes.Buffer
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
	b.WriteString(`<meta name="viewport" content="width=device-width, initial-scale=1">` + "\n")
	fmt.Fprintf(&b, "<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", esc(title), ladderPageStyle)
	fmt.Fprintf(&b, "<header>\n<h1>%s</h1>\n", esc(title))
	if opt.Description != "" {
		fmt.Fprintf(&b, "<p>%s</p>\n", esc(opt.Description))
	}
	b.WriteString(colourKey)
	b.WriteString("</header>\n<main>\n<section class=\"view\" id=\"ladder\">\n")
	l.svg(&b, SVGOptions{Absolute: opt.Absolute, Title: title})
	b.WriteString("</section>\n<aside id=\"details\">\n<h2>Segment</h2>\n")
	b.WriteString("<p class=\"hint\" id=\"hint\">Hover over a segment's arrow to see all its fields; click it to keep them here.</p>\n")
	b.WriteString("<dl id=\"fields\"></dl>\n</aside>\n<section class=\"view\" id=\"states\">\n")
	b.WriteString("<h2>The path each end took through the state diagram</h2>\n")
	l.stateDiagram(&b)
	b.WriteString("</section>\n</main>\n")
	fmt.Fprintf(&b, "<script type=\"application/json\" id=\"ladder-data\">%s</script>\n", data)
	fmt.Fprintf(&b, "<script>\n%s</script>\n</body>\n</html>\n", ladderPageScript)
	_, err = w.Write(b.Bytes())
	return err
}

// colourKey explains the colours of the diagrams.
const colourKey = `<ul class="key">
<li style="--c:#1a73e8">opening (LISTEN, SYN_SENT, SYN_RCVD)</li>
<li style="--c:#188038">ESTABLISHED</li>
<li style="--c:#e37400">closing (FIN_WAIT_1, FIN_WAIT_2, CLOSE_WAIT, CLOSING, LAST_ACK)</li>
<li style="--c:#9334e6">TIME_WAIT</li>
<li style="--c:#80868b">CLOSED</li>
<li style="--c:#d93025">lost (ends in a cross) or dropped (ends in a bar)</li>
<li style="--c:#00897b">retransmission (dashed)</li>
<li style="--c:#d01884">duplicate (dotted)</li>
</ul>
`
