// Package sim runs synack hosts on virtual time over a simulated network,
// on one goroutine and deterministically: the same seed and the same
// script give the same packets at the same instants. It is the engine of
// the scenario tests and of `synack demo`.
package sim

import (
	"container/heap"
	"fmt"
	"net/netip"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/netem"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// World is a set of hosts joined by a netem.Network, with a virtual clock
// and a schedule of user actions. A path with an MTU answers oversize
// packets with ICMP, as a router does (see answerTooBig).
type World struct {
	Net   *netem.Network
	Trace trace.Log

	now     clock.Instant
	seed    uint64
	hosts   []*Host
	raws    map[netem.HostID]*RawHost
	actions actionQueue
	seq     uint64

	// OnStep, if set, runs after each instant the world processes, for
	// checks between inputs.
	OnStep func()
	// OnSend, if set, sees every packet a host sends, before the network
	// takes it.
	OnSend func(h *Host, pkt []byte)

	// readBuf is every App's read buffer: the world runs one App at a
	// time, and a buffer each would dwarf what the stacks hold.
	readBuf [16384]byte
}

// Host is a stack.Host attached to a World. Its clock runs with the
// world's, ahead of it by an offset that StepClock grows.
type Host struct {
	*stack.Host
	ID     netem.HostID
	w      *World
	offset time.Duration
}

// Now is the host's time: the world's plus the host's clock offset.
func (h *Host) Now() clock.Instant { return h.w.now.Add(h.offset) }

// StepClock moves the host's clock forward by d at once, as when a
// suspended machine resumes: every timer that falls due in the skipped
// time fires at the next step, all at the same instant.
func (h *Host) StepClock(d time.Duration) {
	if d > 0 {
		h.offset += d
	}
}

// deadline is the host's next deadline in world time.
func (h *Host) deadline() clock.Instant {
	d := h.NextDeadline()
	if d == clock.Never {
		return d
	}
	return d.Add(-h.offset)
}

// New returns an empty world whose randomness (network faults, ISN keys)
// derives from seed.
func New(seed uint64) *World {
	w := &World{Net: netem.NewNetwork(seed), seed: seed}
	w.Net.TooBig = w.answerTooBig
	return w
}

// Now is the world's virtual time.
func (w *World) Now() clock.Instant { return w.now }

// HostConfig adjusts a host before it is created.
type HostConfig func(*stack.Config)

// AddHost creates a host with one address. Its secret derives from the
// world's seed and the host's index, so runs are reproducible.
func (w *World) AddHost(name string, addr netip.Prefix, opts ...HostConfig) *Host {
	cfg := stack.Config{Name: name, Addrs: []netip.Prefix{addr}, Recorder: &w.Trace}
	for i := range cfg.Secret {
		cfg.Secret[i] = byte(w.seed>>(8*(i%8))) ^ byte(len(w.hosts)*31+i)
	}
	for _, o := range opts {
		o(&cfg)
	}
	h := &Host{Host: stack.NewHost(cfg), w: w}
	h.ID = w.Net.AddHost(name)
	w.Net.AddAddress(h.ID, addr.Addr())
	w.hosts = append(w.hosts, h)
	return h
}

// RawHost is a network endpoint without a stack: it records the packets
// it receives and sends whatever a test crafts, like packetdrill's
// remote end.
type RawHost struct {
	ID       netem.HostID
	Received [][]byte
	w        *World
}

// AddRaw attaches a RawHost owning addr.
func (w *World) AddRaw(name string, addr netip.Addr) *RawHost {
	r := &RawHost{ID: w.Net.AddHost(name), w: w}
	w.Net.AddAddress(r.ID, addr)
	if w.raws == nil {
		w.raws = map[netem.HostID]*RawHost{}
	}
	w.raws[r.ID] = r
	return r
}

// Send puts pkt on the network now.
func (r *RawHost) Send(pkt []byte) { r.w.Net.Send(r.w.now, r.ID, pkt) }

// WithTCP sets the TCP configuration of a host.
func WithTCP(c tcp.Config) HostConfig {
	return func(s *stack.Config) { s.TCP = &c }
}

// At schedules f to run at instant t (after the packets and timers of that
// instant). Actions at the same instant run in the order they were added.
func (w *World) At(t time.Duration, f func()) {
	w.seq++
	heap.Push(&w.actions, action{at: clock.Instant(t), seq: w.seq, f: f})
}

// After schedules f to run d after the current virtual time.
func (w *World) After(d time.Duration, f func()) { w.At(time.Duration(w.now)+d, f) }

// Crash makes host h forget all its connections now (see stack.Host.Crash).
func (h *Host) Crash() { h.Host.Crash(h.Now()) }

// Run advances virtual time, delivering packets, firing timers and running
// actions, until nothing is left to do or the clock would pass until.
func (w *World) Run(until time.Duration) {
	w.RunUntil(until, func() bool { return false })
}

// RunUntil is Run that also stops as soon as done reports true (checked
// after each instant). It reports whether done became true.
func (w *World) RunUntil(until time.Duration, done func() bool) bool {
	limit := clock.Instant(until)
	w.flush()
	for !done() {
		next := w.next()
		if next == clock.Never || next > limit {
			if limit > w.now {
				w.now = limit
			}
			return false
		}
		w.step(next)
	}
	return true
}

// next is the earliest pending event.
func (w *World) next() clock.Instant {
	n := w.Net.NextDelivery()
	for _, h := range w.hosts {
		n = clock.Min(n, h.deadline())
	}
	if len(w.actions) > 0 {
		n = clock.Min(n, w.actions[0].at)
	}
	for _, h := range w.hosts {
		if h.HasPendingOutput() {
			return w.now
		}
	}
	return n
}

// step processes everything due at instant t.
func (w *World) step(t clock.Instant) {
	if t < w.now {
		panic(fmt.Sprintf("sim: time went backwards: %v < %v", t, w.now))
	}
	w.now = t
	for rounds := 0; ; rounds++ {
		if rounds > 1_000_000 {
			panic(fmt.Sprintf("sim: no progress at %v", t))
		}
		busy := false
		if w.Net.NextDelivery() <= t {
			busy = true
			w.Net.Deliver(t, w.deliver)
		}
		for _, h := range w.hosts {
			if h.deadline() <= t {
				busy = true
				h.Tick(h.Now())
			}
		}
		if !busy && len(w.actions) > 0 && w.actions[0].at <= t {
			busy = true
			a := heap.Pop(&w.actions).(action)
			a.f()
		}
		w.flush()
		if !busy && !w.pendingOutput() {
			if w.OnStep != nil {
				w.OnStep()
			}
			return
		}
	}
}

// deliver hands a packet from the network to its host.
func (w *World) deliver(to netem.HostID, pkt []byte) {
	if r := w.raws[to]; r != nil {
		r.Received = append(r.Received, append([]byte(nil), pkt...))
		return
	}
	for _, h := range w.hosts {
		if h.ID == to {
			h.Deliver(h.Now(), pkt)
			return
		}
	}
}

// pendingOutput reports whether a host has output to flush (a waker
// may have made a user call during the last flush).
func (w *World) pendingOutput() bool {
	for _, h := range w.hosts {
		if h.HasPendingOutput() {
			return true
		}
	}
	return false
}

// flush sends every host's pending output into the network.
func (w *World) flush() {
	for _, h := range w.hosts {
		if h.HasPendingOutput() {
			h.Flush(h.Now(), func(pkt []byte) {
				if w.OnSend != nil {
					w.OnSend(h, pkt)
				}
				w.Net.Send(w.now, h.ID, pkt)
			})
		}
	}
}

type action struct {
	at  clock.Instant
	seq uint64
	f   func()
}

type actionQueue []action

func (q actionQueue) Len() int { return len(q) }
func (q actionQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q actionQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *actionQueue) Push(x any)   { *q = append(*q, x.(action)) }
func (q *actionQueue) Pop() any {
	old := *q
	a := old[len(old)-1]
	*q = old[:len(old)-1]
	return a
}
