package trace

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// TestReadJSONLinesRoundTrip writes every hand-built scenario and reads it
// back: the events must come back exactly.
func TestReadJSONLinesRoundTrip(t *testing.T) {
	var all []Event
	for _, evs := range [][]Event{handshakeDataClose(), lostSYN(), simultaneousOpen(), refused(),
		faults(), listenerAndStrays()} {
		all = append(all, evs...)
	}
	// Every cause, timer and flag the format can carry.
	for k := tcp.CauseSegment; k <= tcp.CauseLimit; k++ {
		all = append(all, Event{Time: 7, Host: "h", Kind: KindState, From: tcp.TimeWait, To: tcp.Closed,
			Cause: tcp.Cause{Kind: k}})
	}
	for tm := tcp.TimerRetransmit; tm <= tcp.TimerUser; tm++ {
		all = append(all, Event{Time: -3, Host: "h", Kind: KindTimer, Timer: tm},
			Event{Time: 9, Host: "h", Kind: KindState, From: tcp.Established, To: tcp.Closed, Cause: fired(tm)})
	}
	for c := tcp.CallOpen; c <= tcp.CallAbort; c++ {
		all = append(all, Event{Host: "h", Kind: KindState, Cause: call(c)})
	}
	all = append(all, Event{Time: clock.Instant(-1 << 63), Host: "h", Kind: KindDrop, Reason: "x",
		Segment: Segment{Flags: 0xff, Window: 1, WindowShift: 14, Len: 3}})

	var b bytes.Buffer
	j := NewJSONLines(&b)
	for _, e := range all {
		j.Record(e)
	}
	got, err := ReadJSONLines(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(all) {
		t.Fatalf("read %d events, wrote %d", len(got), len(all))
	}
	for i := range all {
		if !reflect.DeepEqual(got[i], all[i]) {
			t.Errorf("event %d: read %+v, wrote %+v", i, got[i], all[i])
		}
	}
}

func TestReadJSONLinesSkips(t *testing.T) {
	in := "\n" +
		`{"time":1,"host":"a","kind":"icmp","code":3}` + "\n" + // a kind from a newer version
		`{"time":2,"host":"a","kind":"timer","timer":"keepalive","extra":true}` + "\n\n"
	got, err := ReadJSONLines(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{{Time: 2e9, Host: "a", Kind: KindTimer, Timer: tcp.TimerKeepalive}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestReadJSONLinesErrors(t *testing.T) {
	seg := `"seq":1,"ack":0,"win":0,"len":0`
	cases := []struct{ line, want string }{
		{`{"time":1,"host":"a"`, "line 2: unexpected end of JSON input"},
		{`[1]`, "line 2: json: cannot unmarshal"},
		{`{"host":"a","kind":"timer","timer":"keepalive"}`, "line 2: want time, host and kind"},
		{`{"time":"x","host":"a","kind":"timer","timer":"keepalive"}`, "invalid number"},
		{`{"time":1e3,"host":"a","kind":"timer","timer":"keepalive"}`, `line 2: time "1e3"`},
		{`{"time":0.0000000001,"host":"a","kind":"timer","timer":"keepalive"}`, "at most 9 decimals"},
		{`{"time":9223372037,"host":"a","kind":"timer","timer":"keepalive"}`, `time "9223372037"`},
		{`{"time":1,"host":"a","kind":"timer","timer":"egg"}`, `timer "egg": no such timer`},
		{`{"time":1,"host":"a","kind":"state","from":"OPEN","to":"CLOSED","cause":"icmp"}`, `from "OPEN"`},
		{`{"time":1,"host":"a","kind":"state","from":"LISTEN","to":"X","cause":"icmp"}`, `to "X"`},
		{`{"time":1,"host":"a","kind":"state","from":"LISTEN","to":"CLOSED","cause":"rcv SIN"}`, `cause "rcv SIN"`},
		{`{"time":1,"host":"a","kind":"state","from":"LISTEN","to":"CLOSED","cause":"call  close"}`, `cause "call  close"`},
		{`{"time":1,"host":"a","local":"10.0.0.1","kind":"timer","timer":"2msl"}`, `local "10.0.0.1": want ip:port`},
		{`{"time":1,"host":"a","remote":"x:1","kind":"timer","timer":"2msl"}`, `remote "x:1"`},
		{`{"time":1,"host":"a","kind":"send","flags":"SYN","seq":1}`, "want seq, ack, flags, win and len"},
		{`{"time":1,"host":"a","kind":"send","flags":"SYN,FOO",` + seg + `}`, `flags "SYN,FOO": no flag "FOO"`},
		{`{"time":1,"host":"a","kind":"send","flags":"SYN","winScale":15,` + seg + `}`, "out of range"},
		{`{"time":1,"host":"a","kind":"recv","flags":"ACK","options":{"sack":[[1,2],[3,4],[5,6],[7,8],[9,10]]},` +
			seg + `}`, "5 SACK blocks"},
	}
	for _, c := range cases {
		_, err := ReadJSONLines(strings.NewReader(`{"time":0,"host":"a","kind":"timer","timer":"2msl"}` + "\n" + c.line))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one with %q", c.line, err, c.want)
		}
	}
	long := strings.Repeat(" ", maxJSONLine+1)
	if _, err := ReadJSONLines(strings.NewReader(long)); err == nil {
		t.Error("a line longer than the limit: no error")
	}
}

func TestParseSecondsInvertsSeconds(t *testing.T) {
	for _, i := range []clock.Instant{0, 1, 999_999_999, 1e9, 3_000_250_000, -1_500_000_000,
		clock.Instant(1<<63 - 1), clock.Instant(-1 << 63)} {
		got, err := parseSeconds(seconds(i))
		if err != nil || got != i {
			t.Errorf("parseSeconds(%q) = %d, %v; want %d", seconds(i), got, err, i)
		}
	}
	if _, err := parseSeconds("9223372036.854775808"); err == nil {
		t.Error("one past the largest instant: no error")
	}
	if got, err := parseSeconds("1.5"); err != nil || got != 1_500_000_000 {
		t.Errorf("parseSeconds(1.5) = %d, %v", got, err)
	}
}

// TestParseFlagsAll reads back every combination of flags.
func TestParseFlagsAll(t *testing.T) {
	for f := range 256 {
		got, err := parseFlags(wire.TCPFlags(f).String())
		if err != nil || got != wire.TCPFlags(f) {
			t.Errorf("parseFlags(%q) = %v, %v", wire.TCPFlags(f).String(), got, err)
		}
	}
}
