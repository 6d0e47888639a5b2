package drill

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Bounds on what a script may say.
const (
	// maxEvents bounds the timed lines of one script.
	maxEvents = 1 << 16
	// maxScriptTime bounds every time written in a script.
	maxScriptTime = 24 * time.Hour
	// maxDepth bounds the nesting of call arguments.
	maxDepth = 16
)

// ParseFile reads and parses the script at path.
func ParseFile(path string) (*Script, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, string(b))
}

// Parse parses a script. It returns a *ParseError for text that is not in
// the dialect and an *UnsupportedError for dialect the runner does not
// implement (UDP, outbound ICMP and encapsulated packet lines, IP field
// prefixes, AccECN flags, MD5 and Fast Open options).
func Parse(path, src string) (*Script, error) {
	toks, err := lex(path, src)
	if err != nil {
		return nil, err
	}
	p := &parser{path: path, toks: toks}
	s, err := p.script()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parser is a recursive-descent parser over the tokens of one script.
type parser struct {
	path  string
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }

// peekAt returns the token n places ahead (tokEOF past the end).
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(t token, format string, args ...any) error {
	return &ParseError{Path: p.path, Line: t.line, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) unsupported(t token, format string, args ...any) error {
	return &UnsupportedError{Path: p.path, Line: t.line, Reason: fmt.Sprintf(format, args...)}
}

// expect consumes the punctuation c or fails.
func (p *parser) expect(c string, what string) (token, error) {
	t := p.next()
	if !t.is(c) {
		return t, p.errorf(t, "expected %q %s, found %v", c, what, t)
	}
	return t, nil
}

// script := option* [command] event+ [command]
func (p *parser) script() (*Script, error) {
	s := &Script{Path: p.path}
	for p.peek().kind == tokOption {
		t := p.next()
		name, value, _ := strings.Cut(t.text, "=")
		s.Options = append(s.Options, Option{Line: t.line, Name: name, Value: value})
	}
	if t := p.peek(); t.kind == tokCommand {
		p.next()
		s.Init = &Command{Line: t.line, Text: t.text}
	}
	for p.peek().kind != tokEOF {
		t := p.peek()
		if t.kind == tokCommand {
			p.next()
			if p.peek().kind != tokEOF || len(s.Events) == 0 {
				return nil, p.errorf(t, "a command without a time must be the first or the last line")
			}
			s.Cleanup = &Command{Line: t.line, Text: t.text}
			break
		}
		if t.kind == tokOption {
			return nil, p.errorf(t, "option %v after the first event", t)
		}
		if len(s.Events) >= maxEvents {
			return nil, p.errorf(t, "more than %d events", maxEvents)
		}
		ev, err := p.event()
		if err != nil {
			return nil, err
		}
		if err := p.checkOrder(s, ev); err != nil {
			return nil, err
		}
		s.Events = append(s.Events, ev)
	}
	if len(s.Events) == 0 {
		return nil, &ParseError{Path: p.path, Line: p.peek().line, Msg: "no events"}
	}
	return s, nil
}

// checkOrder applies the parse-time rules on event times: the first event
// is at time 0, and absolute times never go backwards.
func (p *parser) checkOrder(s *Script, ev Event) error {
	if len(s.Events) == 0 {
		if ev.Time.Kind != TimeAny && ev.Time.At != 0 {
			return &ParseError{Path: p.path, Line: ev.Line, Msg: "the first event must be at time 0"}
		}
		return nil
	}
	prev := s.Events[len(s.Events)-1]
	if prev.Time.Kind == TimeAbsolute && ev.Time.Kind == TimeAbsolute && ev.Time.At < prev.Time.At {
		return &ParseError{Path: p.path, Line: ev.Line,
			Msg: fmt.Sprintf("time goes backwards from %s to %s", seconds(prev.Time.At), seconds(ev.Time.At))}
	}
	return nil
}

// event := time (packet | syscall | command | code)
func (p *parser) event() (Event, error) {
	start := p.peek()
	tm, err := p.time()
	if err != nil {
		return Event{}, err
	}
	ev := Event{Line: start.line, Time: tm}
	t := p.peek()
	switch {
	case t.is("<") || t.is(">"):
		ev.Kind = EventPacket
		ev.Packet, err = p.packet()
	case t.kind == tokWord && p.peekAt(1).is("("):
		ev.Kind = EventSyscall
		ev.Call, err = p.syscall()
	case t.kind == tokCommand:
		p.next()
		ev.Kind, ev.Text = EventCommand, t.text
	case t.kind == tokCode:
		p.next()
		ev.Kind, ev.Text = EventCode, t.text
	default:
		return ev, p.errorf(t, "expected a packet, a system call, a command or a code block, found %v", t)
	}
	if err != nil {
		return ev, err
	}
	return ev, p.checkTimeForm(start, ev)
}

// checkTimeForm rejects time forms that do not fit the event: ranges and
// "*" are for outbound packets, "A...B" for system calls.
func (p *parser) checkTimeForm(t token, ev Event) error {
	outbound := ev.Kind == EventPacket && ev.Packet.Dir == Outbound
	switch {
	case (ev.Time.HasRange || ev.Time.Kind == TimeAny) && !outbound:
		return p.errorf(t, "a time range or * is allowed only for outbound packets")
	case ev.Time.Blocking && ev.Kind != EventSyscall:
		return p.errorf(t, "a blocking time A...B is allowed only for system calls")
	}
	return nil
}

// time := '*' | ['+'] secs [ '~' ['+'] secs | '...' secs ]
func (p *parser) time() (Time, error) {
	if p.peek().is("*") {
		p.next()
		return Time{Kind: TimeAny}, nil
	}
	var tm Time
	rel := p.peek().is("+")
	if rel {
		p.next()
		tm.Kind = TimeRelative
	}
	var err error
	if tm.At, err = p.seconds(); err != nil {
		return tm, err
	}
	switch t := p.peek(); {
	case t.is("~"):
		p.next()
		if p.peek().is("+") != rel {
			return tm, p.errorf(t, "both ends of a time range must be relative (+) or both absolute")
		}
		if rel {
			p.next()
		}
		if tm.RangeEnd, err = p.seconds(); err != nil {
			return tm, err
		}
		if tm.RangeEnd < tm.At {
			return tm, p.errorf(t, "time range ends before it starts")
		}
		tm.HasRange = true
	case t.kind == tokEllipsis:
		p.next()
		if tm.BlockEnd, err = p.seconds(); err != nil {
			return tm, err
		}
		if tm.BlockEnd < tm.At {
			return tm, p.errorf(t, "blocking call ends before it starts")
		}
		tm.Blocking = true
	}
	return tm, nil
}

// seconds parses a number of seconds exactly (no floating point).
func (p *parser) seconds() (time.Duration, error) {
	t := p.next()
	if t.kind != tokNumber {
		return 0, p.errorf(t, "expected a time in seconds, found %v", t)
	}
	d, ok := parseSeconds(t.text)
	if !ok {
		return 0, p.errorf(t, "bad time %q (at most %v)", t.text, maxScriptTime)
	}
	return d, nil
}

// parseSeconds converts "12", "0.200" or ".1" to a duration, to the
// nanosecond, rejecting anything above maxScriptTime.
func parseSeconds(s string) (time.Duration, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" {
		whole = "0"
	}
	if len(whole) > 6 || strings.HasPrefix(s, "0x") {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	d := time.Duration(w) * time.Second
	scale := time.Duration(100_000_000)
	for i := 0; i < len(frac); i++ {
		if !isDigit(frac[i]) {
			return 0, false
		}
		d += time.Duration(frac[i]-'0') * scale
		scale /= 10
	}
	if d > maxScriptTime {
		return 0, false
	}
	return d, true
}

// number parses an unsigned integer token of at most max.
func (p *parser) number(max uint64, what string) (uint64, error) {
	t := p.next()
	if t.kind != tokNumber {
		return 0, p.errorf(t, "expected %s, found %v", what, t)
	}
	v, err := parseUint(t.text)
	if err != nil || v > max {
		return 0, p.errorf(t, "bad %s %q (at most %d)", what, t.text, max)
	}
	return v, nil
}

// parseUint parses a decimal or 0x-hexadecimal integer.
func parseUint(s string) (uint64, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return strconv.ParseUint(s[2:], 16, 64)
	}
	return strconv.ParseUint(s, 10, 64)
}

// seconds formats a duration in seconds with microseconds, as packetdrill
// prints times: "0.200000".
func seconds(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	us := d / time.Microsecond
	return fmt.Sprintf("%s%d.%06d", sign, us/1e6, us%1e6)
}

// maxUint32 is the largest 32-bit value, for sequence numbers and fields.
const maxUint32 = math.MaxUint32
