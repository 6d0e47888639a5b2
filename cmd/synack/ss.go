package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/synack-net/synack/stack"
)

// ssTimeout bounds a request to the debug address.
const ssTimeout = 5 * time.Second

// runSS is `synack ss ADDR`: the socket table of a running synack serve
// (its --debug-addr) like `ss -tani`, or with -s its counters like
// `netstat -s`. The exit status is 1 when the address does not answer, 2
// for a usage error.
func runSS(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ss", flag.ContinueOnError)
	fs.SetOutput(stderr)
	summary := fs.Bool("s", false, "print the counters, as netstat -s does, instead of the sockets")
	if code, ok := parseFlags(fs, args, `Usage: synack ss [-s] ADDR

Ss prints the sockets of a running synack serve, read from its debug address
ADDR (host:port, as given to --debug-addr): for each, its state, receive and
send queues, addresses, RTT, congestion window, retransmissions and the timer
running. With -s it prints the stack's counters instead.

`); !ok {
		return code
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "synack ss: want one debug address (host:port)")
		return 2
	}
	base := fs.Arg(0)
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	client := &http.Client{Timeout: ssTimeout}
	var err error
	if *summary {
		var k stack.Counters
		if err = getJSON(client, base+"/api/counters", &k); err == nil {
			_, err = k.WriteTo(stdout)
		}
	} else {
		var v struct {
			Connections []connRow `json:"connections"`
		}
		if err = getJSON(client, base+"/api/connections", &v); err == nil {
			err = writeSockets(stdout, v.Connections)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "synack ss: %v\n", err)
		return 1
	}
	return 0
}

// getJSON fetches url and decodes its JSON body into v.
func getJSON(c *http.Client, url string, v any) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("%s: %v", url, err)
	}
	return nil
}

// writeSockets prints the rows as a table.
func writeSockets(w io.Writer, rows []connRow) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "State\tRecv-Q\tSend-Q\tLocal\tPeer\tRTT/var ms\tRTO ms\tcwnd\tMSS\tretrans\ttimer")
	for _, r := range rows {
		peer, rtt, rto, cwnd, mss, timer := "*", "", "", "", "", ""
		if r.Remote != "" {
			peer = r.Remote
		} else if r.HalfOpen > 0 {
			peer = fmt.Sprintf("* (%d half-open)", r.HalfOpen)
		}
		if r.MSS > 0 {
			rtt, rto = fmt.Sprintf("%.1f/%.1f", r.RTTMs, r.RTTVarMs), fmt.Sprintf("%.0f", r.RTOMs)
			cwnd, mss = fmt.Sprint(r.CWnd), fmt.Sprint(r.MSS)
		}
		if r.Timer != "" {
			timer = fmt.Sprintf("%s,%.0fms", r.Timer, r.TimerInMs)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\n", r.State, r.RecvQ, r.SendQ, r.Local, peer,
			rtt, rto, cwnd, mss, r.Retransmits, r.RetransSegs, timer)
	}
	return tw.Flush()
}
