//go:build linux

package kernel

import (
	"io"
	"net"
	"net/netip"
	"syscall"
	"testing"

	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
	"github.com/synack-net/synack/wire"
)

// TestTimeWaitTakenOverByKernel: synack serves 4 MiB and closes first, so
// its end holds the 4-tuple in TIME_WAIT with SND.NXT far ahead of where
// the ISN clock has gone in that time. The kernel connects again from the
// same port; its SYN, with a later timestamp, takes the 4-tuple over
// (RFC 6191): synack's next segment on it is the new incarnation's
// SYN-ACK, not TIME_WAIT's ACK, and its ISS is the old SND.NXT + 65537
// (RFC 1122 §4.2.2.13 wants it past the old sequence space; the offset is
// Linux's tw_isn). Data then flows both ways on the new connection.
func TestTimeWaitTakenOverByKernel(t *testing.T) {
	e := newEnvWith(t, envOptions{record: []trace.Kind{trace.KindState, trace.KindSend}})
	ln := e.synackListen(0)
	server := addrPort(ln.Addr())
	// The kernel end's port, free in the namespace: the first dial picks
	// it, the second binds it again.
	var clientPort uint16
	dialFrom := func() *net.TCPConn {
		t.Helper()
		var c net.Conn
		err := e.ns.Do(func() (err error) {
			d := net.Dialer{
				Timeout:   dialTimeout,
				LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(kernelIP, clientPort)),
				Control: func(_, _ string, rc syscall.RawConn) error {
					var serr error
					err := rc.Control(func(fd uintptr) {
						serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
					})
					if err != nil {
						return err
					}
					return serr
				},
			}
			c, err = d.Dial("tcp4", server.String())
			return err
		})
		if err != nil {
			t.Fatalf("kernel dial from port %d: %v", clientPort, err)
		}
		return c.(*net.TCPConn)
	}

	k1 := dialFrom()
	clientPort = addrPort(k1.LocalAddr()).Port()
	s1, err := ln.AcceptTCP()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	const size = 4 << 20
	go func() { s1.Write(make([]byte, size)); s1.Close() }()
	if n, err := io.Copy(io.Discard, k1); n != size || err != nil {
		t.Fatalf("kernel read %d bytes, %v; want %d", n, err, size)
	}
	k1.Close()
	waitFor(t, closeLimit, "synack's end is not in TIME_WAIT", func() bool { return s1.State() == tcp.TimeWait })
	// The kernel, the passive closer, lets go of the 4-tuple after LAST_ACK.
	waitFor(t, closeLimit, "the kernel still has a socket for the connection", func() bool {
		return len(e.kernelSockets(addrPort(k1.LocalAddr()))) == 0
	})
	oldSent := e.rec.of(server)
	var oldNxt uint32
	for _, ev := range oldSent {
		if ev.Kind == trace.KindSend && ev.Segment.Flags&wire.FlagFIN != 0 {
			oldNxt = ev.Segment.Seq + uint32(ev.Segment.Len) + 1
		}
	}
	if oldNxt == 0 {
		t.Fatal("no FIN from synack recorded")
	}

	k2 := dialFrom()
	defer k2.Close()
	s2, err := ln.AcceptTCP()
	if err != nil {
		t.Fatalf("accept of the new incarnation: %v", err)
	}
	defer s2.Close()
	var next *trace.Event
	for _, ev := range e.rec.of(server)[len(oldSent):] {
		if ev.Kind == trace.KindSend && ev.Remote == addrPort(k2.LocalAddr()) {
			next = &ev
			break
		}
	}
	switch {
	case next == nil:
		t.Fatal("synack sent nothing on the 4-tuple after TIME_WAIT")
	case next.Segment.Flags&(wire.FlagSYN|wire.FlagACK) != wire.FlagSYN|wire.FlagACK:
		t.Fatalf("synack's first segment after the new SYN has flags %v; want the SYN-ACK", next.Segment.Flags)
	case next.Segment.Seq != oldNxt+65537:
		t.Errorf("new incarnation's ISS %d; want the old SND.NXT %d + 65537 = %d", next.Segment.Seq, oldNxt, oldNxt+65537)
	}
	go func() { s2.Write([]byte("pong")); s2.CloseWrite() }()
	if _, err := k2.Write([]byte("ping")); err != nil {
		t.Fatalf("kernel write: %v", err)
	}
	if b, err := io.ReadAll(k2); string(b) != "pong" || err != nil {
		t.Fatalf("kernel read %q, %v; want pong", b, err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(s2, buf); string(buf) != "ping" || err != nil {
		t.Fatalf("synack read %q, %v; want ping", buf, err)
	}
}
