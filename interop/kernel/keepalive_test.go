//go:build linux

package kernel

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// TestKeepAlive: synack probes an idle connection (RFC 1122 §4.2.3.6)
// after 600 ms and every 600 ms, giving up after 2 unanswered probes. The
// kernel answers each probe with an ACK, so after several probes — more
// than an unanswered run would allow — the connection is still
// ESTABLISHED and carries data. (The probes are 600 ms apart because
// Linux answers such out-of-window segments at most every 500 ms,
// net.ipv4.tcp_invalid_ratelimit.)
func TestKeepAlive(t *testing.T) {
	const (
		idle   = 600 * time.Millisecond
		probes = 3
	)
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			t.Parallel() // each waits in real time
			e := newEnvWith(t, envOptions{record: []trace.Kind{trace.KindTimer, trace.KindRecv, trace.KindState}})
			p := e.connect(r)
			local := addrPort(p.sy.LocalAddr())
			err := p.sy.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: idle, Interval: idle, Count: 2})
			if err != nil {
				t.Fatal(err)
			}
			var fired, answered int
			waitFor(t, 10*time.Second, "synack sent fewer keep-alive probes than expected", func() bool {
				fired, answered = keepAlives(e.rec.of(local))
				return fired >= probes && answered >= probes
			})
			if s := p.sy.State(); s != tcp.Established {
				t.Fatalf("after %d probes and %d answers: %v, want ESTABLISHED", fired, answered, s)
			}
			if _, err := p.sy.Write([]byte("still here")); err != nil {
				t.Fatalf("synack Write: %v", err)
			}
			buf := make([]byte, 10)
			if _, err := io.ReadFull(p.kernel, buf); err != nil || string(buf) != "still here" {
				t.Fatalf("kernel read %q, %v", buf, err)
			}
		})
	}
}

// keepAlives counts in a connection's events the keep-alive timer
// firings, and the segments received after a firing and before the next
// (the kernel's answers: the connection is otherwise idle).
func keepAlives(events []trace.Event) (fired, answered int) {
	waiting := false
	for _, e := range events {
		switch {
		case e.Kind == trace.KindTimer && e.Timer == tcp.TimerKeepalive:
			fired++
			waiting = true
		case e.Kind == trace.KindRecv && waiting:
			answered++
			waiting = false
		}
	}
	return fired, answered
}
