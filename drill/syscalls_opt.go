package drill

import (
	"fmt"
	"syscall"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// Linux's defaults for the options getsockopt reads before any is set.
const (
	linuxDefaultMSS = 536 // TCP_MSS_DEFAULT, TCP_MAXSEG before a connection
	linuxKeepIdle   = 7200
	linuxKeepIntvl  = 75
	linuxKeepCnt    = 9
)

// optArgs evaluates a socket option's level and name.
func optArgs(c *Syscall) (optKey, error) {
	level, err := evalInt(c.Args[1])
	if err != nil {
		return optKey{}, err
	}
	name, err := evalInt(c.Args[2])
	if err != nil {
		return optKey{}, err
	}
	if level == linuxSymbols["IPPROTO_TCP"] {
		level = linuxSymbols["SOL_TCP"]
	}
	return optKey{level, name}, nil
}

// callSetsockopt: setsockopt(fd, level, name, [value] or {onoff, linger},
// len) for the options synack has an equivalent of.
func (r *runner) callSetsockopt(c *Syscall, s *sock) (attempt, error) {
	k, err := optArgs(c)
	if err != nil {
		return nil, err
	}
	if k == optLinger {
		onoff, linger, err := lingerArg(c.Args[3])
		if err != nil {
			return nil, err
		}
		if onoff != 0 && linger != 0 {
			return nil, &UnsupportedError{Reason: "SO_LINGER with a timeout (close blocking until the data is acknowledged)"}
		}
		return func() outcome {
			s.opts.linger0 = onoff != 0
			return returned(0)
		}, nil
	}
	v, err := evalPointed(c.Args[3])
	if err != nil {
		return nil, err
	}
	return func() outcome {
		o := &s.opts
		switch k {
		case optReuseAddr:
			o.reuseAddr = v != 0
		case optNoDelay:
			o.noDelay = v != 0
		case optKeepAlive:
			o.keepAlive, o.keepSet = v != 0, true
		case optMaxSeg:
			// Linux: in [TCP_MIN_MSS, MAX_TCP_WINDOW]; it shapes the SYN,
			// so it applies to later connections only.
			if v < stack.MinMaxSegment || v > stack.MaxMaxSegment {
				return errored(syscall.EINVAL)
			}
			o.maxSeg = int(v)
			if s.ln != nil {
				if err := s.ln.SetOptions(stack.OpenOptions{MaxSegment: o.maxSeg}); err != nil {
					return errored(errnoOf(err))
				}
			}
		case optKeepIdle, optKeepIntvl, optKeepCnt:
			if v < 1 || v > 32767 {
				return errored(syscall.EINVAL)
			}
			o.keepSet = true
			switch k {
			case optKeepIdle:
				o.keepIdle = int(v)
			case optKeepIntvl:
				o.keepIntvl = int(v)
			default:
				o.keepCnt = int(v)
			}
		default:
			return errored(syscall.ENOPROTOOPT)
		}
		if s.conn != nil {
			o.apply(s.conn)
		}
		return returned(0)
	}, nil
}

// lingerArg reads {onoff=N, linger=M}.
func lingerArg(e Expr) (onoff, linger int64, err error) {
	on, ok1 := field(e, "onoff")
	l, ok2 := field(e, "linger")
	if e.Kind != ExprStruct || !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("expected {onoff=N, linger=M}, found %s", formatExpr(e))
	}
	if onoff, err = evalInt(on); err == nil {
		linger, err = evalInt(l)
	}
	return onoff, linger, err
}

// callGetsockopt: getsockopt(fd, level, name, [value], [len]) compares
// the option's value and length with the script's.
func (r *runner) callGetsockopt(c *Syscall, s *sock) (attempt, error) {
	k, err := optArgs(c)
	if err != nil {
		return nil, err
	}
	return func() outcome {
		var v int64
		o := &s.opts
		switch k {
		case optMaxSeg:
			// Linux reads the send MSS once connected; before, the value
			// set, or 536.
			v = int64(orDefault(o.maxSeg, linuxDefaultMSS))
			if s.conn != nil {
				v = int64(s.conn.Info().MSS)
			}
		case optNoDelay:
			v = b2i(o.noDelay)
		case optReuseAddr:
			v = b2i(o.reuseAddr)
		case optKeepAlive:
			v = b2i(o.keepAlive)
		case optError:
			v = int64(s.takeErr())
		case optKeepIdle:
			v = int64(orDefault(o.keepIdle, linuxKeepIdle))
		case optKeepIntvl:
			v = int64(orDefault(o.keepIntvl, linuxKeepIntvl))
		case optKeepCnt:
			v = int64(orDefault(o.keepCnt, linuxKeepCnt))
		default:
			return errored(syscall.ENOPROTOOPT)
		}
		out := returned(0)
		out.mismatch = compareOut("option value", c.Args[3], v)
		if out.mismatch == "" {
			out.mismatch = compareOut("option length", c.Args[4], 4)
		}
		return out
	}, nil
}

// compareOut compares a "[N]" output argument with the actual value; "..."
// matches anything.
func compareOut(what string, e Expr, actual int64) string {
	if e.Kind == ExprEllipsis {
		return ""
	}
	want, err := evalPointed(e)
	if err != nil {
		return err.Error()
	}
	if want != actual {
		return fmt.Sprintf("%s: expected %d, actual %d", what, want, actual)
	}
	return ""
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func orDefault(v, d int) int {
	if v > 0 {
		return v
	}
	return d
}

// callFcntl: fcntl(fd, F_GETFL) returns O_RDWR with O_NONBLOCK when set;
// fcntl(fd, F_SETFL, flags) sets or clears O_NONBLOCK.
func (r *runner) callFcntl(c *Syscall, s *sock) (attempt, error) {
	if len(c.Args) < 2 {
		return nil, fmt.Errorf("no command")
	}
	cmd, err := evalInt(c.Args[1])
	if err != nil {
		return nil, err
	}
	nb := linuxSymbols["O_NONBLOCK"]
	if cmd == linuxSymbols["F_GETFL"] {
		return func() outcome {
			v := linuxSymbols["O_RDWR"]
			if s.nonblock {
				v |= nb
			}
			return returned(v)
		}, nil
	}
	if len(c.Args) != 3 {
		return nil, fmt.Errorf("F_SETFL takes 3 arguments")
	}
	flags, err := evalInt(c.Args[2])
	if err != nil {
		return nil, err
	}
	return func() outcome {
		s.nonblock = flags&nb != 0
		return returned(0)
	}, nil
}

// callIoctl: ioctl(fd, SIOCINQ, [n]) compares the bytes readable (a FIN
// is not counted); SIOCOUTQ the bytes sent and not acknowledged or not
// sent yet. On a listener both fail with EINVAL.
func (r *runner) callIoctl(c *Syscall, s *sock) (attempt, error) {
	req, err := evalInt(c.Args[1])
	if err != nil {
		return nil, err
	}
	return func() outcome {
		if s.ln != nil {
			return errored(syscall.EINVAL)
		}
		var v int64
		if s.conn != nil {
			if req == linuxSymbols["SIOCINQ"] {
				v = int64(s.conn.Status().Readable)
			} else {
				in := s.conn.Info()
				v = int64(in.Unacked + in.Unsent)
			}
		}
		out := returned(0)
		out.mismatch = compareOut("ioctl value", c.Args[2], v)
		return out
	}, nil
}

// callPoll: poll([{fd=F, events=E, revents=R}, ...], n, timeout) returns
// the number of descriptors with events and compares each revents. It
// returns 0 once the timeout has passed on the virtual clock.
func (r *runner) callPoll(c *Syscall) (attempt, error) {
	list := c.Args[0]
	if list.Kind != ExprList {
		return nil, fmt.Errorf("expected a list of pollfd, found %s", formatExpr(list))
	}
	type pollfd struct{ fd, events, revents int64 }
	var fds []pollfd
	for _, e := range list.Elems {
		var p pollfd
		for _, f := range []struct {
			name string
			v    *int64
		}{{"fd", &p.fd}, {"events", &p.events}, {"revents", &p.revents}} {
			x, ok := field(e, f.name)
			if !ok {
				return nil, fmt.Errorf("pollfd without %s", f.name)
			}
			v, err := evalInt(x)
			if err != nil {
				return nil, err
			}
			*f.v = v
		}
		fds = append(fds, p)
	}
	timeout, err := evalInt(c.Args[2])
	if err != nil {
		return nil, err
	}
	deadline := clock.Never
	if timeout >= 0 {
		deadline = r.now.Add(time.Duration(timeout) * time.Millisecond)
	}
	return func() outcome {
		n := 0
		got := make([]int64, len(fds))
		for i, p := range fds {
			got[i] = r.pollEvents(int(p.fd)) & (p.events | pollAlways)
			if got[i] != 0 {
				n++
			}
		}
		if n == 0 && r.now < deadline {
			return outcome{}
		}
		out := returned(int64(n))
		for i, p := range fds {
			if got[i] != p.revents {
				out.mismatch = fmt.Sprintf("revents of fd %d: expected %#x, actual %#x", p.fd, p.revents, got[i])
				break
			}
		}
		return out
	}, nil
}

// pollAlways are the events poll reports whether asked for or not.
var pollAlways = linuxSymbols["POLLERR"] | linuxSymbols["POLLHUP"] | linuxSymbols["POLLNVAL"]

// pollEvents computes a descriptor's poll events as Linux's tcp_poll does.
func (r *runner) pollEvents(fd int) int64 {
	sym := linuxSymbols
	s := r.socks[fd]
	switch {
	case s == nil:
		return sym["POLLNVAL"]
	case s.ln != nil:
		if len(s.pending) == 0 {
			if c, _ := s.ln.Accept(); c != nil {
				s.pending = append(s.pending, c)
			}
		}
		if len(s.pending) > 0 {
			return sym["POLLIN"] | sym["POLLRDNORM"]
		}
		return 0
	case s.conn == nil:
		return sym["POLLOUT"] | sym["POLLWRNORM"] | sym["POLLHUP"]
	}
	st := s.conn.Status()
	var ev int64
	if st.Err != 0 && !s.errTaken {
		ev |= sym["POLLERR"]
	}
	if st.State == tcp.Closed {
		ev |= sym["POLLHUP"]
	}
	if st.State == tcp.SynSent || st.State == tcp.SynReceived {
		return ev
	}
	if st.Readable > 0 || st.ReadDone {
		ev |= sym["POLLIN"] | sym["POLLRDNORM"]
	}
	if st.ReadDone && st.State != tcp.Closed {
		ev |= sym["POLLRDHUP"]
	}
	if st.Writable > 0 {
		ev |= sym["POLLOUT"] | sym["POLLWRNORM"]
	}
	return ev
}
