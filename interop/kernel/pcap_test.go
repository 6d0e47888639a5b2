//go:build linux

package kernel

import (
	"bufio"
	"github.com/synack-net/synack/internal/tsharktest"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/synack-net/synack/link/pcap"
)

// Expert-info severities in tshark's field encoding.
const (
	severityWarn  = 0x600000
	severityError = 0x800000
)

// TestCapture: a pcap file written by synack's tap during a real run —
// connections in both roles with 1 MiB each way and an orderly close, a
// refused SYN each way and an abort — decodes in tshark with no malformed
// packet, no bad IP or TCP checksum, and no expert warning but for the
// resets.
func TestCapture(t *testing.T) {
	tshark := tsharktest.Find(t)
	path := filepath.Join(t.TempDir(), "kernel.pcap")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	buf := bufio.NewWriter(f)
	w, err := pcap.NewWriter(buf)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, envOptions{capture: w})
	for _, r := range roles {
		p := e.connect(r)
		done := make(chan exchanged, 1)
		go func() { done <- exchange(p.kernel, 1<<20, 7) }()
		if x := exchange(p.sy, 1<<20, 8); x.err != nil {
			t.Fatalf("%s: synack: %v", r.name, x.err)
		}
		if x := <-done; x.err != nil {
			t.Fatalf("%s: kernel: %v", r.name, x.err)
		}
		p.kernel.Close()
		p.sy.Close()
	}
	if _, err := e.kernelDial(closedPort); err == nil {
		t.Fatal("kernel connected to a closed port")
	}
	if _, err := e.synackDial(closedPort); err == nil {
		t.Fatal("synack connected to a closed port")
	}
	p := e.connect(roles[0])
	p.sy.SetLinger(0)
	p.sy.Close()
	io.ReadAll(p.kernel)

	e.st.Close() // the capture ends with the stack
	if err := buf.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}

	// Decode every payload as plain data: the random bytes of the test
	// streams would otherwise go to whatever protocol claims the port
	// (5000 is GSM over IP), whose complaints are not about TCP.
	rows := tsharktest.Fields(t, tshark, path, []string{"-d", "tcp.port==1-65535,data"},
		"frame.number", "ip.checksum.status", "tcp.checksum.status",
		"_ws.malformed", "_ws.expert.severity", "_ws.expert.message")
	if len(rows) < 1000 {
		t.Fatalf("tshark decoded %d packets; want the whole run", len(rows))
	}
	bad := 0
	for _, f := range rows {
		problem := f[1] != "1" || f[2] != "1" || f[3] != ""
		msgs := strings.Split(f[5], ",")
		for i, sev := range strings.Split(f[4], ",") {
			n, _ := strconv.ParseInt(sev, 0, 64)
			// A reset is flagged as a warning; the run has some on purpose.
			if n >= severityError || n >= severityWarn && (i >= len(msgs) || msgs[i] != "Connection reset (RST)") {
				problem = true
			}
		}
		if problem && bad < 10 {
			t.Errorf("packet %s: checksums ip %s tcp %s (1 is good), malformed %q, expert %s %q", f[0], f[1], f[2], f[3], f[4], f[5])
		}
		if problem {
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d packets have problems", bad, len(rows))
	}
	t.Logf("tshark decoded %d packets", len(rows))
}
