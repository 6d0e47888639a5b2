package drill

import (
	"fmt"
	"syscall"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// optCongestion is TCP_CONGESTION: the connection's congestion control
// algorithm by name, a string rather than an int.
var optCongestion = optKey{6, 13}

// linuxCANameMax is Linux's TCP_CA_NAME_MAX, the size of a name's buffer
// with its terminating NUL.
const linuxCANameMax = 16

// openOptions are the options a connection the socket opens, or its
// listener accepts, starts with.
func (o *sockOpts) openOptions() stack.OpenOptions {
	return stack.OpenOptions{MaxSegment: o.maxSeg, CongestionControl: o.congestion}
}

// callSetCongestion: setsockopt(fd, SOL_TCP, TCP_CONGESTION, "name", len)
// takes at most len bytes of the name (and at most 15, as Linux's
// tcp_setsockopt); an unknown name is ENOENT. On a listener it applies to
// the connections it accepts; before connect, to the connection.
func (r *runner) callSetCongestion(c *Syscall, s *sock) (attempt, error) {
	if len(c.Args) != 5 || c.Args[3].Kind != ExprString {
		return nil, fmt.Errorf("TCP_CONGESTION takes a string and its length")
	}
	n, err := evalInt(c.Args[4])
	if err != nil {
		return nil, err
	}
	name := c.Args[3].Name
	name = name[:min(int64(len(name)), max(n, 0), linuxCANameMax-1)]
	return func() outcome {
		if err := tcp.CheckCongestionControl(name); err != nil || name == "" {
			return errored(syscall.ENOENT)
		}
		switch {
		case s.conn != nil:
			var err error
			s.conn.Configure(func(t *tcp.TCB) { err = t.SetCongestionControl(name) })
			if err != nil {
				return errored(errnoOf(err))
			}
		case s.ln != nil:
			o := s.opts
			o.congestion = name
			if err := s.ln.SetOptions(o.openOptions()); err != nil {
				return errored(errnoOf(err))
			}
		}
		s.opts.congestion = name
		return returned(0)
	}, nil
}

// callGetCongestion: getsockopt(fd, SOL_TCP, TCP_CONGESTION, "name",
// [len]) compares the algorithm's name, as Linux copies min(len, 16)
// bytes of it (NUL padded) and returns that length.
func (r *runner) callGetCongestion(c *Syscall, s *sock) (attempt, error) {
	if len(c.Args) != 5 {
		return nil, fmt.Errorf("getsockopt takes 5 arguments")
	}
	return func() outcome {
		name := s.opts.congestion
		if s.conn != nil {
			s.conn.Configure(func(t *tcp.TCB) { name = t.CongestionControl() })
		}
		if name == "" {
			name = r.cfg.CongestionControl
		}
		out := returned(0)
		n, err := evalPointed(c.Args[4])
		if err != nil {
			out.mismatch = err.Error()
			return out
		}
		n = min(max(n, 0), linuxCANameMax)
		if got := name[:min(int64(len(name)), n)]; c.Args[3].Kind != ExprEllipsis &&
			(c.Args[3].Kind != ExprString || c.Args[3].Name != got) {
			out.mismatch = fmt.Sprintf("option value: expected %s, actual %q", formatExpr(c.Args[3]), got)
			return out
		}
		out.mismatch = compareOut("option length", c.Args[4], n)
		return out
	}, nil
}
