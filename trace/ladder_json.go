package trace

import (
	"encoding/json"
	"io"
)

// LadderJSONVersion is the version of the JSON form WriteJSON writes. It
// changes only when a field changes meaning or goes away; new fields may
// appear without it changing.
const LadderJSONVersion = 1

// WriteJSON writes the layout as one indented JSON object:
//
//	{"version": 1,
//	 "hosts": [{"name": "client", "addr": "10.0.0.1:40000", "initial": "CLOSED"}, {...}],
//	 "rows": [{"time": 0, "side": 0, "kind": "state", "from": "CLOSED", "to": "SYN_SENT",
//	           "cause": "call open", "mark": "enter", "phase": "opening"},
//	          {"time": 0, "side": 0, "kind": "send", "segment": 0}, ...],
//	 "segments": [{"from": 0, "sendRow": 1, "recvRow": 2, "sent": 0, "received": 0.005,
//	               "lost": false, "duplicate": false, "retransmission": false, "droppedBy": "",
//	               "flags": "SYN", "seq": 1000000, "ack": 0, "relSeq": 0, "relAck": 0, "len": 0,
//	               "win": 64240, "winScale": 0, "window": 64240, "options": {...},
//	               "label": "SYN seq=0 win=64240", "optionsText": "<mss 1460,...>"}, ...]}
//
// hosts are the left (side 0) and right (side 1) lifelines; initial, the
// state before the host's first change, is left out when it changed state
// never. rows are the events in time order (time in seconds, exact to the
// nanosecond); kind is "state", "send", "recv", "drop" or "timer". A state
// row has from, to, cause, phase (of to: see Phase) and mark: "enter",
// "jump" (from a state other than the one shown) or "note" (the listener
// changed, not the connection). A send or recv row names its segment by
// index; a drop row has flags and reason, and its segment's index or null;
// a timer row has timer. A segment has the side that sent it, the rows and
// times of its send and arrival (null when lost, or when its sender left no
// event), the header fields as on the wire (seq and ack absolute, relSeq
// and relAck relative to the ISNs, win the raw field, winScale its shift,
// window the scaled window in bytes), options as in the JSON Lines form,
// and the label the diagrams draw.
func (l *Ladder) WriteJSON(w io.Writer) error {
	b, err := json.MarshalIndent(l.jsonForm(), "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ladderJSON is the JSON form of a Ladder.
type ladderJSON struct {
	Version  int           `json:"version"`
	Hosts    [2]hostJSON   `json:"hosts"`
	Rows     []rowJSON     `json:"rows"`
	Segments []segmentJSON `json:"segments"`
}

type hostJSON struct {
	Name    string `json:"name"`
	Addr    string `json:"addr"`
	Initial string `json:"initial,omitempty"`
}

type rowJSON struct {
	Time json.Number `json:"time"`
	Side int         `json:"side"`
	Kind string      `json:"kind"`

	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
	Cause string `json:"cause,omitempty"`
	Mark  string `json:"mark,omitempty"`
	Phase string `json:"phase,omitempty"`

	Timer string `json:"timer,omitempty"`

	// Segment is set for send, recv and drop rows; null for a drop whose
	// segment's arrival the trace does not hold.
	Segment *int   `json:"segment,omitempty"`
	Flags   string `json:"flags,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

type segmentJSON struct {
	From     int          `json:"from"`
	SendRow  *int         `json:"sendRow"`
	RecvRow  *int         `json:"recvRow"`
	Sent     *json.Number `json:"sent"`
	Received *json.Number `json:"received"`

	Lost           bool   `json:"lost"`
	Duplicate      bool   `json:"duplicate"`
	Retransmission bool   `json:"retransmission"`
	DroppedBy      string `json:"droppedBy"`

	Flags    string       `json:"flags"`
	Seq      uint32       `json:"seq"`
	Ack      uint32       `json:"ack"`
	RelSeq   uint32       `json:"relSeq"`
	RelAck   uint32       `json:"relAck"`
	Len      int          `json:"len"`
	Win      uint16       `json:"win"`
	WinScale uint8        `json:"winScale"`
	Window   uint32       `json:"window"`
	Options  *jsonOptions `json:"options,omitempty"`

	Label       string `json:"label"`
	OptionsText string `json:"optionsText,omitempty"`
}

// jsonForm converts the layout to its JSON form.
func (l *Ladder) jsonForm() ladderJSON {
	j := ladderJSON{Version: LadderJSONVersion, Rows: []rowJSON{}, Segments: []segmentJSON{}}
	for side, h := range l.Hosts {
		j.Hosts[side] = hostJSON{Name: h.Name, Addr: h.Addr.String()}
		if h.HasInitial {
			j.Hosts[side].Initial = h.Initial.String()
		}
	}
	for _, r := range l.Rows {
		j.Rows = append(j.Rows, r.jsonForm())
	}
	for _, s := range l.Segments {
		j.Segments = append(j.Segments, s.jsonForm(l))
	}
	return j
}

func (r LadderRow) jsonForm() rowJSON {
	j := rowJSON{Time: json.Number(seconds(r.Time)), Side: r.Side, Kind: r.Kind.String()}
	switch r.Kind {
	case KindState:
		j.From, j.To, j.Cause = r.From.String(), r.To.String(), r.Cause.String()
		j.Mark, j.Phase = r.Mark.String(), Phase(r.To)
	case KindTimer:
		j.Timer = r.Timer.String()
	case KindDrop:
		j.Flags, j.Reason = r.Dropped.Flags.String(), r.Reason
		fallthrough
	default:
		if r.Segment >= 0 {
			j.Segment = &r.Segment
		}
	}
	return j
}

func (s LadderSegment) jsonForm(l *Ladder) segmentJSON {
	seg := s.Segment
	lb := s.label(false)
	j := segmentJSON{
		From: s.From, Lost: s.Lost, Duplicate: s.Duplicate, Retransmission: s.Retransmission,
		DroppedBy: s.DroppedBy, Flags: seg.Flags.String(), Seq: seg.Seq, Ack: seg.Ack,
		RelSeq: seg.Seq - s.SeqBase, RelAck: seg.Ack - s.AckBase, Len: seg.Len,
		Win: seg.Window, WinScale: seg.WindowShift, Window: seg.ScaledWindow(),
		Options: newJSONOptions(seg.Options), Label: lb.head, OptionsText: lb.opts,
	}
	if t, ok := s.Sent(l); ok {
		n := json.Number(seconds(t))
		j.SendRow, j.Sent = &s.SendRow, &n
	}
	if t, ok := s.Received(l); ok {
		n := json.Number(seconds(t))
		j.RecvRow, j.Received = &s.RecvRow, &n
	}
	return j
}
