package main

import (
	"io"
	"net/netip"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/pcap"
	"github.com/synack-net/synack/sim"
	"github.com/synack-net/synack/trace"
)

// capturedPacket is a packet a host sent, and when.
type capturedPacket struct {
	at  clock.Instant
	pkt []byte
}

// pcapEpoch is the wall-clock time a capture's virtual time 0 is written
// as: a fixed instant, so that a seed gives the same file every time.
var pcapEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// startCapture makes the demo keep a copy of every packet sent, as a
// capture on each sender's link would see it (lost packets included).
func (d *demo) startCapture() {
	d.w.OnSend = func(_ *sim.Host, pkt []byte) { d.captured(pkt) }
}

// captured keeps pkt, sent now, if the demo captures.
func (d *demo) captured(pkt []byte) {
	if d.w.OnSend != nil {
		d.capture = append(d.capture, capturedPacket{d.w.Now(), append([]byte(nil), pkt...)})
	}
}

// writePcap writes the packets as a pcap file (raw IP link type).
func writePcap(w io.Writer, pkts []capturedPacket) error {
	pw, err := pcap.NewWriter(w)
	if err != nil {
		return err
	}
	for _, p := range pkts {
		if err := pw.WritePacket(pcapEpoch.Add(time.Duration(p.at)), p.pkt); err != nil {
			return err
		}
	}
	return nil
}

// drawn is the events the diagram is drawn from: all of them, less those
// of the first sc.skip connections of the left host.
func (r demoResult) drawn(sc scenario) []trace.Event {
	if sc.skip == 0 {
		return r.events
	}
	type ends struct{ a, b netip.AddrPort }
	skipped, n := map[ends]bool{}, 0
	for _, e := range r.events {
		if n < sc.skip && e.Host == sc.hosts[0] && e.Remote.IsValid() && !skipped[ends{e.Local, e.Remote}] {
			n++
			skipped[ends{e.Local, e.Remote}] = true
			skipped[ends{e.Remote, e.Local}] = true
		}
	}
	var out []trace.Event
	for _, e := range r.events {
		if !skipped[ends{e.Local, e.Remote}] {
			out = append(out, e)
		}
	}
	return out
}
