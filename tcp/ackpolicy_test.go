package tcp

import (
	"fmt"
	"testing"
	"time"

	"github.com/synack-net/synack/wire"
)

// peerAck is a pure ACK from the peer at offset off of its stream,
// acknowledging n bytes of our data.
func peerAck(off, n int) Segment {
	return Segment{Seq: testIRS + 1 + Seq(off), Ack: testISS + 1 + Seq(n), Flags: wire.FlagACK, Window: 65535}
}

// The first QuickAcks data segments of a connection are acknowledged at
// once; then the delayed-ACK rules apply (every second segment, or after
// DelayedAck).
func TestQuickAckAtStart(t *testing.T) {
	f := established(t, func(c *Config) { c.QuickAcks = 3 })
	f.at(time.Second)
	for i := range 3 {
		f.in(data(i*100, 100))
		f.expect(fmt.Sprintf("<SEQ=1001><ACK=%d><CTL=ACK><LEN=0>", 5101+i*100))
	}
	f.in(data(300, 100))
	f.expect()
	f.at(time.Second + 40*time.Millisecond)
	f.expect("<SEQ=1001><ACK=5401><CTL=ACK><LEN=0>")
}

// Quick-ack mode returns when data arrives after the peer was silent for
// longer than the RTO (300 ms here).
func TestQuickAckAfterIdle(t *testing.T) {
	f := established(t, func(c *Config) { c.QuickAcks = 1 })
	f.at(time.Second)
	f.in(data(0, 100))
	f.expect("<SEQ=1001><ACK=5101><CTL=ACK><LEN=0>")
	f.at(time.Second + 200*time.Millisecond)
	f.in(data(100, 100))
	f.expect() // within the RTO: delayed
	f.at(time.Second + 240*time.Millisecond)
	f.expect("<SEQ=1001><ACK=5201><CTL=ACK><LEN=0>")
	f.at(2 * time.Second)
	f.in(data(200, 100))
	f.expect("<SEQ=1001><ACK=5301><CTL=ACK><LEN=0>")
}

// Data sent within DelayedAck of data received puts the connection in
// ping-pong mode: the next request's ACK waits to ride on the answer, and a
// delayed-ACK timer that expires without an answer ends the mode.
func TestPingPongDelaysAcks(t *testing.T) {
	f := established(t, nil)
	f.at(time.Second)
	f.in(data(0, 100))
	f.expect("<SEQ=1001><ACK=5101><CTL=ACK><LEN=0>")
	f.tcb.Write(make([]byte, 10)) // the answer, 0 ms after the request
	f.expect("<SEQ=1001><ACK=5101><CTL=ACK><LEN=10>")
	f.in(peerAck(100, 10))
	f.at(1100 * time.Millisecond)
	f.in(data(100, 100))
	f.expect()
	f.tcb.Write(make([]byte, 10))
	f.expect("<SEQ=1011><ACK=5201><CTL=ACK><LEN=10>")
	f.in(peerAck(200, 20))
	f.at(1200 * time.Millisecond)
	f.in(data(200, 100))
	f.expect()
	f.at(1240 * time.Millisecond) // no answer: the timer ACKs and ends ping-pong
	f.expect("<SEQ=1021><ACK=5301><CTL=ACK><LEN=0>")
	f.at(1250 * time.Millisecond)
	f.in(data(300, 100))
	f.expect("<SEQ=1021><ACK=5401><CTL=ACK><LEN=0>")
}

// A FIN at the start of a connection is acknowledged at once (as Linux
// does); in ping-pong mode its ACK is delayed so that the application's
// own FIN can ride on it (the three-segment close).
func TestFinAckPolicy(t *testing.T) {
	f := established(t, nil)
	f.at(time.Second)
	fin := data(0, 0)
	fin.Flags |= wire.FlagFIN
	f.in(fin)
	f.state(CloseWait)
	f.expect("<SEQ=1001><ACK=5002><CTL=ACK><LEN=0>")

	f = established(t, nil)
	f.at(time.Second)
	f.in(data(0, 100))
	f.expect("<SEQ=1001><ACK=5101><CTL=ACK><LEN=0>")
	f.tcb.Read(make([]byte, 100))
	f.tcb.Write(make([]byte, 10))
	f.expect("<SEQ=1001><ACK=5101><CTL=ACK><LEN=10>")
	fin = peerAck(100, 10)
	fin.Flags |= wire.FlagFIN
	f.in(fin)
	f.state(CloseWait)
	f.expect()
	f.tcb.Close(f.now)
	f.expect("<SEQ=1011><ACK=5102><CTL=FIN,ACK><LEN=0>")
}
