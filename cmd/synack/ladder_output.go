package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/synack-net/synack/trace"
)

// ladderFormats are the values of --format of ladder and demo: the text
// diagram, an SVG image, a self-contained HTML page, the JSON layout, and
// the RFC 9293 state diagram (SVG) with each end's path.
var ladderFormats = []string{"text", "svg", "html", "json", "states"}

// formatUsage is the help text of --format.
var formatUsage = "output format: " + strings.Join(ladderFormats, ", ") +
	" (states: the RFC 9293 state diagram with each end's path, as SVG)"

// checkFormat reports a --format value that is not one of ladderFormats.
func checkFormat(f string) error {
	if !slices.Contains(ladderFormats, f) {
		return fmt.Errorf("--format %q: want one of %s", f, strings.Join(ladderFormats, ", "))
	}
	return nil
}

// graphic is what a graphic rendering of a ladder needs besides the
// ladder: a title and, for the HTML page, a paragraph about it.
type graphic struct {
	title, about string
	absolute     bool
}

// writeGraphic writes l to w in a format other than text.
func writeGraphic(w io.Writer, l *trace.Ladder, format string, g graphic) error {
	switch format {
	case "svg":
		return l.WriteSVG(w, trace.SVGOptions{Absolute: g.absolute, Title: g.title})
	case "html":
		return l.WriteHTML(w, trace.HTMLOptions{Absolute: g.absolute, Title: g.title, Description: g.about})
	case "json":
		return l.WriteJSON(w)
	case "states":
		return l.WriteStateDiagram(w)
	}
	return fmt.Errorf("no renderer for format %q", format)
}

// errOutput marks a failure to write the output, as opposed to reading
// the input.
var errOutput = errors.New("output")

// toOutput runs write on the file path (created, or truncated), or on
// stdout when path is "" or "-". The error of write or of closing the file
// wraps errOutput and names the file.
func toOutput(path string, stdout io.Writer, write func(w io.Writer) error) error {
	if path == "" || path == "-" {
		if err := write(stdout); err != nil {
			return fmt.Errorf("%w: %v", errOutput, err)
		}
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%w: %v", errOutput, err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%w: %s: %v", errOutput, path, err)
	}
	return nil
}

// outputWriter is where text output goes, to tell its width and colour:
// stdout, or nothing like a terminal when the output is a file.
func outputWriter(path string, stdout io.Writer) io.Writer {
	if path == "" || path == "-" {
		return stdout
	}
	return io.Discard
}
