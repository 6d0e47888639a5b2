package drill

import (
	"fmt"
	"strings"
)

// Bounds of what the lexer accepts, so that no input can make it use
// unbounded memory.
const (
	// MaxScriptSize is the largest script, in bytes.
	MaxScriptSize = 1 << 20
	// maxTokens bounds the tokens of one script.
	maxTokens = 1 << 18
)

// tokKind is a token's class.
type tokKind uint8

const (
	tokEOF      tokKind = iota
	tokNumber           // 42, 0x2a, 0.200, .1
	tokWord             // [A-Za-z_][A-Za-z0-9_]*
	tokString           // "text" (text holds the unquoted value)
	tokCommand          // `command` (text holds the command)
	tokCode             // %{ code }% (text holds the code)
	tokOption           // --name[=value] (text holds name[=value])
	tokEllipsis         // ...
	tokPunct            // one character of punctChars
)

// punctChars are the single-character tokens.
const punctChars = "+-*~<>:()[]{},=|."

// token is one lexeme, with its line and byte offsets in the script (end
// is exclusive), so that the parser can tell adjacent tokens apart from
// tokens separated by space.
type token struct {
	kind     tokKind
	text     string
	line     int
	pos, end int
}

func (t token) String() string {
	switch t.kind {
	case tokEOF:
		return "end of script"
	case tokString:
		return fmt.Sprintf("%q", t.text)
	case tokCommand:
		return "`" + t.text + "`"
	case tokCode:
		return "%{...}%"
	case tokOption:
		return "--" + t.text
	case tokEllipsis:
		return "..."
	}
	return fmt.Sprintf("%q", t.text)
}

// is reports whether t is the punctuation c.
func (t token) is(c string) bool { return t.kind == tokPunct && t.text == c }

// isWord reports whether t is the word w.
func (t token) isWord(w string) bool { return t.kind == tokWord && t.text == w }

// lexer splits a script into tokens.
type lexer struct {
	path string
	src  string
	i    int
	line int
	toks []token
}

// lex returns the tokens of src, ending with tokEOF, or a *ParseError.
func lex(path, src string) ([]token, error) {
	if len(src) > MaxScriptSize {
		return nil, &ParseError{Path: path, Line: 1, Msg: fmt.Sprintf("script larger than %d bytes", MaxScriptSize)}
	}
	l := &lexer{path: path, src: src, line: 1}
	for {
		if err := l.skipSpace(); err != nil {
			return nil, err
		}
		if l.i >= len(l.src) {
			l.toks = append(l.toks, token{kind: tokEOF, line: l.line, pos: l.i, end: l.i})
			return l.toks, nil
		}
		if len(l.toks) >= maxTokens {
			return nil, l.errorf("more than %d tokens", maxTokens)
		}
		if err := l.token(); err != nil {
			return nil, err
		}
	}
}

func (l *lexer) errorf(format string, args ...any) error {
	return &ParseError{Path: l.path, Line: l.line, Msg: fmt.Sprintf(format, args...)}
}

// skipSpace skips white space and comments ("// ..." and "/* ... */").
func (l *lexer) skipSpace() error {
	for l.i < len(l.src) {
		c := l.src[l.i]
		switch {
		case c == '\n':
			l.line++
			l.i++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.i++
		case strings.HasPrefix(l.src[l.i:], "//"):
			for l.i < len(l.src) && l.src[l.i] != '\n' {
				l.i++
			}
		case strings.HasPrefix(l.src[l.i:], "/*"):
			end := strings.Index(l.src[l.i+2:], "*/")
			if end < 0 {
				return l.errorf("unterminated /* comment")
			}
			l.advance(l.i + 2 + end + 2)
		default:
			return nil
		}
	}
	return nil
}

// advance moves to byte offset j, counting the newlines passed.
func (l *lexer) advance(j int) {
	l.line += strings.Count(l.src[l.i:j], "\n")
	l.i = j
}

// emit appends a token for src[start:l.i] that began on line.
func (l *lexer) emit(kind tokKind, text string, start, line int) {
	l.toks = append(l.toks, token{kind: kind, text: text, line: line, pos: start, end: l.i})
}

// token lexes the token at l.i.
func (l *lexer) token() error {
	start, line := l.i, l.line
	c := l.src[l.i]
	rest := l.src[l.i:]
	switch {
	case strings.HasPrefix(rest, "..."):
		l.i += 3
		l.emit(tokEllipsis, "...", start, line)
	case isDigit(c) || c == '.' && len(rest) > 1 && isDigit(rest[1]):
		l.number()
		l.emit(tokNumber, l.src[start:l.i], start, line)
	case isWordStart(c):
		for l.i < len(l.src) && isWordChar(l.src[l.i]) {
			l.i++
		}
		l.emit(tokWord, l.src[start:l.i], start, line)
	case strings.HasPrefix(rest, "--") && len(rest) > 2 && isWordStart(rest[2]):
		l.i += 2
		for l.i < len(l.src) && !isSpace(l.src[l.i]) {
			l.i++
		}
		l.emit(tokOption, l.src[start+2:l.i], start, line)
	case c == '"':
		return l.str()
	case c == '`':
		end := strings.IndexByte(rest[1:], '`')
		if end < 0 {
			return l.errorf("unterminated backquoted command")
		}
		l.advance(l.i + 1 + end + 1)
		l.emit(tokCommand, rest[1:1+end], start, line)
	case strings.HasPrefix(rest, "%{"):
		end := strings.Index(rest[2:], "}%")
		if end < 0 {
			return l.errorf("unterminated %%{ code block")
		}
		l.advance(l.i + 2 + end + 2)
		l.emit(tokCode, rest[2:2+end], start, line)
	case strings.IndexByte(punctChars, c) >= 0:
		l.i++
		l.emit(tokPunct, string(c), start, line)
	default:
		return l.errorf("unexpected character %q", c)
	}
	return nil
}

// number lexes a decimal integer, a hexadecimal integer (0x...) or a
// decimal fraction (1.5, .25). A dot is part of the number only when a
// digit follows it, so that "0...0.2" is 0, "...", 0.2.
func (l *lexer) number() {
	s := l.src
	if strings.HasPrefix(s[l.i:], "0x") || strings.HasPrefix(s[l.i:], "0X") {
		l.i += 2
		for l.i < len(s) && isHexDigit(s[l.i]) {
			l.i++
		}
		return
	}
	for l.i < len(s) && isDigit(s[l.i]) {
		l.i++
	}
	if l.i+1 < len(s) && s[l.i] == '.' && isDigit(s[l.i+1]) {
		l.i++
		for l.i < len(s) && isDigit(s[l.i]) {
			l.i++
		}
	}
}

// str lexes a double-quoted string; a backslash escapes the next byte.
func (l *lexer) str() error {
	start, line := l.i, l.line
	var b strings.Builder
	for j := l.i + 1; j < len(l.src); j++ {
		switch c := l.src[j]; c {
		case '"':
			l.advance(j + 1)
			l.emit(tokString, b.String(), start, line)
			return nil
		case '\\':
			if j+1 < len(l.src) {
				j++
				switch e := l.src[j]; e {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(e)
				}
			}
		default:
			b.WriteByte(c)
		}
	}
	return l.errorf("unterminated string")
}

func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool  { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isWordStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }
func isWordChar(c byte) bool  { return isWordStart(c) || isDigit(c) }
func isSpace(c byte) bool     { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
