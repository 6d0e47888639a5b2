package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"

	"golang.org/x/net/html"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// debugPair starts a client (10.0.0.1) and a server (10.0.0.2) on one
// clock, the server listening on port 7 and keeping what it accepts, and
// the server's debug server; everything stops when the test ends.
func debugPair(t *testing.T) (client *synack.Stack, d *debugServer) {
	t.Helper()
	clk := clock.NewReal()
	a, b := pipe.New(1500, 1024)
	start := func(name string, l *pipe.Endpoint, addr string) *synack.Stack {
		s, err := synack.New(synack.Config{Name: name, Clock: clk,
			Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	client, server := start("client", a, "10.0.0.1/24"), start("server", b, "10.0.0.2/24")
	d = newDebugServer(server, clk)
	t.Cleanup(func() { d.Close() })
	ln, err := server.Listen("tcp", "10.0.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	return client, d
}

// get runs one request against h and returns the status and body.
func get(h http.Handler, target string) (int, string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
	return rec.Code, rec.Body.String()
}

// The live view of a server with a listener and one connection: the JSON
// rows, the page with its links, the connection's ladder and state path
// drawn from its events, pprof, and the metrics.
func TestDebugServer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, d := debugPair(t)
		c, err := client.Dial("tcp", "10.0.0.2:7")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("unread"))
		synctest.Wait()
		h := d.handler()
		code, body := get(h, "/api/connections")
		var v struct {
			Host        string    `json:"host"`
			Connections []connRow `json:"connections"`
		}
		if err := json.Unmarshal([]byte(body), &v); code != 200 || err != nil || v.Host != "server" || len(v.Connections) != 2 {
			t.Fatalf("/api/connections: %d, %v:\n%s", code, err, body)
		}
		ln, conn := v.Connections[0], v.Connections[1]
		if ln.State != "LISTEN" || ln.Local != "10.0.0.2:7" || ln.Remote != "" || ln.SendQ != 4096 {
			t.Errorf("listener row %+v", ln)
		}
		if conn.State != "ESTABLISHED" || conn.Local != "10.0.0.2:7" || conn.Remote != c.LocalAddr().String() ||
			conn.RecvQ != 6 || conn.MSS != 1448 || conn.CWnd == 0 {
			t.Errorf("connection row %+v", conn)
		}

		code, body = get(h, "/")
		if _, err := html.Parse(strings.NewReader(body)); code != 200 || err != nil ||
			!strings.Contains(body, `<td class="a ESTABLISHED">ESTABLISHED</td>`) ||
			!strings.Contains(body, `href="/ladder?local=10.0.0.2%3A7&amp;remote=`) {
			t.Errorf("/: %d, %v:\n%s", code, err, body)
		}
		q := "?local=10.0.0.2:7&remote=" + c.LocalAddr().String()
		if code, body := get(h, "/ladder"+q); code != 200 || !strings.Contains(body, "<svg") || !strings.Contains(body, "SYN_RCVD") {
			t.Errorf("/ladder: %d:\n%.300s", code, body)
		}
		if code, body := get(h, "/states"+q); code != 200 {
			t.Errorf("/states: %d", code)
		} else {
			checkSVG(t, "/states", body)
		}
		if code, _ := get(h, "/ladder?local=10.0.0.2:7&remote=10.0.0.9:1"); code != 404 {
			t.Errorf("/ladder of no connection: %d, want 404", code)
		}
		if code, _ := get(h, "/ladder?local=x"); code != 400 {
			t.Errorf("/ladder with a bad query: %d, want 400", code)
		}
		if code, body := get(h, "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
			t.Errorf("/debug/pprof/: %d", code)
		}
		code, body = get(h, "/metrics")
		if code != 200 {
			t.Fatalf("/metrics: %d", code)
		}
		families := checkExposition(t, body)
		fields := 0
		ct := reflect.TypeFor[stack.Counters]()
		for i := range ct.NumField() {
			if ct.Field(i).Type.Kind() == reflect.Uint64 {
				fields++
			}
		}
		// Every counter, the drops by reason and the sockets by state.
		if len(families) != fields+2 || families["synack_tcp_passive_opens_total"] != "counter" ||
			families["synack_tcp_sockets"] != "gauge" {
			t.Errorf("%d metric families for %d counters: %v", len(families), fields, families)
		}
		for _, want := range []string{"synack_tcp_passive_opens_total 1\n", `synack_tcp_sockets{state="ESTABLISHED"} 1` + "\n",
			`synack_tcp_sockets{state="LISTEN"} 1` + "\n", "synack_tcp_curr_estab 1\n"} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics has no line %q", want)
			}
		}
	})
}

// checkExposition parses the Prometheus text format strictly: every
// sample's metric has a HELP and a TYPE line before it, names and labels
// are well formed, values are integers, no family appears twice; it
// returns each family's type.
func checkExposition(t *testing.T, text string) map[string]string {
	t.Helper()
	name := `[a-zA-Z_:][a-zA-Z0-9_:]*`
	helpRE := regexp.MustCompile(`^# HELP (` + name + `) \S.*$`)
	typeRE := regexp.MustCompile(`^# TYPE (` + name + `) (counter|gauge)$`)
	sampleRE := regexp.MustCompile(`^(` + name + `)(\{[a-z_]+="[^"\\\n]*"(,[a-z_]+="[^"\\\n]*")*\})? (\d+)$`)
	types, helped := map[string]string{}, map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case helpRE.MatchString(line):
			m := helpRE.FindStringSubmatch(line)
			if helped[m[1]] {
				t.Errorf("line %d: a second HELP for %s", n, m[1])
			}
			helped[m[1]] = true
		case typeRE.MatchString(line):
			m := typeRE.FindStringSubmatch(line)
			if _, dup := types[m[1]]; dup || !helped[m[1]] {
				t.Errorf("line %d: TYPE of %s twice or before its HELP", n, m[1])
			}
			types[m[1]] = m[2]
		case sampleRE.MatchString(line):
			m := sampleRE.FindStringSubmatch(line)
			typ, ok := types[m[1]]
			if !ok {
				t.Errorf("line %d: sample of %s before its TYPE", n, m[1])
			}
			if strings.HasSuffix(m[1], "_total") != (typ == "counter") {
				t.Errorf("line %d: %s is a %s", n, m[1], typ)
			}
		default:
			t.Errorf("line %d is not in the text format: %q", n, line)
		}
	}
	return types
}

// synack ss reads a debug address: the sockets as a table, -s the
// counters; an address that does not answer is one line and status 1.
func TestSS(t *testing.T) {
	_, d := debugPair(t)
	srv := httptest.NewServer(d.handler())
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	out, errOut, code := runArgs("ss", addr)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || errOut != "" || len(lines) != 2 || !strings.HasPrefix(lines[0], "State") ||
		!regexp.MustCompile(`^LISTEN +0 +4096 +10\.0\.0\.2:7 +\*`).MatchString(lines[1]) {
		t.Errorf("ss: exit status %d, stderr %q:\n%s", code, errOut, out)
	}
	out, _, code = runArgs("ss", "-s", srv.URL)
	if code != 0 || !strings.Contains(out, "0 active connection openings\n") || !strings.HasPrefix(out, "Tcp:\n") {
		t.Errorf("ss -s: exit status %d:\n%s", code, out)
	}
	srv.Close()
	if _, errOut, code := runArgs("ss", addr); code != 1 || strings.Count(errOut, "\n") != 1 {
		t.Errorf("ss of a closed address: exit status %d, stderr %q", code, errOut)
	}
	if _, _, code := runArgs("ss"); code != 2 {
		t.Errorf("ss without an address: exit status %d, want 2", code)
	}
}

// serve's --debug-addr serves the live view on the kernel's loopback and
// --trace writes the stack's events, complete once serve stops.
func TestServeObserve(t *testing.T) {
	clk := clock.NewReal()
	a, _ := pipe.New(1500, 16)
	st, err := synack.New(synack.Config{Name: "synack", Clock: clk,
		Links: []synack.Link{{Link: a, Addrs: []netip.Prefix{netip.MustParsePrefix("10.0.0.2/24")}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	path := filepath.Join(t.TempDir(), "serve.jsonl")
	var stderr strings.Builder
	stop, err := observe("serve", "127.0.0.1:0", path, &netStack{Stack: st, clk: clk}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Listen("tcp", "10.0.0.2:80"); err != nil {
		t.Fatal(err)
	}
	url, ok := strings.CutPrefix(strings.TrimSpace(stderr.String()), "synack serve: live view on ")
	if !ok {
		t.Fatalf("stderr %q", stderr.String())
	}
	resp, err := http.Get(url + "api/connections")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `"local": "10.0.0.2:80"`) {
		t.Errorf("/api/connections over the loopback:\n%s", body)
	}
	stop()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := trace.ReadJSONLines(f)
	if err != nil || len(evs) != 1 || evs[0].To != tcp.Listen || evs[0].Host != "synack" {
		t.Errorf("the trace: %v, %+v; want the one listen", err, evs)
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the live view still answers after stop")
	}
}
