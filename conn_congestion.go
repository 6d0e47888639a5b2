package synack

import "github.com/synack-net/synack/tcp"

// SetCongestionControl chooses the connection's congestion control
// algorithm by name, as Linux's TCP_CONGESTION socket option does:
// "cubic", "reno" or one registered with tcp.RegisterCongestionControl.
// Each connection starts with Config.TCP.CongestionControl; the window
// carries over to the new algorithm. An unknown name is ENOENT, as in
// Linux.
func (c *Conn) SetCongestionControl(name string) error {
	var err error
	c.c.Configure(func(t *tcp.TCB) { err = t.SetCongestionControl(name) })
	if err != nil {
		return c.opErr("set", err)
	}
	return nil
}

// CongestionControl returns the name of the connection's congestion
// control algorithm (getsockopt TCP_CONGESTION), or "" once it is in
// TIME_WAIT, where no sender state is left.
func (c *Conn) CongestionControl() string {
	var name string
	c.c.Configure(func(t *tcp.TCB) { name = t.CongestionControl() })
	return name
}
