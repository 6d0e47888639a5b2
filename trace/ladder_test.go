package trace

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files from the current output")

func TestRenderLadderGolden(t *testing.T) {
	all := LadderOptions{ShowTimers: true, ShowDrops: true}
	cases := []struct {
		name        string
		events      []Event
		left, right string
		opt         LadderOptions
	}{
		{"handshake_data_close", handshakeDataClose(), "client", "server", all},
		{"handshake_data_close_absolute", handshakeDataClose(), "client", "server", LadderOptions{Absolute: true}},
		{"server_on_the_left", handshakeDataClose(), "server", "client", LadderOptions{}},
		{"lost_syn", lostSYN(), "client", "server", all},
		{"lost_syn_quiet", lostSYN(), "client", "server", LadderOptions{}},
		{"simultaneous_open", simultaneousOpen(), "alice", "bob", all},
		{"refused_rst", refused(), "client", "server", all},
		{"listener_and_strays", listenerAndStrays(), "client", "server", all},
		{"faults_narrow", faults(), "client", "server", LadderOptions{Width: 80, ShowTimers: true, ShowDrops: true}},
		{"faults_color", faults(), "client", "server", LadderOptions{ShowTimers: true, ShowDrops: true, Color: true}},
		{"handshake_data_close_color", handshakeDataClose(), "client", "server", LadderOptions{Color: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := RenderLadder(&b, c.events, c.left, c.right, c.opt); err != nil {
				t.Fatal(err)
			}
			width := c.opt.Width
			if width == 0 {
				width = defaultLadderWidth
			}
			for i, line := range strings.Split(strings.TrimSuffix(stripANSI(b.String()), "\n"), "\n") {
				if len(line) > width {
					t.Errorf("line %d is %d columns wide, more than %d: %q", i+1, len(line), width, line)
				}
			}
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./trace -update to create it)", err)
			}
			if got := b.String(); got != string(want) {
				t.Errorf("ladder differs from %s (run with -update after checking it):\n%s", path, got)
			}
		})
	}
}

// TestRenderLadderIgnoresOtherTraffic checks that events of other hosts and
// of other connections of the same hosts leave the diagram unchanged.
func TestRenderLadderIgnoresOtherTraffic(t *testing.T) {
	var want bytes.Buffer
	if err := RenderLadder(&want, handshakeDataClose(), "client", "server", LadderOptions{}); err != nil {
		t.Fatal(err)
	}
	events := handshakeDataClose()
	other := netip.MustParseAddrPort("10.0.0.1:40001")
	noise := []Event{
		{Time: usec(1_012_000), Host: "client", Local: other, Remote: serverAddr, Kind: KindSend,
			Segment: Segment{Seq: 7, Flags: wire.FlagSYN, Window: 1000}},
		{Time: usec(1_012_000), Host: "client", Local: other, Remote: serverAddr, Kind: KindState,
			From: tcp.Closed, To: tcp.SynSent, Cause: call(tcp.CallOpen)},
		{Time: usec(1_013_000), Host: "server", Local: serverAddr, Remote: other, Kind: KindRecv,
			Segment: Segment{Seq: 7, Flags: wire.FlagSYN, Window: 1000}},
		{Time: usec(1_013_000), Host: "router", Local: serverAddr, Remote: clientAddr, Kind: KindDrop,
			Segment: Segment{Seq: 9}, Reason: "ttl"},
	}
	events = append(events[:10:10], append(noise, events[10:]...)...)
	var got bytes.Buffer
	if err := RenderLadder(&got, events, "client", "server", LadderOptions{}); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("other traffic changed the diagram:\n%s", got.String())
	}
}

func TestRenderLadderSortsByTime(t *testing.T) {
	var want bytes.Buffer
	if err := RenderLadder(&want, lostSYN(), "client", "server", LadderOptions{}); err != nil {
		t.Fatal(err)
	}
	// Each host's events are in order, but the hosts' logs are concatenated.
	var events []Event
	for _, host := range []string{"server", "client"} {
		events = append(events, Segments(lostSYN(), host, KindState)...)
		events = append(events, Segments(lostSYN(), host, KindSend)...)
		events = append(events, Segments(lostSYN(), host, KindRecv)...)
	}
	var got bytes.Buffer
	if err := RenderLadder(&got, events, "client", "server", LadderOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(got.String(), "ESTABLISHED") || strings.Count(got.String(), "SYN seq=0") != 1 {
		t.Errorf("unexpected diagram:\n%s", got.String())
	}
}

func TestRenderLadderErrors(t *testing.T) {
	var b bytes.Buffer
	if err := RenderLadder(&b, handshakeDataClose(), "client", "client", LadderOptions{}); err == nil {
		t.Error("same host on both sides: no error")
	}
	if err := RenderLadder(&b, handshakeDataClose(), "alice", "bob", LadderOptions{}); err == nil {
		t.Error("hosts absent from the events: no error")
	}
	if err := RenderLadder(&b, nil, "client", "server", LadderOptions{}); err == nil {
		t.Error("no events: no error")
	}
	err := RenderLadder(&b, handshakeDataClose(), "client", "server", LadderOptions{Width: 60})
	if !errors.Is(err, errNarrow) {
		t.Errorf("width 60: got %v, want errNarrow", err)
	}
	if b.Len() != 0 {
		t.Errorf("failed renders wrote %q", b.String())
	}
	if err := RenderLadder(failingWriter{}, handshakeDataClose(), "client", "server", LadderOptions{}); !errors.Is(err, errWrite) {
		t.Errorf("failing writer: got %v, want %v", err, errWrite)
	}
}

// TestRenderLadderOneHost draws a connection whose peer left no events (a
// trace of one host, as serve --trace records): the trace cannot tell
// whether a segment the client sent arrived, so none is drawn lost; each
// arrow reaches the peer's lifeline.
func TestRenderLadderOneHost(t *testing.T) {
	events := Segments(lostSYN(), "client", KindSend)
	var b bytes.Buffer
	if err := RenderLadder(&b, events, "client", "server", LadderOptions{ShowDrops: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n, full := strings.Count(out, "(lost)"), strings.Count(out, "->|"); n != 0 || full != len(events) {
		t.Errorf("%d lost arrows and %d whole ones, want 0 and %d:\n%s", n, full, len(events), out)
	}
	if !strings.Contains(out, serverAddr.String()) {
		t.Errorf("the peer's address is missing from the header:\n%s", out)
	}

	// The same with the silent host on the left.
	var swapped bytes.Buffer
	if err := RenderLadder(&swapped, events, "server", "client", LadderOptions{ShowDrops: true}); err != nil {
		t.Fatal(err)
	}
	if n, full := strings.Count(swapped.String(), "(lost)"), strings.Count(swapped.String(), "|<-"); n != 0 || full != len(events) {
		t.Errorf("%d lost arrows and %d whole ones, want 0 and %d:\n%s", n, full, len(events), swapped.String())
	}
	l, err := NewLadder(events, "client", "server")
	if err != nil {
		t.Fatal(err)
	}
	var svg bytes.Buffer
	if err := l.WriteSVG(&svg, SVGOptions{}); err != nil || strings.Contains(svg.String(), `class="x"`) ||
		strings.Count(svg.String(), "arrival unknown") != len(events) {
		t.Errorf("the SVG: %v, or an arrow drawn lost, or not said unknown", err)
	}
}

var errWrite = errors.New("write failed")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

// ansiEscape matches the escape sequences of a colour ladder.
var ansiEscape = regexp.MustCompile("\x1b\\[[0-9;]*m")

// stripANSI removes the colour from a text ladder.
func stripANSI(s string) string { return ansiEscape.ReplaceAllString(s, "") }

// TestRenderLadderColor: the colour changes no character and no column,
// colours the states by phase and the faults by kind, and leaves no line
// in colour.
func TestRenderLadderColor(t *testing.T) {
	opt := LadderOptions{ShowTimers: true, ShowDrops: true}
	var plain, color bytes.Buffer
	if err := RenderLadder(&plain, faults(), "client", "server", opt); err != nil {
		t.Fatal(err)
	}
	opt.Color = true
	if err := RenderLadder(&color, faults(), "client", "server", opt); err != nil {
		t.Fatal(err)
	}
	if stripANSI(color.String()) != plain.String() {
		t.Errorf("without its escapes the colour ladder differs:\n%s", stripANSI(color.String()))
	}
	for _, want := range []string{
		"\x1b[0;1;34mSYN_SENT", "\x1b[0;1;32mESTABLISHED", // opening blue, established green
		"\x1b[0;31m-------------------------------X (lost)",                   // lost red
		"\x1b[0;35m---------- PSH,ACK seq=1:101(100) ack=1 win=502 (dup) ---", // duplicate magenta
		"\x1b[0;33m", "\x1b[0;36mtimer retransmit fired", "\x1b[0;31mdropped ACK: bad-checksum",
	} {
		if !strings.Contains(color.String(), want) {
			t.Errorf("colour ladder lacks %q:\n%s", want, color.String())
		}
	}
	for i, line := range strings.Split(color.String(), "\n") {
		if k := strings.LastIndex(line, "\x1b["); k >= 0 && !strings.HasPrefix(line[k:], "\x1b[0m") {
			t.Errorf("line %d ends in colour: %q", i+1, line)
		}
	}
}

// TestNewLadderFaults checks the layout of the faults scenario: each
// segment's arrow, and the lost, duplicate, retransmitted and dropped ones.
func TestNewLadderFaults(t *testing.T) {
	l, err := NewLadder(faults(), "client", "server")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Rows) != len(faults()) {
		t.Errorf("%d rows for %d events", len(l.Rows), len(faults()))
	}
	var lost, dup, retx, dropped []string
	for i, s := range l.Segments {
		lb := s.label(false).head
		if s.SendRow >= 0 && l.Rows[s.SendRow].Segment != i && !s.Duplicate {
			t.Errorf("segment %d (%s): its send row points to segment %d", i, lb, l.Rows[s.SendRow].Segment)
		}
		if s.RecvRow >= 0 && l.Rows[s.RecvRow].Segment != i {
			t.Errorf("segment %d (%s): its receive row points to segment %d", i, lb, l.Rows[s.RecvRow].Segment)
		}
		if sent, ok := s.Sent(l); ok {
			if recv, ok := s.Received(l); ok && recv < sent {
				t.Errorf("segment %d (%s) arrives at %v, before it left at %v", i, lb, recv, sent)
			}
		}
		if s.Lost != (s.RecvRow < 0) {
			t.Errorf("segment %d (%s): lost %v with receive row %d", i, lb, s.Lost, s.RecvRow)
		}
		for _, c := range []struct {
			on   bool
			list *[]string
		}{{s.Lost, &lost}, {s.Duplicate, &dup}, {s.Retransmission, &retx}, {s.DroppedBy != "", &dropped}} {
			if c.on {
				*c.list = append(*c.list, lb)
			}
		}
	}
	want := [][]string{
		{"PSH,ACK seq=101:201(100) ack=1 win=502"},
		{"PSH,ACK seq=1:101(100) ack=1 win=502 (dup)"},
		{"PSH,ACK seq=101:201(100) ack=1 win=502 (retransmission)"},
		{"ACK seq=1 ack=301 win=501"},
	}
	for i, got := range [][]string{lost, dup, retx, dropped} {
		if !slices.Equal(got, want[i]) {
			t.Errorf("%s: %q, want %q", []string{"lost", "dup", "retransmission", "dropped"}[i], got, want[i])
		}
	}
	if l.Hosts[0].Initial != tcp.Closed || !l.Hosts[1].HasInitial || l.Hosts[1].Addr != serverAddr {
		t.Errorf("hosts %+v", l.Hosts)
	}
}

func TestSequenceSentRetransmits(t *testing.T) {
	var q sequenceSent
	steps := []struct {
		seg  Segment
		want bool
	}{
		{Segment{Seq: 100, Flags: wire.FlagSYN}, false},
		{Segment{Seq: 100, Flags: wire.FlagSYN}, true},                                // the SYN again
		{Segment{Seq: 100, Ack: 7, Flags: wire.FlagSYN | wire.FlagACK}, false},        // simultaneous open
		{Segment{Seq: 101, Flags: wire.FlagACK}, false},                               // takes no space
		{Segment{Seq: 101, Flags: wire.FlagACK, Len: 10}, false},                      // new data
		{Segment{Seq: 111, Flags: wire.FlagACK, Len: 10}, false},                      // new data
		{Segment{Seq: 101, Flags: wire.FlagACK, Len: 20}, true},                       // all of it again
		{Segment{Seq: 120, Flags: wire.FlagACK, Len: 5}, true},                        // overlaps the end
		{Segment{Seq: 125, Flags: wire.FlagFIN | wire.FlagACK}, false},                // the FIN
		{Segment{Seq: 125, Flags: wire.FlagFIN | wire.FlagACK}, true},                 // the FIN again
		{Segment{Seq: 4294967295, Flags: wire.FlagSYN}, false},                        // a new incarnation
		{Segment{Seq: 0, Flags: wire.FlagACK, Len: 1}, false},                         // data across the wrap
		{Segment{Seq: 4294967295, Flags: wire.FlagSYN | wire.FlagACK, Ack: 1}, false}, // its own SYN,ACK
	}
	for i, s := range steps {
		if got := q.retransmits(s.seg); got != s.want {
			t.Errorf("step %d (%v seq %d len %d): retransmission %v, want %v", i, s.seg.Flags, s.seg.Seq, s.seg.Len, got, s.want)
		}
	}
}
