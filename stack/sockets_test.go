package stack

import (
	"testing"
	"time"

	"github.com/synack-net/synack/tcp"
)

// The socket table: the listener with its queues, then the connections
// with their queues and the timer running, exact on virtual time.
func TestSockets(t *testing.T) {
	p := newTestPair(t, nil)
	cs, ss := p.open(t, 1)
	c, s := cs[0], ss[0]
	c.Write(make([]byte, 1000))
	p.a.Flush(p.now, func(pkt []byte) { p.b.Deliver(p.now, pkt) }) // its ACK not yet sent back
	rows := p.b.Sockets()
	if len(rows) != 2 || rows[0].State != tcp.Listen || rows[0].Local != testPortB || rows[0].SendQ != p.ln.Backlog() {
		t.Fatalf("server rows %+v", rows)
	}
	if r := rows[1]; r.State != tcp.Established || r.Local != s.Tuple().Local || r.Remote != s.Tuple().Remote ||
		r.RecvQ != 1000 || r.Timer != tcp.TimerNone {
		t.Errorf("server's connection %+v", r)
	}
	rows = p.a.Sockets()
	if len(rows) != 1 {
		t.Fatalf("client rows %+v", rows)
	}
	r := rows[0]
	if r.State != tcp.Established || r.SendQ != 1000 || r.Timer != tcp.TimerRetransmit || r.TimerDue != p.now.Add(r.RTO) || r.MSS != 1448 || r.CWnd == 0 {
		t.Errorf("client's connection %+v", r)
	}
	p.pump()
	s.Read(make([]byte, 1000))
	c.Close(p.now)
	p.pump()
	s.Close(p.now)
	p.pump()
	rows = p.a.Sockets()
	if len(rows) != 1 || rows[0].State != tcp.TimeWait || rows[0].Timer != tcp.TimerTimeWait || rows[0].TimerDue != p.now.Add(60*time.Second) {
		t.Errorf("after the close: %+v, want TIME_WAIT with 2msl due at %v", rows, p.now.Add(60*time.Second))
	}
}
