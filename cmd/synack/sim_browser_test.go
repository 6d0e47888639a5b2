package main

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Every scenario's HTML page opens in headless Chromium with one arrow per
// segment of its layout, no console error and nothing fetched but itself.
func TestSimPagesInChromium(t *testing.T) {
	chromium := needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	b := startBrowser(t, ctx, chromium)
	dir := t.TempDir()
	var urls []string
	for _, sc := range scenarios {
		path := filepath.Join(dir, sc.name+".html")
		if _, errOut, code := runArgs("sim", sc.name, "--format", "html", "-o", path); code != 0 {
			t.Fatalf("%s: exit status %d: %s", sc.name, code, errOut)
		}
		url := "file://" + path
		urls = append(urls, url)
		must(t, b.page.open(ctx, url))
		var arrows, segments int
		must(t, b.page.eval(ctx, `document.querySelectorAll("svg.ladder g.seg").length`, &arrows))
		must(t, b.page.eval(ctx, `JSON.parse(document.getElementById("ladder-data").textContent).segments.length`, &segments))
		if arrows != segments || arrows == 0 {
			t.Errorf("%s: %d arrows for %d segments", sc.name, arrows, segments)
		}
	}
	checkPagesClean(t, b.page, urls)
}

// The live view's page and a connection's live ladder open in headless
// Chromium: the table's rows, the link to the ladder followed, no console
// error, nothing fetched from elsewhere; a screenshot of each is kept.
func TestLivePageInChromium(t *testing.T) {
	chromium := needChromium(t)
	client, d := debugPair(t)
	c, err := client.Dial("tcp", "10.0.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	srv := httptest.NewServer(d.handler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b := startBrowser(t, ctx, chromium)
	must(t, b.page.open(ctx, srv.URL+"/"))
	var states []string
	must(t, b.page.eval(ctx, `[...document.querySelectorAll("tr td:first-child")].map(e => e.textContent)`, &states))
	if !slices.Equal(states, []string{"LISTEN", "ESTABLISHED"}) {
		t.Errorf("the table's states %q, want LISTEN and ESTABLISHED", states)
	}
	must(t, b.page.screenshot(ctx, filepath.Join(artifactDir(t), "live-page.png")))
	var ladder string
	must(t, b.page.eval(ctx, `document.querySelector("a[href^='/ladder']").href`, &ladder))
	must(t, b.page.open(ctx, ladder))
	var arrows int
	must(t, b.page.eval(ctx, `document.querySelectorAll("svg.ladder g.seg").length`, &arrows))
	if arrows < 3 {
		t.Errorf("the live ladder draws %d segments, want the handshake's 3 at least", arrows)
	}
	must(t, b.page.screenshot(ctx, filepath.Join(artifactDir(t), "live-ladder.png")))
	problems, fetched := b.page.report()
	for _, p := range problems {
		t.Errorf("a page logged: %s", p)
	}
	for _, u := range fetched {
		if !strings.HasPrefix(u, srv.URL+"/") {
			t.Errorf("a page fetched %s", u)
		}
	}
}

// checkPagesClean fails the test if a page logged an error or anything but
// the pages themselves was fetched.
func checkPagesClean(t *testing.T, p *cdpConn, urls []string) {
	t.Helper()
	problems, fetched := p.report()
	for _, pr := range problems {
		t.Errorf("a page logged: %s", pr)
	}
	for _, u := range fetched {
		if !slices.Contains(urls, u) {
			t.Errorf("a page fetched %s", u)
		}
	}
}
