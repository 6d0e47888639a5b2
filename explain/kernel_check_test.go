//go:build linux

package explain

import (
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// saveEnv names a directory where TestKernelCaptures copies its captures,
// named after the scenarios (to refresh testdata/ and the fuzz corpus).
const saveEnv = "SYNACK_EXPLAIN_SAVE"

// saveCapture copies the capture at path to $SYNACK_EXPLAIN_SAVE, if set.
func saveCapture(t *testing.T, path, name string) {
	dir := os.Getenv(saveEnv)
	if dir == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "kernel-"+strings.ReplaceAll(name, " ", "-")+".pcap"), b, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// checkKernelConnection checks c against what tc expects.
func checkKernelConnection(t *testing.T, k *kernelNet, c *Connection, tc kernelCase, clientAddr netip.AddrPort) {
	t.Helper()
	cl, sv := c.Endpoints[0], c.Endpoints[1]
	if clientAddr.IsValid() && cl.Addr != clientAddr {
		t.Fatalf("first endpoint %s, want the client %s", cl.Addr, clientAddr)
	}
	if got := statesString(cl); got != tc.client {
		t.Errorf("client states %s, want %s", got, tc.client)
	}
	if got := statesString(sv); got != tc.server {
		t.Errorf("server states %s, want %s", got, tc.server)
	}
	r := strings.NewReplacer("%C", regexp.QuoteMeta(cl.Addr.String()), "%S", regexp.QuoteMeta(sv.Addr.String()))
	checkVerdicts(t, conversationVerdicts(t, c), tc.verdicts, tc.optional, r)
	if tc.ss {
		last := func(e Endpoint) string { return e.States[len(e.States)-1].String() }
		if s := k.ssState(k.client, cl.Addr, sv.Addr); s != last(cl) {
			t.Errorf("ss shows the client in %s, the capture ends with it in %s", s, last(cl))
		}
		if s := k.ssState(k.server, sv.Addr, cl.Addr); s != last(sv) {
			t.Errorf("ss shows the server in %s, the capture ends with it in %s", s, last(sv))
		}
	}
	checkLadder(t, c)
	if t.Failed() {
		var b strings.Builder
		rep := &Report{Connections: []*Connection{c}}
		rep.WriteText(&b, tc.name, TextOptions{Width: 120})
		t.Log(b.String())
	}
}

// checkVerdicts checks that got has a verdict matching each of the
// patterns required, in that order, and that every other one matches one
// of the optional patterns. r replaces the address placeholders.
func checkVerdicts(t *testing.T, got, required, optional []string, r *strings.Replacer) {
	t.Helper()
	match := func(pat, v string) bool { return regexp.MustCompile("^" + r.Replace(pat) + "$").MatchString(v) }
	next := 0
	for _, v := range got {
		if next < len(required) && match(required[next], v) {
			next++
			continue
		}
		if !slices.ContainsFunc(optional, func(pat string) bool { return match(pat, v) }) {
			t.Errorf("unexpected verdict %q", v)
		}
	}
	if next < len(required) {
		t.Errorf("no verdict matches %q (verdicts: %q)", r.Replace(required[next]), got)
	}
}

// captureVerdicts match the verdicts about the capture rather than the
// conversation: their figures depend on the host's offload settings.
var captureVerdicts = regexp.MustCompile(`^(checksums not verified \(offloaded\): \d+ of \d+ segments carry a wrong TCP checksum, from .*; not rejected|segments larger than the MSS \(TSO/GRO\): \d+ from .*, up to \d+ bytes \(MSS \d+\)|\d+ segments? cut by the capture's snapshot length)$`)

// conversationVerdicts returns c's verdicts but those about the capture,
// which must be well-formed.
func conversationVerdicts(t *testing.T, c *Connection) []string {
	var out []string
	for _, v := range c.Verdicts {
		if strings.HasPrefix(v, "checksums not verified") || strings.HasPrefix(v, "segments larger than the MSS") || strings.Contains(v, "snapshot length") {
			if !captureVerdicts.MatchString(v) {
				t.Errorf("malformed verdict %q", v)
			}
			continue
		}
		out = append(out, v)
	}
	return out
}

// readAll reads c to EOF or an error and returns the count.
func readAll(c *net.TCPConn) int {
	n, _ := io.Copy(io.Discard, c)
	return int(n)
}

// localOf is the local address of c.
func localOf(c *net.TCPConn) netip.AddrPort {
	a := c.LocalAddr().(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(a.Addr().Unmap(), a.Port())
}
