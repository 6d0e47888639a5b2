package tcp

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
)

// The congestion control algorithms by name, as Linux's
// tcp_register_congestion_control keeps them: "cubic" (RFC 9438, the
// default) and "reno" built in, and any a program registers.

// CongestionControlNameMax is the longest algorithm name, in bytes
// (Linux's TCP_CA_NAME_MAX less the terminating NUL).
const CongestionControlNameMax = 15

// DefaultCongestionControl is the algorithm a Config with an empty
// CongestionControl uses (Linux's default net.ipv4.tcp_congestion_control).
const DefaultCongestionControl = "cubic"

// ccRegistry maps names to constructors. Readers load the map without a
// lock; writers, holding ccRegistryMu, replace it with a copy.
var (
	ccRegistry   atomic.Pointer[map[string]func() CongestionControl]
	ccRegistryMu sync.Mutex
)

func init() {
	m := map[string]func() CongestionControl{
		"cubic": func() CongestionControl { return new(cubicCC) },
		"reno":  func() CongestionControl { return new(renoCC) },
	}
	ccRegistry.Store(&m)
}

// RegisterCongestionControl makes an algorithm available under name to
// Config.CongestionControl and SetCongestionControl (Linux's
// tcp_register_congestion_control). newCC returns the controller of one
// connection, with a zero window: the TCB sets its MSS and initial window
// before data flows, or carries the window over when a connection
// changes algorithm. A name already registered is syscall.EEXIST, as in
// Linux; an empty name, or one longer than CongestionControlNameMax, is
// an error.
func RegisterCongestionControl(name string, newCC func() CongestionControl) error {
	if name == "" || len(name) > CongestionControlNameMax || newCC == nil {
		return errors.New("tcp: congestion control needs a name of 1 to 15 bytes and a constructor")
	}
	ccRegistryMu.Lock()
	defer ccRegistryMu.Unlock()
	old := *ccRegistry.Load()
	if _, ok := old[name]; ok {
		return syscall.EEXIST
	}
	m := make(map[string]func() CongestionControl, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[name] = newCC
	ccRegistry.Store(&m)
	return nil
}

// CongestionControls returns the names of the registered algorithms,
// sorted (Linux's net.ipv4.tcp_available_congestion_control).
func CongestionControls() []string {
	m := *ccRegistry.Load()
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// lookupCongestionControl returns the constructor registered under name
// (DefaultCongestionControl for ""), or syscall.ENOENT as Linux's
// TCP_CONGESTION answers an unknown name.
func lookupCongestionControl(name string) (func() CongestionControl, error) {
	if name == "" {
		name = DefaultCongestionControl
	}
	newCC, ok := (*ccRegistry.Load())[name]
	if !ok {
		return nil, syscall.ENOENT
	}
	return newCC, nil
}

// newCongestion returns a new controller of the algorithm name chooses,
// with the initial window for mss. An unknown name (which a host's
// Config validation and SetCongestionControl refuse first) gets the
// default.
func newCongestion(name string, mss uint32) congestion {
	newCC, err := lookupCongestionControl(name)
	if err != nil {
		newCC, _ = lookupCongestionControl("")
	}
	c := congestion{ctl: newCC()}
	w := c.win()
	w.Ssthresh = ccMaxWindow // RFC 5681 §3.1: "arbitrarily high"
	c.setMSS(mss)
	return c
}

// SetCongestionControl changes the connection's algorithm (Linux's
// TCP_CONGESTION socket option): "cubic", "reno" or one registered with
// RegisterCongestionControl. cwnd and ssthresh carry over to the new
// controller, as Linux's tcp_reinit_congestion_control keeps them. An
// unknown name is syscall.ENOENT.
func (t *TCB) SetCongestionControl(name string) error {
	newCC, err := lookupCongestionControl(name)
	if err != nil {
		return err
	}
	c := congestion{ctl: newCC()}
	*c.win() = *t.cc.win()
	c.clamp()
	t.cc = c
	return nil
}

// CongestionControl returns the name of the connection's algorithm.
func (t *TCB) CongestionControl() string { return t.cc.name() }

// CheckCongestionControl reports whether name is a registered algorithm
// (or "", the default): nil, or syscall.ENOENT.
func CheckCongestionControl(name string) error {
	_, err := lookupCongestionControl(name)
	return err
}
