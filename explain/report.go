package explain

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/link/pcap"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// maxSegments bounds the TCP segments one report follows, so that a huge
// capture cannot exhaust memory; the rest are counted as skipped.
const maxSegments = 4 << 20

// Report is what a capture says about the TCP connections in it.
type Report struct {
	// Records is the number of packets in the capture.
	Records int
	// Skipped counts the records that are not TCP segments of a
	// connection we can follow, by reason ("not TCP", "IP fragment", ...).
	Skipped map[string]int
	// Connections are in the order of their first segment.
	Connections []*Connection
}

// Connection is one TCP connection of a capture: its two ends, what
// happened to it in plain words, and the events of its ladder diagram.
type Connection struct {
	// Endpoints[0] sent the first segment the capture holds of the
	// connection (the client when the capture saw the handshake).
	Endpoints [2]Endpoint
	// Verdicts say, in plain words, how the connection went.
	Verdicts []string
	// Events are the sends, receives and state changes of both ends, for
	// trace.RenderLadder with Endpoints[0].Name and Endpoints[1].Name as
	// the hosts. Each segment is sent and received at the time of capture.
	Events []trace.Event
	// Segments is the number of segments (copies of one packet counted once).
	Segments int
	// First and Last are the times of its first and last segment, since
	// the capture's first packet.
	First, Last clock.Instant
}

// Endpoint is one end of a connection.
type Endpoint struct {
	Addr netip.AddrPort
	// Name is "client" or "server" when the capture shows the roles,
	// else the address.
	Name string
	// States are the states the end went through, as synack prints them:
	// from CLOSED or LISTEN, or from ESTABLISHED when the capture starts
	// mid-connection (SYN_SENT for a client whose SYN it missed).
	States []tcp.State
}

// ReadError is a capture that cannot be read.
type ReadError struct {
	Name string // the file
	Err  error
}

// Error returns e.g. "explain: capture.pcap: truncated packet record at
// offset 1234".
func (e *ReadError) Error() string {
	var fe *pcap.FormatError
	if errors.As(e.Err, &fe) {
		return fmt.Sprintf("explain: %s: %s at offset %d", e.Name, fe.What, fe.Offset)
	}
	return fmt.Sprintf("explain: %s: %v", e.Name, e.Err)
}

// Unwrap returns the underlying error.
func (e *ReadError) Unwrap() error { return e.Err }

// ReadFile explains the capture in the named file. Errors are *ReadError.
func ReadFile(name string) (*Report, error) {
	f, err := os.Open(name)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, &ReadError{Name: name, Err: err}
	}
	defer f.Close()
	rep, err := Read(f)
	if err != nil {
		return nil, &ReadError{Name: name, Err: err}
	}
	return rep, nil
}

// Read explains a capture in pcap or pcapng format. A file that cannot be
// read gives the reader's error (a *pcap.FormatError for bad contents).
func Read(r io.Reader) (*Report, error) {
	rd, err := pcap.NewReader(r)
	if err != nil {
		return nil, err
	}
	rep := &Report{Skipped: map[string]int{}}
	type stamped struct {
		ns int64
		p  packet
	}
	var segs []stamped
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		rep.Records++
		p, why := decodeRecord(rec)
		switch {
		case why != "":
			rep.Skipped[string(why)]++
		case len(segs) >= maxSegments:
			rep.Skipped[fmt.Sprintf("beyond the first %d segments", maxSegments)]++
		default:
			segs = append(segs, stamped{rec.Time.UnixNano(), p})
		}
	}
	// Interfaces of one capture may interleave their packets out of time
	// order; the observer needs them in order.
	slices.SortStableFunc(segs, func(a, b stamped) int { return cmp.Compare(a.ns, b.ns) })
	g := grouper{current: map[pairKey]*conn{}}
	for i := range segs {
		segs[i].p.at = clock.Instant(segs[i].ns - segs[0].ns)
		g.add(&segs[i].p)
	}
	for _, c := range g.conns {
		rep.Connections = append(rep.Connections, c.report())
	}
	return rep, nil
}

// decodeRecord decodes the TCP segment in a record, or says why it holds
// none we can follow.
func decodeRecord(rec pcap.Record) (packet, skipReason) {
	ip, why := networkPacket(rec.LinkType, rec.Data)
	if why != "" {
		if why == "unsupported link type" {
			why = skipReason(fmt.Sprintf("link type %d", rec.LinkType))
		}
		return packet{}, why
	}
	p, why := decodeTCP(ip, 0)
	if why == "" && p.src == p.dst {
		why = "connection to itself"
	}
	return p, why
}

// report builds the Connection that c's observation gives.
func (c *conn) report() *Connection {
	out := &Connection{First: c.first, Last: c.last}
	for _, e := range c.obs.ends {
		if c.obs.peer(e).st.halfCloseBytes > 0 {
			c.obs.closedBySending(e)
		}
	}
	for i, e := range c.obs.ends {
		e.finish(c.last)
		out.Endpoints[i] = Endpoint{Addr: e.addr, Name: e.name, States: e.states()}
		out.Segments += e.st.segs
	}
	out.Verdicts = c.verdicts()
	out.Events = c.obs.finalEvents()
	return out
}
