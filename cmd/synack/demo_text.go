package main

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// writeSequence writes prefix and the items joined by arrows, breaking the
// line before an arrow where it would pass width columns.
func writeSequence(b *bytes.Buffer, prefix string, items []string, width int) {
	line := prefix + items[0]
	indent := strings.Repeat(" ", utf8.RuneCountInString(prefix))
	for _, it := range items[1:] {
		next := line + " → " + it
		if utf8.RuneCountInString(next) > width {
			b.WriteString(line + "\n")
			next = indent + "→ " + it
		}
		line = next
	}
	b.WriteString(line + "\n")
}

// writeWrapped writes the words of text in lines of at most width columns
// (a word longer than a line is cut), the first line starting with lead and
// the others with indent.
func writeWrapped(b *bytes.Buffer, text, lead, indent string, width int) {
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = lead + word
			lead = indent
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			b.WriteString(line + "\n")
			line = indent + word
		}
		if utf8.RuneCountInString(line) > width {
			writeCut(b, line, indent, width)
			line = ""
		}
	}
	if line != "" {
		b.WriteString(line + "\n")
	}
}

// writeCut writes text as is, cut into lines of width columns, the lines
// after the first starting with indent.
func writeCut(b *bytes.Buffer, text, indent string, width int) {
	for utf8.RuneCountInString(text) > width {
		cut := byteIndexOfRune(text, width)
		b.WriteString(text[:cut] + "\n")
		text = indent + text[cut:]
	}
	b.WriteString(text + "\n")
}

// byteIndexOfRune is the byte offset of the n-th rune of s.
func byteIndexOfRune(s string, n int) int {
	i := 0
	for j := range s {
		if i == n {
			return j
		}
		i++
	}
	return len(s)
}
