package trace

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// decodedEvent is what a consumer of the JSON lines would decode them into.
type decodedEvent struct {
	Time    float64         `json:"time"`
	Host    string          `json:"host"`
	Local   string          `json:"local"`
	Remote  string          `json:"remote"`
	Kind    string          `json:"kind"`
	From    string          `json:"from"`
	To      string          `json:"to"`
	Cause   string          `json:"cause"`
	Timer   string          `json:"timer"`
	Seq     *uint32         `json:"seq"`
	Ack     *uint32         `json:"ack"`
	Flags   string          `json:"flags"`
	Win     *uint16         `json:"win"`
	Scale   *uint8          `json:"winScale"`
	Len     *int            `json:"len"`
	Options json.RawMessage `json:"options"`
	Reason  string          `json:"reason"`
}

func TestJSONLinesDecode(t *testing.T) {
	events := append(handshakeDataClose(), faults()...)
	var b bytes.Buffer
	j := NewJSONLines(&b)
	for _, e := range events {
		j.Record(e)
	}
	if err := j.Err(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&b)
	i := 0
	for ; sc.Scan(); i++ {
		if i >= len(events) {
			t.Fatalf("more lines than events: %s", sc.Text())
		}
		e := events[i]
		var d decodedEvent
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, sc.Text())
		}
		if d.Time != float64(e.Time)/1e9 || d.Host != e.Host || d.Kind != e.Kind.String() || d.Local != e.Local.String() {
			t.Errorf("line %d: common fields wrong: %s", i+1, sc.Text())
		}
		if e.Remote.IsValid() != (d.Remote != "") {
			t.Errorf("line %d: remote %q for %v", i+1, d.Remote, e.Remote)
		}
		isState, isSeg := e.Kind == KindState, e.Kind == KindSend || e.Kind == KindRecv || e.Kind == KindDrop
		if isState != (d.From != "" && d.To != "" && d.Cause != "") {
			t.Errorf("line %d: state fields wrong: %s", i+1, sc.Text())
		}
		if isState && (d.From != e.From.String() || d.To != e.To.String() || d.Cause != e.Cause.String()) {
			t.Errorf("line %d: state %s -> %s (%s), want %v -> %v (%v)", i+1, d.From, d.To, d.Cause, e.From, e.To, e.Cause)
		}
		if (e.Kind == KindTimer) != (d.Timer != "") || (e.Kind == KindTimer && d.Timer != e.Timer.String()) {
			t.Errorf("line %d: timer %q, want %v", i+1, d.Timer, e.Timer)
		}
		if isSeg != (d.Seq != nil && d.Ack != nil && d.Win != nil && d.Scale != nil && d.Len != nil && d.Flags != "") {
			t.Errorf("line %d: segment fields wrong: %s", i+1, sc.Text())
		}
		if isSeg {
			s := e.Segment
			if *d.Seq != s.Seq || *d.Ack != s.Ack || *d.Win != s.Window || *d.Scale != s.WindowShift ||
				*d.Len != s.Len || d.Flags != s.Flags.String() {
				t.Errorf("line %d: segment %s, want %+v", i+1, sc.Text(), s)
			}
			if (d.Options == nil) != (s.Options == wire.TCPOptions{}) {
				t.Errorf("line %d: options %s for %+v", i+1, d.Options, s.Options)
			}
		}
		if d.Reason != e.Reason {
			t.Errorf("line %d: reason %q, want %q", i+1, d.Reason, e.Reason)
		}
	}
	if i != len(events) {
		t.Errorf("%d lines for %d events", i, len(events))
	}
}

func TestJSONLinesOptions(t *testing.T) {
	o := synOptions(7, 0)
	o.WScale = 0 // a zero shift is still an option
	o.NumSACK = 2
	o.SACK[0] = wire.SACKBlock{Left: 1, Right: 2}
	o.SACK[1] = wire.SACKBlock{Left: 3, Right: 4}
	o.SACK[2] = wire.SACKBlock{Left: 5, Right: 6} // beyond NumSACK: unused
	var b bytes.Buffer
	NewJSONLines(&b).Record(Event{Kind: KindSend, Segment: Segment{Flags: wire.FlagSYN, Options: o}})
	var d struct {
		Options map[string]any `json:"options"`
	}
	if err := json.Unmarshal(b.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"mss": 1460.0, "sackOK": true, "ts": []any{7.0, 0.0}, "wscale": 0.0,
		"sack": []any{[]any{1.0, 2.0}, []any{3.0, 4.0}},
	}
	if !reflect.DeepEqual(d.Options, want) {
		t.Errorf("options = %v, want %v", d.Options, want)
	}
}

func TestJSONLinesLine(t *testing.T) {
	var b bytes.Buffer
	j := NewJSONLines(&b)
	j.Record(Segments(refused(), "server", KindDrop)[0])
	j.Record(Segments(refused(), "server", KindSend)[0])
	want := `{"time":0.005,"host":"server","local":"10.0.0.2:80","remote":"10.0.0.1:40000",` +
		`"kind":"drop","seq":1000000,"ack":0,"flags":"SYN","win":64240,"winScale":0,"len":0,` +
		`"options":{"mss":1460,"sackOK":true,"ts":[100,0],"wscale":7},"reason":"no-socket"}` + "\n" +
		`{"time":0.005,"host":"server","local":"10.0.0.2:80","remote":"10.0.0.1:40000",` +
		`"kind":"send","seq":0,"ack":1000001,"flags":"RST,ACK","win":0,"winScale":0,"len":0}` + "\n"
	if b.String() != want {
		t.Errorf("got  %s\nwant %s", b.String(), want)
	}
}

func TestJSONLinesWriteError(t *testing.T) {
	j := NewJSONLines(failingWriter{})
	j.Record(Event{})
	j.Record(Event{})
	if !errors.Is(j.Err(), errWrite) {
		t.Errorf("Err() = %v, want %v", j.Err(), errWrite)
	}
}

func TestSeconds(t *testing.T) {
	cases := []struct {
		i    clock.Instant
		want string
	}{
		{0, "0"},
		{60_000_000_000, "60"},
		{3_000_250_000, "3.00025"},
		{1, "0.000000001"},
		{-1_500_000_000, "-1.5"},
		{clock.Instant(-1 << 63), "-9223372036.854775808"},
	}
	for _, c := range cases {
		if got := seconds(c.i); got != c.want {
			t.Errorf("seconds(%d) = %q, want %q", c.i, got, c.want)
		}
	}
}
