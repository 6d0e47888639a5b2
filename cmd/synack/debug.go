package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"sync"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// recentEvents is how many of a stack's latest trace events the debug
// server keeps for the live ladders.
const recentEvents = 1 << 16

// debugServer serves the live view of a running stack (--debug-addr): its
// socket table as a page and as JSON, its counters for Prometheus, the
// ladder and state-diagram path of each connection from its recent
// events, and net/http/pprof.
type debugServer struct {
	st  *synack.Stack
	clk clock.Clock // the stack's clock, for the timers' time left
	sub *trace.Subscription

	mu     sync.Mutex
	events []trace.Event // a ring of the latest recentEvents events
	next   int           // where the next event goes once the ring is full
	done   chan struct{}
}

// newDebugServer subscribes to st's events; Close ends the subscription.
func newDebugServer(st *synack.Stack, clk clock.Clock) *debugServer {
	d := &debugServer{st: st, clk: clk, sub: trace.NewSubscription(4096), done: make(chan struct{})}
	st.Subscribe(d.sub)
	go d.keep()
	return d
}

// keep stores the events as they come, until the subscription closes.
func (d *debugServer) keep() {
	defer close(d.done)
	for e := range d.sub.Events() {
		d.mu.Lock()
		if len(d.events) < recentEvents {
			d.events = append(d.events, e)
		} else {
			d.events[d.next] = e
			d.next = (d.next + 1) % recentEvents
		}
		d.mu.Unlock()
	}
}

// Close stops keeping events.
func (d *debugServer) Close() error {
	d.sub.Close()
	<-d.done
	return nil
}

// handler routes the debug server's pages.
func (d *debugServer) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", d.page)
	mux.HandleFunc("GET /api/connections", d.connections)
	mux.HandleFunc("GET /api/counters", d.counters)
	mux.HandleFunc("GET /metrics", d.metrics)
	mux.HandleFunc("GET /ladder", d.ladder)
	mux.HandleFunc("GET /states", d.ladder)
	mux.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent) // none, rather than a 404 every page logs
	})
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	return mux
}

// connRow is one row of /api/connections: a connection or a listener.
type connRow struct {
	State       string  `json:"state"`
	Local       string  `json:"local"`
	Remote      string  `json:"remote,omitempty"`
	RecvQ       int     `json:"recvQ"`
	SendQ       int     `json:"sendQ"`
	HalfOpen    int     `json:"halfOpen,omitempty"`
	MSS         uint32  `json:"mss,omitempty"`
	CWnd        uint32  `json:"cwnd,omitempty"`
	SSThresh    uint32  `json:"ssthresh,omitempty"`
	RTTMs       float64 `json:"rttMs,omitempty"`
	RTTVarMs    float64 `json:"rttVarMs,omitempty"`
	RTOMs       float64 `json:"rtoMs,omitempty"`
	SndWnd      uint32  `json:"sndWnd,omitempty"`
	RcvWnd      uint32  `json:"rcvWnd,omitempty"`
	Retransmits int     `json:"retransmits"`
	RetransSegs uint64  `json:"retransSegs"`
	Timer       string  `json:"timer,omitempty"`
	TimerInMs   float64 `json:"timerInMs,omitempty"`
}

// rows is the socket table as rows, the timers' time left from now.
func (d *debugServer) rows() []connRow {
	now := d.clk.Now()
	var out []connRow
	for _, s := range d.st.Sockets() {
		r := connRow{State: s.State.String(), Local: s.Local.String(), RecvQ: s.RecvQ, SendQ: s.SendQ,
			HalfOpen: s.HalfOpen, MSS: s.MSS, CWnd: s.CWnd, SSThresh: s.SSThresh,
			RTTMs: ms(s.SRTT), RTTVarMs: ms(s.RTTVar), RTOMs: ms(s.RTO), SndWnd: s.SndWnd, RcvWnd: s.RcvWnd,
			Retransmits: s.Retransmits, RetransSegs: s.RetransSegs}
		if s.Remote.IsValid() {
			r.Remote = s.Remote.String()
		}
		if s.Timer != tcp.TimerNone {
			r.Timer, r.TimerInMs = s.Timer.String(), ms(max(s.TimerDue.Sub(now), 0))
		}
		out = append(out, r)
	}
	return out
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// connections serves /api/connections.
func (d *debugServer) connections(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, struct {
		Host        string    `json:"host"`
		Connections []connRow `json:"connections"`
	}{d.st.Host().Name(), d.rows()})
}

// counters serves /api/counters: the MIB counters by field name.
func (d *debugServer) counters(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, d.st.Counters())
}

// writeJSON writes v as an indented JSON document.
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

// metrics serves /metrics: every counter, and the connections by state.
func (d *debugServer) metrics(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	k := d.st.Counters()
	if err := k.WritePrometheus(w); err != nil {
		return
	}
	var n [tcp.TimeWait + 1]int
	for _, s := range d.st.Sockets() {
		if int(s.State) < len(n) {
			n[s.State]++
		}
	}
	fmt.Fprint(w, "# HELP synack_tcp_sockets Sockets now in each state, listeners included.\n# TYPE synack_tcp_sockets gauge\n")
	for st := tcp.Closed; st <= tcp.TimeWait; st++ {
		fmt.Fprintf(w, "synack_tcp_sockets{state=%q} %d\n", st.String(), n[st])
	}
}

// ladder serves /ladder and /states for the connection of the query's
// local and remote addresses: its ladder as an HTML page, or its path on
// the state diagram as SVG, drawn from the recent events.
func (d *debugServer) ladder(w http.ResponseWriter, r *http.Request) {
	local, err1 := netip.ParseAddrPort(r.URL.Query().Get("local"))
	remote, err2 := netip.ParseAddrPort(r.URL.Query().Get("remote"))
	if err1 != nil || err2 != nil {
		http.Error(w, "want ?local=IP:PORT&remote=IP:PORT", http.StatusBadRequest)
		return
	}
	var evs []trace.Event
	d.mu.Lock()
	for i := range d.events {
		e := d.events[(d.next+i)%len(d.events)]
		if e.Local == local && (e.Remote == remote || !e.Remote.IsValid()) {
			evs = append(evs, e)
		}
	}
	d.mu.Unlock()
	l, err := trace.NewLadder(evs, d.st.Host().Name(), "peer")
	if err != nil {
		http.Error(w, "no recent events of that connection", http.StatusNotFound)
		return
	}
	if r.URL.Path == "/states" {
		w.Header().Set("Content-Type", "image/svg+xml")
		l.WriteStateDiagram(w)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	l.WriteHTML(w, trace.HTMLOptions{Title: fmt.Sprintf("synack: %v ⇄ %v", local, remote),
		Description: "The connection's recent events, as the stack recorded them; the peer's lifeline is inferred from them."})
}
