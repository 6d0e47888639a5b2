package tcp

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/wire"
)

// stepCC is a controller a program might register: cwnd grows by one MSS
// per ACK of new data outside recovery whatever it acknowledged, a loss
// leaves a third of the flight as ssthresh, and every call is logged.
type stepCC struct {
	CongestionWindow
	log *[]string
}

func (s *stepCC) Name() string { return "test-step" }

func (s *stepCC) OnAck(a CongestionAck) {
	*s.log = append(*s.log, fmt.Sprintf("ack %v acked %d flight %d rtt %v srtt %v rec %v limited %v",
		a.Now, a.Acked, a.Flight, a.RTT, a.SRTT, a.InRecovery, a.CwndLimited))
	if !a.InRecovery {
		s.Cwnd += s.MSS
	}
}

func (s *stepCC) OnLoss(l CongestionLoss) uint32 {
	*s.log = append(*s.log, fmt.Sprintf("loss %v flight %d timeout %v", l.Now, l.Flight, l.Timeout))
	return l.Flight / 3
}

func (s *stepCC) OnRecoveryEnd(now clock.Instant) {
	*s.log = append(*s.log, fmt.Sprintf("recovery end %v", now))
}

func (s *stepCC) Undo(prior CongestionWindow) {
	*s.log = append(*s.log, fmt.Sprintf("undo %d %d", prior.Cwnd, prior.Ssthresh))
}

// stepLog is what every stepCC logs to; the tests using it do not run in
// parallel.
var (
	stepLog      []string
	stepRegister sync.Once
)

// registerStep registers "test-step" once per process and clears its log.
func registerStep(t *testing.T) {
	t.Helper()
	stepRegister.Do(func() {
		if err := RegisterCongestionControl("test-step", func() CongestionControl { return &stepCC{log: &stepLog} }); err != nil {
			t.Fatal(err)
		}
	})
	stepLog = nil
}

// establishedCC returns a fixture like established, but the peer's
// SYN-ACK offered an MSS of 1000 (and nothing else) and the host's
// algorithm is cc.
func establishedCC(t *testing.T, cc string) *fixture {
	f := newFixture(t, func(c *Config) { c.CongestionControl = cc })
	f.tcb = NewActive(&f.cfg, 0, f.params(testISS))
	f.drain()
	f.at(100 * time.Millisecond)
	synAck := Segment{Seq: testIRS, Ack: testISS + 1, Flags: wire.FlagSYN | wire.FlagACK, Window: 65535}
	synAck.Options.MSS, synAck.Options.HasMSS = 1000, true
	f.in(synAck)
	f.expect("<SEQ=1001><ACK=5001><CTL=ACK><LEN=0>")
	return f
}

// A registered controller named in the Config decides the window: it
// sees each ACK of new data with its RTT sample, sets the ssthresh of a
// timeout, and what it grows is what the TCB sends; switching the
// connection to "reno" keeps the window and changes how it grows.
func TestRegisteredCongestionControl(t *testing.T) {
	registerStep(t)
	f := establishedCC(t, "test-step")
	if got := f.tcb.CongestionControl(); got != "test-step" {
		t.Fatalf("CongestionControl() = %q", got)
	}
	f.tcb.Write(make([]byte, 30000))
	// The initial window of RFC 6928, which the TCB sets: 10 segments.
	f.expect(seg(0, 1000), seg(1000, 1000), seg(2000, 1000), seg(3000, 1000), seg(4000, 1000),
		seg(5000, 1000), seg(6000, 1000), seg(7000, 1000), seg(8000, 1000), seg(9000, 1000))
	f.at(200 * time.Millisecond)
	f.in(ack(1000)) // cwnd 11000, 9000 in flight: two more
	f.expect(seg(10000, 1000), seg(11000, 1000))
	f.at(250 * time.Millisecond)
	f.in(ack(5000)) // cwnd 12000 (one MSS, whatever was acknowledged), 7000 in flight
	f.expect(seg(12000, 1000), seg(13000, 1000), seg(14000, 1000), seg(15000, 1000), seg(16000, 1000))
	// RTO = SRTT 100 ms + max(4*RTTVAR 37.5 ms, 200 ms) from 250 ms:
	// ssthresh = 12000/3, cwnd one segment.
	f.at(549 * time.Millisecond)
	f.expect()
	f.at(550 * time.Millisecond)
	f.expect(seg(5000, 1000))
	if w := f.tcb.cc.win(); w.Cwnd != 1000 || w.Ssthresh != 4000 {
		t.Fatalf("after the RTO cwnd %d ssthresh %d, want 1000 4000", w.Cwnd, w.Ssthresh)
	}
	f.at(650 * time.Millisecond)
	f.in(ack(6000)) // cwnd 2000: go back N from SND.NXT = 6000
	f.expect(seg(6000, 1000), seg(7000, 1000))
	want := []string{
		"ack 0.200000s acked 1000 flight 9000 rtt 100ms srtt 100ms rec false limited true",
		"ack 0.250000s acked 4000 flight 7000 rtt 0s srtt 100ms rec false limited true",
		"loss 0.550000s flight 12000 timeout true",
		"ack 0.650000s acked 1000 flight 11000 rtt 0s srtt 100ms rec false limited true",
	}
	if !slices.Equal(stepLog, want) {
		t.Fatalf("the controller saw\n  %v\nwant\n  %v", stepLog, want)
	}

	// TCP_CONGESTION on the running connection: the window carries over
	// and Reno's slow start (RFC 5681 §3.1) grows it from there.
	if err := f.tcb.SetCongestionControl("reno"); err != nil {
		t.Fatal(err)
	}
	if got := f.tcb.CongestionControl(); got != "reno" {
		t.Fatalf("CongestionControl() = %q after the switch", got)
	}
	if w := f.tcb.cc.win(); w.Cwnd != 2000 || w.Ssthresh != 4000 || w.MSS != 1000 {
		t.Fatalf("after the switch %+v, want cwnd 2000 ssthresh 4000 MSS 1000", *w)
	}
	f.at(700 * time.Millisecond)
	f.in(ack(8000)) // 2000 acked: cwnd 4000 = ssthresh
	f.expect(seg(8000, 1000), seg(9000, 1000), seg(10000, 1000), seg(11000, 1000))
	if len(stepLog) != len(want) {
		t.Fatalf("the old controller still hears of ACKs: %v", stepLog[len(want):])
	}
}

// Each connection chooses its own algorithm: OpenParams overrides the
// host's default for one, and an unknown name is ENOENT as Linux's
// setsockopt(TCP_CONGESTION) answers, leaving the algorithm as it was.
func TestCongestionControlPerConnection(t *testing.T) {
	cfg := DefaultConfig()
	p := OpenParams{ISS: testISS, MSS: 1460, DefaultMSS: 536}
	a := NewActive(&cfg, 0, p)
	p.CongestionControl = "reno"
	b := NewActive(&cfg, 0, p)
	if a.CongestionControl() != "cubic" || b.CongestionControl() != "reno" {
		t.Fatalf("algorithms %q and %q, want cubic and reno", a.CongestionControl(), b.CongestionControl())
	}
	if err := a.SetCongestionControl("vegas"); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("SetCongestionControl(vegas) = %v, want ENOENT", err)
	}
	if a.CongestionControl() != "cubic" {
		t.Fatalf("a refused name changed the algorithm to %q", a.CongestionControl())
	}
	if err := CheckCongestionControl("vegas"); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("CheckCongestionControl(vegas) = %v, want ENOENT", err)
	}
	if err := CheckCongestionControl(""); err != nil {
		t.Fatalf("CheckCongestionControl(\"\") = %v, want the default", err)
	}
}

// Registration refuses a name taken (EEXIST, as Linux), an empty or too
// long one, and lists the algorithms sorted.
func TestRegisterCongestionControl(t *testing.T) {
	registerStep(t)
	newCC := func() CongestionControl { return new(renoCC) }
	if err := RegisterCongestionControl("cubic", newCC); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("registering cubic again = %v, want EEXIST", err)
	}
	for _, name := range []string{"", "sixteen-bytes-xx"} {
		if err := RegisterCongestionControl(name, newCC); err == nil {
			t.Errorf("registering %q succeeded", name)
		}
	}
	if got := CongestionControls(); !slices.Equal(got, []string{"cubic", "reno", "test-step"}) {
		t.Errorf("CongestionControls() = %v", got)
	}
}
