package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// maxJSONLine bounds the length of one line ReadJSONLines accepts.
const maxJSONLine = 1 << 20

// ReadJSONLines reads events in the form JSONLines writes, one object per
// line; blank lines are skipped, and so are objects of a kind this version
// does not know, so that a newer trace still renders. Fields it does not
// know are ignored. A malformed line is an error that names its number.
func ReadJSONLines(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxJSONLine)
	var events []Event
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		e, ok, err := parseJSONLine(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		if ok {
			events = append(events, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return events, nil
}

// jsonLine is what a line may hold; pointers tell a field left out from a
// zero.
type jsonLine struct {
	Time   *json.Number `json:"time"`
	Host   *string      `json:"host"`
	Local  string       `json:"local"`
	Remote string       `json:"remote"`
	Kind   *string      `json:"kind"`

	From, To, Cause, Timer string

	Seq, Ack *uint32
	Flags    *string
	Win      *uint16
	WinScale uint8 `json:"winScale"`
	Len      *int
	Options  *jsonOptions
	Reason   string
}

// parseJSONLine decodes one line; ok is false for a kind it does not know.
func parseJSONLine(line []byte) (e Event, ok bool, err error) {
	var j jsonLine
	if err := json.Unmarshal(line, &j); err != nil {
		return e, false, err
	}
	if j.Time == nil || j.Host == nil || j.Kind == nil {
		return e, false, errors.New("want time, host and kind")
	}
	kind, known := parseName(*j.Kind, func(k Kind) string { return k.String() })
	if !known {
		return e, false, nil
	}
	if e.Time, err = parseSeconds(j.Time.String()); err != nil {
		return e, false, err
	}
	e.Host, e.Kind = *j.Host, kind
	if e.Local, err = parseAddrPort("local", j.Local); err != nil {
		return e, false, err
	}
	if e.Remote, err = parseAddrPort("remote", j.Remote); err != nil {
		return e, false, err
	}
	switch kind {
	case KindState:
		err = j.state(&e)
	case KindTimer:
		var ok bool
		if e.Timer, ok = parseName(j.Timer, func(t tcp.Timer) string { return t.String() }); !ok {
			err = fmt.Errorf("timer %q: no such timer", j.Timer)
		}
	default:
		e.Segment, err = j.segment()
		e.Reason = j.Reason
	}
	return e, err == nil, err
}

// state fills the fields of a state change.
func (j *jsonLine) state(e *Event) error {
	var ok bool
	stateName := func(s tcp.State) string { return s.String() }
	if e.From, ok = parseName(j.From, stateName); !ok {
		return fmt.Errorf("from %q: no such state", j.From)
	}
	if e.To, ok = parseName(j.To, stateName); !ok {
		return fmt.Errorf("to %q: no such state", j.To)
	}
	var err error
	e.Cause, err = parseCause(j.Cause)
	return err
}

// segment decodes the fields of a segment.
func (j *jsonLine) segment() (Segment, error) {
	if j.Seq == nil || j.Ack == nil || j.Flags == nil || j.Win == nil || j.Len == nil {
		return Segment{}, errors.New("want seq, ack, flags, win and len")
	}
	if *j.Len < 0 || j.WinScale > 14 {
		return Segment{}, fmt.Errorf("len %d, winScale %d: out of range", *j.Len, j.WinScale)
	}
	flags, err := parseFlags(*j.Flags)
	if err != nil {
		return Segment{}, err
	}
	s := Segment{Seq: *j.Seq, Ack: *j.Ack, Flags: flags, Window: *j.Win, WindowShift: j.WinScale, Len: *j.Len}
	if j.Options != nil {
		if s.Options, err = j.Options.decode(); err != nil {
			return Segment{}, err
		}
	}
	return s, nil
}

// decode converts the JSON form of options back.
func (j *jsonOptions) decode() (wire.TCPOptions, error) {
	var o wire.TCPOptions
	if j.MSS != nil {
		o.MSS, o.HasMSS = *j.MSS, true
	}
	o.SACKPermitted = j.SackOK
	if j.TS != nil {
		o.TSVal, o.TSEcr, o.HasTS = j.TS[0], j.TS[1], true
	}
	if j.WScale != nil {
		o.WScale, o.HasWScale = *j.WScale, true
	}
	if len(j.SACK) > wire.MaxSACKBlocks {
		return o, fmt.Errorf("%d SACK blocks, at most %d fit in a segment", len(j.SACK), wire.MaxSACKBlocks)
	}
	for i, b := range j.SACK {
		o.SACK[i] = wire.SACKBlock{Left: b[0], Right: b[1]}
	}
	o.NumSACK = len(j.SACK)
	return o, nil
}

// parseName finds the value of a small enumeration whose String is name,
// trying values from zero until String gives the enumeration's name for
// unknown values.
func parseName[T ~uint8](name string, str func(T) string) (T, bool) {
	unknown := str(T(255))
	for v := T(0); v < 255; v++ {
		s := str(v)
		if s == unknown {
			break
		}
		if s == name {
			return v, true
		}
	}
	return 0, false
}

// parseFlags reads flags as TCPFlags.String writes them, e.g. "SYN,ACK".
func parseFlags(s string) (wire.TCPFlags, error) {
	if s == wire.TCPFlags(0).String() {
		return 0, nil
	}
	var f wire.TCPFlags
	for name := range strings.SplitSeq(s, ",") {
		bit := wire.TCPFlags(0)
		for i := range 8 {
			if b := wire.TCPFlags(1) << i; b.String() == name {
				bit = b
			}
		}
		if bit == 0 {
			return 0, fmt.Errorf("flags %q: no flag %q", s, name)
		}
		f |= bit
	}
	return f, nil
}

// parseCause reads a cause as tcp.Cause.String writes it, e.g. "rcv FIN,ACK",
// "timer 2msl", "call close", "icmp", and checks that it writes it back so.
func parseCause(s string) (tcp.Cause, error) {
	var c tcp.Cause
	var ok bool
	if rest, found := strings.CutPrefix(s, "rcv "); found {
		f, err := parseFlags(rest)
		c, ok = tcp.Cause{Kind: tcp.CauseSegment, Flags: f}, err == nil
	} else if rest, found := strings.CutPrefix(s, "timer "); found {
		c.Kind = tcp.CauseTimer
		c.Timer, ok = parseName(rest, func(t tcp.Timer) string { return t.String() })
	} else if rest, found := strings.CutPrefix(s, "call "); found {
		c.Kind = tcp.CauseCall
		c.Call, ok = parseName(rest, func(c tcp.Call) string { return c.String() })
	} else {
		c.Kind, ok = parseName(s, func(k tcp.CauseKind) string { return tcp.Cause{Kind: k}.String() })
	}
	if !ok || c.String() != s {
		return tcp.Cause{}, fmt.Errorf("cause %q: not a cause synack records", s)
	}
	return c, nil
}

// parseAddrPort reads an ip:port field, where "" means absent.
func parseAddrPort(field, s string) (netip.AddrPort, error) {
	if s == "" {
		return netip.AddrPort{}, nil
	}
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		return a, fmt.Errorf("%s %q: want ip:port", field, s)
	}
	return a, nil
}

// parseSeconds reads a decimal number of seconds, as seconds writes it,
// exactly: at most nine digits after the point.
func parseSeconds(s string) (clock.Instant, error) {
	bad := fmt.Errorf("time %q: want decimal seconds with at most 9 decimals", s)
	neg := strings.HasPrefix(s, "-")
	whole, frac, _ := strings.Cut(strings.TrimPrefix(s, "-"), ".")
	if whole == "" || len(frac) > 9 || strings.HasPrefix(frac, "+") || strings.HasPrefix(frac, "-") {
		return 0, bad
	}
	w, err := strconv.ParseUint(whole, 10, 64)
	if err != nil {
		return 0, bad
	}
	var f uint64
	if frac != "" {
		if f, err = strconv.ParseUint(frac+strings.Repeat("0", 9-len(frac)), 10, 64); err != nil {
			return 0, bad
		}
	}
	if w > uint64(1<<63)/1e9 {
		return 0, bad
	}
	v := w*1e9 + f
	switch {
	case neg && v <= 1<<63:
		return clock.Instant(-v), nil
	case !neg && v < 1<<63:
		return clock.Instant(v), nil
	}
	return 0, bad
}
