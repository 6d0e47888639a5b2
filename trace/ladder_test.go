package trace

import (
	"bytes"
	"errors"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
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
			for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
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

// TestRenderLadderOneHost draws a connection whose peer left no events: every
// segment the client sent is lost as far as the trace can tell.
func TestRenderLadderOneHost(t *testing.T) {
	events := Segments(lostSYN(), "client", KindSend)
	var b bytes.Buffer
	if err := RenderLadder(&b, events, "client", "server", LadderOptions{ShowDrops: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if n := strings.Count(out, "X (lost)"); n != len(events) {
		t.Errorf("%d lost arrows, want %d:\n%s", n, len(events), out)
	}
	if !strings.Contains(out, serverAddr.String()) {
		t.Errorf("the peer's address is missing from the header:\n%s", out)
	}

	// The same with the silent host on the left.
	var swapped bytes.Buffer
	if err := RenderLadder(&swapped, events, "server", "client", LadderOptions{ShowDrops: true}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(swapped.String(), "X-"); n != len(events) {
		t.Errorf("%d lost arrows, want %d:\n%s", n, len(events), swapped.String())
	}
}

var errWrite = errors.New("write failed")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }
