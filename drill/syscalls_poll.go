package drill

import (
	"fmt"
	"time"

	"github.com/synack-net/synack/clock"
	"github.com/synack-net/synack/tcp"
)

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
