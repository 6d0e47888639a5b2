package tcp

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// FuzzTCBSegments feeds an established TCB (with data queued in both
// directions) arbitrary segments at arbitrary times. It must never panic,
// never send without end, and keep its invariants (CheckInvariants).
func FuzzTCBSegments(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0x10, 0xff, 0xff, 10, 5})
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 101, 0x11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0, 0x02, 0, 1, 0, 200})
	f.Fuzz(func(t *testing.T, in []byte) {
		fx := established(t, nil)
		fx.tcb.Write(make([]byte, 5000))
		fx.drain()
		for len(in) >= 13 {
			s := Segment{
				Seq:    testIRS + 1 + Seq(binary.BigEndian.Uint32(in[0:])),
				Ack:    testISS + 1 + Seq(binary.BigEndian.Uint32(in[4:])),
				Flags:  wire.TCPFlags(in[8]),
				Window: binary.BigEndian.Uint16(in[9:]),
			}
			s.Payload = make([]byte, int(in[11])*16)
			fx.now += clock.Instant(time.Duration(in[12]) * 10 * time.Millisecond)
			in = in[13:]
			fx.tcb.Deliver(fx.now, &s)
			fx.drain()
			if fx.tcb.NextDeadline() <= fx.now {
				fx.tcb.Tick(fx.now)
				fx.drain()
			}
			fx.tcb.Read(make([]byte, 4096))
			if err := fx.tcb.CheckInvariants(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
