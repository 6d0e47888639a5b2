package sim

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// checker is the explorer's trace recorder: it checks every state change
// against the RFC 9293 diagram (tcp.ValidTransition) as it happens, and
// that TIME_WAIT ends exactly 2×MSL after it began or was last restarted
// by a FIN. It passes every event on to a log, if it has one.
type checker struct {
	r      *exploreRun
	log    *trace.Log
	checks int
	// tw holds, per connection end in TIME_WAIT, the instants 2×MSL may
	// have started from: entering TIME_WAIT, and each FIN received in it.
	tw map[endKey][]clock.Instant
	// overflowed holds the server ends whose handshake ACK was dropped
	// because the accept queue was full.
	overflowed map[endKey]bool
}

// endKey names one end of a connection: the host and its view of the
// 4-tuple.
type endKey struct {
	host          string
	local, remote netip.AddrPort
}

func newChecker(r *exploreRun, log *trace.Log) *checker {
	return &checker{r: r, log: log, tw: map[endKey][]clock.Instant{}, overflowed: map[endKey]bool{}}
}

// Record implements trace.Recorder.
func (k *checker) Record(e trace.Event) {
	if k.log != nil {
		k.log.Record(e)
	}
	key := endKey{e.Host, e.Local, e.Remote}
	switch e.Kind {
	case trace.KindState:
		k.checks++
		if !tcp.ValidTransition(e.From, e.To, e.Cause) {
			k.r.failConn("transition", e.Host, stack.Tuple{Local: e.Local, Remote: e.Remote},
				fmt.Errorf("%s %v->%v: %v -> %v (%v) is not an arc of the state diagram", e.Host, e.Local, e.Remote, e.From, e.To, e.Cause))
		}
		if e.To == tcp.TimeWait {
			k.tw[key] = []clock.Instant{e.Time}
		}
		if e.From == tcp.TimeWait {
			k.checkTimeWaitEnd(key, e)
			delete(k.tw, key)
		}
	case trace.KindRecv:
		if starts, ok := k.tw[key]; ok && e.Segment.Flags&wire.FlagFIN != 0 {
			k.tw[key] = append(starts, e.Time)
		}
	case trace.KindDrop:
		if e.Reason == stack.DropListenOverflow.String() {
			k.overflowed[key] = true
		}
	}
}

// checkTimeWaitEnd checks that a TIME_WAIT ended by its timer lasted
// exactly 2×MSL from one of its starts (a host whose clock was stepped
// only never early).
func (k *checker) checkTimeWaitEnd(key endKey, e trace.Event) {
	if e.Cause.Kind != tcp.CauseTimer {
		return
	}
	k.checks++
	hi := k.hostIndex(key.host)
	msl2 := k.r.p.Hosts[hi].TCP.TimeWait
	starts := k.tw[key]
	if len(starts) == 0 || e.Time.Sub(starts[0]) < msl2 {
		k.r.failConn("timewait", key.host, stack.Tuple{Local: key.local, Remote: key.remote},
			fmt.Errorf("%s %v->%v: TIME_WAIT from %v ended at %v, before 2MSL (%v)", key.host, key.local, key.remote, starts, e.Time, msl2))
		return
	}
	if k.r.stepped[hi] {
		return
	}
	for _, s := range starts {
		if e.Time.Sub(s) == msl2 {
			return
		}
	}
	k.r.failConn("timewait", key.host, stack.Tuple{Local: key.local, Remote: key.remote},
		fmt.Errorf("%s %v->%v: TIME_WAIT ended at %v, not 2MSL (%v) after any of its starts %v", key.host, key.local, key.remote, e.Time, msl2, starts))
}

func (k *checker) hostIndex(name string) int {
	for i, h := range k.r.hosts {
		if h.Name() == name {
			return i
		}
	}
	return 0
}

// settle ends the world once its applications are done (or at the
// horizon): applications that may wait for ever (their peer vanished)
// give up, the listeners close, and the world runs until nothing is left
// to do. Then every connection's ends must agree on how it ended and
// every host must hold nothing.
func (r *exploreRun) settle() {
	for _, c := range r.conns {
		for _, a := range c.apps() {
			if !a.done() {
				if !r.mayHang(c, a) {
					r.failConn("stall", a.h.Name(), a.c.Tuple(), fmt.Errorf("%s stalled in %v at %v: wrote %d of %d, read %d (eof %v); %+v",
						a.name, tcpState(a.c), a.h.Now(), a.written, a.plan.Send, a.read, a.eof, a.c.Info()))
					return
				}
				a.aborted = true
				a.c.Abort(a.h.Now())
			}
		}
	}
	for i := range r.lns {
		r.closeListener(i)
	}
	r.w.Run(time.Duration(r.w.Now()) + horizon)
	if r.failure != nil {
		return
	}
	for _, c := range r.conns {
		if err := r.checkEnds(c); err != nil {
			r.failConn("agreement", r.hosts[c.plan.Client].Name(), c.clientConn.Tuple(), err)
			return
		}
	}
	for _, h := range r.hosts {
		r.checks++
		if c := h.Census(); c != (stack.Census{}) {
			r.fail("drain", fmt.Errorf("%s holds %+v after the world drained", h.Name(), c))
			return
		}
	}
}

// apps returns the connection's applications that exist.
func (c *connRun) apps() []*streamApp {
	var out []*streamApp
	for _, a := range []*streamApp{c.client, c.server} {
		if a != nil {
			out = append(out, a)
		}
	}
	return out
}

// peerOf returns the other end's application, or nil.
func (c *connRun) peerOf(a *streamApp) *streamApp {
	if a == c.client {
		return c.server
	}
	return c.client
}
