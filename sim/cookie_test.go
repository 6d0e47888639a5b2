package sim

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/wire"
)

// cookiePair is a pair whose server answers every SYN with a cookie.
func cookiePair(t *testing.T, client ...HostConfig) *pair {
	w := New(1)
	p := &pair{w: w, a: w.AddHost("A", addrA, client...), b: w.AddHost("B", addrB, func(c *stack.Config) { c.SynCookies = stack.SynCookiesAlways })}
	ln, err := p.b.Listen(0, portB, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	return p
}

// In SynCookiesAlways mode a listener keeps nothing for a SYN: the
// connection is made from the cookie in the final ACK, with the window
// scale and SACK that the SYN-ACK's timestamp carried, and data flows.
func TestCookieAlwaysKeepsOptionsInTheTimestamp(t *testing.T) {
	p := cookiePair(t)
	ca := p.connect(t, 0)
	p.w.Run(time.Millisecond)
	if c := p.b.Census(); c.SynQueue != 0 {
		t.Fatalf("the server keeps %d half-open requests", c.SynQueue)
	}
	cb := p.accept(t, 10*time.Millisecond)
	p.w.Run(20 * time.Millisecond)
	k := p.b.Counters()
	if k.SyncookiesSent != 1 || k.SyncookiesRecv != 1 {
		t.Fatalf("cookies sent %d, received %d", k.SyncookiesSent, k.SyncookiesRecv)
	}
	ib, ia := (*cb).Info(), (*ca).Info()
	if !ib.SACK || ib.SndWScale != ia.RcvWScale || !ib.Timestamps || ia.SndWScale != ib.RcvWScale {
		t.Fatalf("server: SACK %v, shift %d (client's %d), TS %v; client's shift %d (server's %d)",
			ib.SACK, ib.SndWScale, ia.RcvWScale, ib.Timestamps, ia.SndWScale, ib.RcvWScale)
	}
	a := p.w.Attach(*ca, &App{Send: pattern(200000, 1), ShutdownAfterSend: true})
	b := p.w.Attach(*cb, &App{Send: pattern(200000, 2), CloseOnEOF: true})
	p.w.Run(10 * time.Second)
	checkDelivered(t, a, b, 200000)
}

// Without timestamps a cookie keeps only the MSS: the SYN-ACK then
// offers neither window scaling nor SACK, so that neither end uses
// options the other does not know of; the connection works without them.
func TestCookieWithoutTimestampsOffersNoOptions(t *testing.T) {
	noTS := tcp.DefaultConfig()
	noTS.Timestamps = false
	p := cookiePair(t, WithTCP(noTS))
	ca := p.connect(t, 0)
	cb := p.accept(t, 10*time.Millisecond)
	p.w.Run(20 * time.Millisecond)
	var synAck *wire.TCPOptions
	for _, e := range p.w.Trace.Events {
		if e.Host == "B" && e.Segment.Flags == wire.FlagSYN|wire.FlagACK {
			synAck = &e.Segment.Options
		}
	}
	if synAck == nil || synAck.HasWScale || synAck.SACKPermitted || synAck.HasTS || !synAck.HasMSS {
		t.Fatalf("the cookie SYN-ACK offered %+v, want the MSS alone", synAck)
	}
	ia, ib := (*ca).Info(), (*cb).Info()
	if ia.SndWScale != 0 || ib.SndWScale != 0 || ia.SACK || ib.SACK {
		t.Fatalf("window scale %d/%d, SACK %v/%v", ia.SndWScale, ib.SndWScale, ia.SACK, ib.SACK)
	}
	a := p.w.Attach(*ca, &App{Send: pattern(300000, 1), ShutdownAfterSend: true})
	b := p.w.Attach(*cb, &App{Send: pattern(300000, 2), CloseOnEOF: true})
	p.w.Run(20 * time.Second)
	checkDelivered(t, a, b, 300000)
}

// A forged cookie (an ACK for an ISS the listener never sent) is counted
// and reset as a segment for no connection; the data of a valid cookie's
// ACK is kept.
func TestCookieForgedAndWithData(t *testing.T) {
	p := cookiePair(t)
	raw := p.w.AddRaw("X", netip.MustParseAddr("10.0.0.3"))
	src := netip.MustParseAddrPort("10.0.0.3:4000")
	p.w.At(0, func() { raw.Send(rawSegment(src, portB, 1000, 123456, wire.FlagACK, nil)) })
	p.w.Run(time.Millisecond)
	if k := p.b.Counters(); k.SyncookiesFailed != 1 || len(raw.Received) != 1 || tcpFlags(raw.Received[0]) != wire.FlagRST {
		t.Fatalf("forged cookie: failed %d, answers %d", k.SyncookiesFailed, len(raw.Received))
	}
	// A SYN, then the ACK of the cookie SYN-ACK with 5 bytes of data.
	p.w.At(time.Millisecond, func() { raw.Send(rawSegment(src, portB, 2000, 0, wire.FlagSYN, nil)) })
	p.w.Run(2 * time.Millisecond)
	synAck := wire.TCP(wire.IPv4(raw.Received[1]).Payload())
	p.w.At(2*time.Millisecond, func() {
		raw.Send(rawSegment(src, portB, 2001, synAck.Seq()+1, wire.FlagACK|wire.FlagPSH, []byte("hello")))
	})
	cb := p.accept(t, 3*time.Millisecond)
	p.w.Run(4 * time.Millisecond)
	buf := make([]byte, 16)
	n, _ := (*cb).Read(buf)
	if !bytes.Equal(buf[:n], []byte("hello")) || p.b.Counters().SyncookiesRecv != 1 {
		t.Fatalf("read %q from the cookie's connection", buf[:n])
	}
}

// A rebooted host draws new secrets: the final ACK for a cookie it sent
// before the reboot (or a keep-alive probe from a peer of its last life,
// numbered the same way) does not bring a connection back from the dead
// (explorer seed 2052401).
func TestCookieOfTheLastLifeFails(t *testing.T) {
	p := cookiePair(t)
	raw := p.w.AddRaw("X", netip.MustParseAddr("10.0.0.3"))
	src := netip.MustParseAddrPort("10.0.0.3:4000")
	p.w.At(0, func() { raw.Send(rawSegment(src, portB, 2000, 0, wire.FlagSYN, nil)) })
	p.w.Run(time.Millisecond)
	synAck := wire.TCP(wire.IPv4(raw.Received[0]).Payload())
	p.w.At(time.Millisecond, func() {
		p.b.Crash()
		if _, err := p.b.Listen(0, portB, 0); err != nil {
			t.Fatal(err)
		}
		raw.Send(rawSegment(src, portB, 2001, synAck.Seq()+1, wire.FlagACK, nil))
	})
	p.w.Run(2 * time.Millisecond)
	k := p.b.Counters()
	if k.SyncookiesRecv != 0 || k.SyncookiesFailed != 1 || len(raw.Received) != 2 || tcpFlags(raw.Received[1]) != wire.FlagRST {
		t.Fatalf("after the reboot: cookies received %d, failed %d, %d answers", k.SyncookiesRecv, k.SyncookiesFailed, len(raw.Received))
	}
}
