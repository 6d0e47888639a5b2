package trace

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// JSONLines is a Recorder that writes each event to an io.Writer as one JSON
// object on a line of its own (the JSON Lines format), for tools such as jq:
//
//	{"time":1.005,"host":"server","local":"10.0.0.2:80","remote":"10.0.0.1:40000","kind":"state","from":"LISTEN","to":"SYN_RCVD","cause":"rcv SYN"}
//	{"time":1.005,"host":"server",...,"kind":"send","seq":4294967000,"ack":1000001,"flags":"SYN,ACK","win":65160,"winScale":0,"len":0,"options":{"mss":1460,"sackOK":true,"ts":[5000,1000],"wscale":7}}
//
// Every object has time (seconds, exact to the nanosecond), host and kind,
// and local and remote (ip:port) when known. The other fields depend on the
// kind: from, to and cause for "state"; timer for "timer"; seq, ack, flags,
// win (the header field), winScale (Segment.WindowShift: the window is
// win << winScale bytes), len and options (left out when there are none)
// for "send", "recv" and "drop"; and reason for "drop". Sequence numbers
// are absolute. ReadJSONLines reads the format back.
//
// It is safe for concurrent use. The first write error stops the output and
// is kept for Err.
type JSONLines struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// NewJSONLines returns a JSONLines that writes to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{w: w} }

// Record writes e as one line.
func (j *JSONLines) Record(e Event) {
	line, err := json.Marshal(newJSONEvent(e))
	line = append(line, '\n')
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	if err != nil {
		j.err = err
		return
	}
	_, j.err = j.w.Write(line)
}

// Err returns the first error met while writing, if any.
func (j *JSONLines) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// jsonEvent is the JSON form of an Event. The embedded pointers add their
// fields only for the kinds that have them.
type jsonEvent struct {
	Time   json.Number `json:"time"`
	Host   string      `json:"host"`
	Local  string      `json:"local,omitempty"`
	Remote string      `json:"remote,omitempty"`
	Kind   string      `json:"kind"`
	*jsonState
	Timer string `json:"timer,omitempty"`
	*jsonSegment
	Reason string `json:"reason,omitempty"`
}

// jsonState holds the fields of a state change.
type jsonState struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Cause string `json:"cause"`
}

// jsonSegment holds the fields of a segment.
type jsonSegment struct {
	Seq      uint32       `json:"seq"`
	Ack      uint32       `json:"ack"`
	Flags    string       `json:"flags"`
	Win      uint16       `json:"win"`
	WinScale uint8        `json:"winScale"`
	Len      int          `json:"len"`
	Options  *jsonOptions `json:"options,omitempty"`
}

// jsonOptions holds the TCP options a segment carried.
type jsonOptions struct {
	MSS    *uint16     `json:"mss,omitempty"`
	SackOK bool        `json:"sackOK,omitempty"`
	TS     *[2]uint32  `json:"ts,omitempty"` // [val, ecr]
	WScale *uint8      `json:"wscale,omitempty"`
	SACK   [][2]uint32 `json:"sack,omitempty"` // [left, right] blocks
}

// newJSONEvent converts e to its JSON form.
func newJSONEvent(e Event) jsonEvent {
	j := jsonEvent{
		Time: json.Number(seconds(e.Time)),
		Host: e.Host,
		Kind: e.Kind.String(),
	}
	if e.Local.IsValid() {
		j.Local = e.Local.String()
	}
	if e.Remote.IsValid() {
		j.Remote = e.Remote.String()
	}
	switch e.Kind {
	case KindState:
		j.jsonState = &jsonState{From: e.From.String(), To: e.To.String(), Cause: e.Cause.String()}
	case KindTimer:
		j.Timer = e.Timer.String()
	case KindSend, KindRecv, KindDrop:
		s := e.Segment
		j.jsonSegment = &jsonSegment{Seq: s.Seq, Ack: s.Ack, Flags: s.Flags.String(),
			Win: s.Window, WinScale: s.WindowShift, Len: s.Len, Options: newJSONOptions(s.Options)}
		if e.Kind == KindDrop {
			j.Reason = e.Reason
		}
	}
	return j
}

// newJSONOptions converts o, or returns nil when it holds no option.
func newJSONOptions(o wire.TCPOptions) *jsonOptions {
	var j jsonOptions
	if o.HasMSS {
		j.MSS = &o.MSS
	}
	j.SackOK = o.SACKPermitted
	if o.HasTS {
		j.TS = &[2]uint32{o.TSVal, o.TSEcr}
	}
	if o.HasWScale {
		j.WScale = &o.WScale
	}
	for _, b := range o.SACK[:min(max(o.NumSACK, 0), wire.MaxSACKBlocks)] {
		j.SACK = append(j.SACK, [2]uint32{b.Left, b.Right})
	}
	if j.MSS == nil && !j.SackOK && j.TS == nil && j.WScale == nil && j.SACK == nil {
		return nil
	}
	return &j
}

// seconds renders i as a decimal number of seconds, exact and without
// trailing zeros, e.g. "3.00025" or "60".
func seconds(i clock.Instant) string {
	v, sign := uint64(i), ""
	if i < 0 {
		v, sign = -v, "-"
	}
	s := sign + strconv.FormatUint(v/1e9, 10)
	if frac := v % 1e9; frac != 0 {
		f := strconv.FormatUint(frac, 10)
		s += "." + strings.TrimRight(strings.Repeat("0", 9-len(f))+f, "0")
	}
	return s
}
