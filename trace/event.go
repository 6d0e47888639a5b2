// Package trace records what happens inside synack hosts, connection by
// connection, and renders it. Events are written and read back as JSON
// Lines (JSONLines, ReadJSONLines); a Subscription queues them, bounded,
// for a reader on its own goroutine while the hosts run. NewLadder lays
// out one connection's events as a ladder (sequence) diagram, which
// renders as text for a terminal (WriteText, in colour or not), an SVG image (WriteSVG), a
// self-contained HTML page (WriteHTML), the layout's JSON (WriteJSON), and
// the RFC 9293 state diagram with the path each end took
// (WriteStateDiagram).
package trace

import (
	"net/netip"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// Kind says what an Event reports.
type Kind uint8

// The kinds of event.
const (
	KindState Kind = iota // a connection changed state
	KindSend              // a host sent a segment
	KindRecv              // a host received a segment (before processing)
	KindDrop              // a host dropped a segment it received
	KindTimer             // a connection's timer fired
)

var kindNames = [...]string{"state", "send", "recv", "drop", "timer"}

// String returns the kind's name, e.g. "send".
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Segment summarises a TCP segment for a trace: everything but the payload.
type Segment struct {
	Seq, Ack uint32
	Flags    wire.TCPFlags
	Window   uint16 // the raw header field, unscaled
	// WindowShift is the window scale shift in effect for Window as the
	// recording host knew it (RFC 7323 §2.2): the sender's own shift for a
	// segment sent, the peer's for one received. It is 0 on a SYN, whose
	// window is never scaled, when scaling is off, and when the host no
	// longer knows it (a segment received in TIME_WAIT, whose compact entry
	// keeps only its own shift).
	WindowShift uint8
	Len         int // payload bytes
	Options     wire.TCPOptions
}

// ScaledWindow returns the window the segment advertises in bytes: Window
// shifted left by WindowShift, as Wireshark's "Win=" shows it.
func (s Segment) ScaledWindow() uint32 { return uint32(s.Window) << s.WindowShift }

// Event is one thing that happened on one host, about one connection.
type Event struct {
	Time   clock.Instant
	Host   string         // the name of the host that observed it
	Local  netip.AddrPort // this host's end of the connection
	Remote netip.AddrPort // the peer's end

	Kind Kind

	// KindState:
	From, To tcp.State
	Cause    tcp.Cause

	// KindTimer:
	Timer tcp.Timer

	// KindSend, KindRecv, KindDrop:
	Segment Segment
	// KindDrop: why the segment was dropped (a stack DropReason's name).
	Reason string
}

// Recorder receives events. Implementations must be cheap: they run on the
// host's event loop.
type Recorder interface {
	Record(e Event)
}

// Log is a Recorder that keeps every event in memory, in order.
type Log struct {
	Events []Event
}

// Record appends e to the log.
func (l *Log) Record(e Event) { l.Events = append(l.Events, e) }
