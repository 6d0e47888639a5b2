package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// A small client of the Chrome DevTools Protocol
// (https://chromedevtools.github.io/devtools-protocol/), enough to open a
// page in headless Chromium, look at its DOM, move and click the mouse,
// and take a screenshot, while collecting what the page logs and fetches.

// browser is a headless Chromium the test started, and its one page.
type browser struct {
	cmd     *exec.Cmd
	page    *cdpConn
	control string // the browser's own DevTools endpoint
	exited  chan struct{}
}

// chromiumFlags are the flags of a quiet, headless browser with a fresh
// profile, which fetches nothing on its own.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
	"--disable-component-update", "--disable-sync", "--no-first-run",
	"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
	"--remote-allow-origins=http://127.0.0.1",
}

// devToolsLine is the line Chromium writes to stderr when it listens.
var devToolsLine = regexp.MustCompile(`DevTools listening on (ws://127\.0\.0\.1:(\d+)/\S+)`)

// startBrowser starts Chromium at path and connects to its page.
func startBrowser(t *testing.T, ctx context.Context, path string) *browser {
	t.Helper()
	args := append(append([]string{}, chromiumFlags...), "--user-data-dir="+t.TempDir(), "about:blank")
	cmd := exec.Command(path, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b := &browser{cmd: cmd, exited: make(chan struct{})}
	t.Cleanup(b.stop)
	listening := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devToolsLine.FindStringSubmatch(sc.Text()); m != nil {
				listening <- m
				break
			}
		}
		io.Copy(io.Discard, stderr) // keep the pipe drained
		cmd.Wait()
		close(b.exited)
	}()
	select {
	case m := <-listening:
		b.control = m[1]
		b.page = connectPage(t, ctx, m[2])
	case <-ctx.Done():
		t.Fatal("Chromium did not start listening for DevTools")
	}
	return b
}

// stop ends the browser the test started: it asks it to close, which
// ends its helper processes too, and kills it if it has not exited within
// ten seconds.
func (b *browser) stop() {
	if b.page != nil {
		b.page.ws.Close()
	}
	if ws, err := websocket.Dial(b.control, "", "http://127.0.0.1"); err == nil {
		websocket.JSON.Send(ws, map[string]any{"id": 1, "method": "Browser.close", "params": struct{}{}})
		ws.Close()
	}
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		b.cmd.Process.Kill()
		<-b.exited
	}
}

// connectPage finds the page target of the browser listening on port and
// opens a DevTools connection to it.
func connectPage(t *testing.T, ctx context.Context, port string) *cdpConn {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1:"+port+"/json/list", nil)
	var targets []struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	for len(targets) == 0 {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&targets)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, tg := range targets {
		if tg.Type == "page" {
			ws, err := websocket.Dial(tg.URL, "", "http://127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			c := &cdpConn{ws: ws, replies: map[int]chan cdpMessage{}, loaded: make(chan struct{}, 1)}
			go c.read()
			return c
		}
	}
	t.Fatalf("no page among the browser's targets %+v", targets)
	return nil
}

// cdpConn is a DevTools connection to one page.
type cdpConn struct {
	ws *websocket.Conn

	mu       sync.Mutex
	next     int
	replies  map[int]chan cdpMessage
	problems []string // console errors and exceptions
	fetched  []string // the URLs the page requested
	loaded   chan struct{}
}

// cdpMessage is a reply to a command (ID set) or an event (Method set).
type cdpMessage struct {
	ID     int             `json:"id"`
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

// read dispatches replies and events until the connection closes.
func (c *cdpConn) read() {
	for {
		var m cdpMessage
		if err := websocket.JSON.Receive(c.ws, &m); err != nil {
			return
		}
		c.mu.Lock()
		if ch, ok := c.replies[m.ID]; ok && m.ID != 0 {
			delete(c.replies, m.ID)
			ch <- m
		} else {
			c.event(m)
		}
		c.mu.Unlock()
	}
}

// event records what the test asserts on. Called with c.mu held.
func (c *cdpConn) event(m cdpMessage) {
	var p struct {
		Type             string                `json:"type"`
		Args             []struct{ Value any } `json:"args"`
		ExceptionDetails struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
		Entry struct {
			Level, Text, URL string
		} `json:"entry"`
		Request struct {
			URL string `json:"url"`
		} `json:"request"`
	}
	json.Unmarshal(m.Params, &p)
	switch m.Method {
	case "Runtime.consoleAPICalled":
		if p.Type == "error" || p.Type == "assert" {
			c.problems = append(c.problems, fmt.Sprintf("console.%s %v", p.Type, p.Args))
		}
	case "Runtime.exceptionThrown":
		c.problems = append(c.problems, "exception: "+p.ExceptionDetails.Text+" "+p.ExceptionDetails.Exception.Description)
	case "Log.entryAdded":
		if p.Entry.Level == "error" {
			c.problems = append(c.problems, "log: "+p.Entry.Text+" "+p.Entry.URL)
		}
	case "Network.requestWillBeSent":
		c.fetched = append(c.fetched, p.Request.URL)
	case "Page.loadEventFired":
		select {
		case c.loaded <- struct{}{}:
		default:
		}
	}
}

// call sends a command and decodes its result into out (if not nil).
func (c *cdpConn) call(ctx context.Context, method string, params any, out any) error {
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan cdpMessage, 1)
	c.replies[id] = ch
	c.mu.Unlock()
	if params == nil {
		params = struct{}{}
	}
	msg := map[string]any{"id": id, "method": method, "params": params}
	if err := websocket.JSON.Send(c.ws, msg); err != nil {
		return err
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s", method, m.Error.Message)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// open enables the domains the test listens to and loads url.
func (c *cdpConn) open(ctx context.Context, url string) error {
	for _, m := range []string{"Runtime.enable", "Log.enable", "Network.enable", "Page.enable"} {
		if err := c.call(ctx, m, nil, nil); err != nil {
			return err
		}
	}
	metrics := map[string]any{"width": 1500, "height": 1100, "deviceScaleFactor": 1, "mobile": false}
	if err := c.call(ctx, "Emulation.setDeviceMetricsOverride", metrics, nil); err != nil {
		return err
	}
	select {
	case <-c.loaded: // about:blank's load, if it came late
	default:
	}
	if err := c.call(ctx, "Page.navigate", map[string]any{"url": url}, nil); err != nil {
		return err
	}
	select {
	case <-c.loaded:
		return nil
	case <-ctx.Done():
		return errors.New("the page did not load")
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value
// into out.
func (c *cdpConn) eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	err := c.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r)
	if err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluating %.60q: %s", expr, r.ExceptionDetails.Text)
	}
	return json.Unmarshal(r.Result.Value, out)
}

// mouse sends a mouse event of typ ("mouseMoved", "mousePressed",
// "mouseReleased") at x, y.
func (c *cdpConn) mouse(ctx context.Context, typ string, x, y float64) error {
	p := map[string]any{"type": typ, "x": x, "y": y, "button": "none"}
	if typ != "mouseMoved" {
		p["button"], p["clickCount"] = "left", 1
	}
	return c.call(ctx, "Input.dispatchMouseEvent", p, nil)
}

// screenshot writes a PNG of the whole page to path.
func (c *cdpConn) screenshot(ctx context.Context, path string) error {
	var r struct {
		Data []byte `json:"data"` // base64 in the JSON
	}
	if err := c.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &r); err != nil {
		return err
	}
	return os.WriteFile(path, r.Data, 0o644)
}

// report returns the problems logged and the URLs fetched so far.
func (c *cdpConn) report() (problems, fetched []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.problems...), append([]string(nil), c.fetched...)
}

// findChromium returns the path of Debian's chromium, or "" if absent.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// artifactDir is where the test's screenshots go: $SYNACK_ARTIFACTS, kept
// for a person to look at, or else the test's temporary directory.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SYNACK_ARTIFACTS")
	if dir == "" {
		t.Log("screenshots go to a temporary directory removed after the test; set SYNACK_ARTIFACTS to keep them")
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
