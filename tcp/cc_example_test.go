package tcp_test

import (
	"log"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

// fixedWindow keeps cwnd where the TCB put it: the initial window, and
// after a loss half of what was in flight.
type fixedWindow struct{ tcp.CongestionWindow }

func (*fixedWindow) Name() string                       { return "fixed" }
func (*fixedWindow) OnAck(tcp.CongestionAck)            {}
func (*fixedWindow) OnLoss(l tcp.CongestionLoss) uint32 { return l.Flight / 2 }
func (*fixedWindow) OnRecoveryEnd(clock.Instant)        {}
func (w *fixedWindow) Undo(prior tcp.CongestionWindow)  { w.Cwnd = max(w.Cwnd, prior.Cwnd) }

// A program registers its own algorithm once, then names it as a host's
// default or per connection, as Linux's TCP_CONGESTION does.
func ExampleRegisterCongestionControl() {
	err := tcp.RegisterCongestionControl("fixed", func() tcp.CongestionControl { return new(fixedWindow) })
	if err != nil {
		log.Fatal(err)
	}
	cfg := tcp.DefaultConfig()
	cfg.CongestionControl = "fixed"
	_ = cfg // tcp.Config for a host (synack.Config.TCP), or per connection:
	// conn.SetCongestionControl("fixed")
}
