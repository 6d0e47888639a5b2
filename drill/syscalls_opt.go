package drill

import (
	"fmt"
	"math"
	"syscall"
	"time"

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
	if k == optCongestion {
		return r.callSetCongestion(c, s)
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
				if err := s.ln.SetOptions(o.openOptions()); err != nil {
					return errored(errnoOf(err))
				}
			}
		case optUserTimeout:
			// Linux: milliseconds, any non-negative int; 0 turns it off.
			if v < 0 || v > math.MaxInt32 {
				return errored(syscall.EINVAL)
			}
			o.userTimeout, o.userTimeoutSet = int(v), true
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
			o.apply(s.conn, k)
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
	if k == optCongestion {
		return r.callGetCongestion(c, s)
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
		case optUserTimeout:
			// The value set (0 by default), as the TCB holds it once
			// there is one.
			v = int64(o.userTimeout)
			if s.conn != nil {
				s.conn.Configure(func(t *tcp.TCB) { v = int64(t.UserTimeout() / time.Millisecond) })
			}
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
