package drill

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/stack"
)

// maxIO bounds the byte count of one read or write.
const maxIO = 1 << 24

// zeros is the payload of every write: scripts send zero bytes.
var zeros [1 << 16]byte

// prepare checks a call's arguments and returns the attempt that runs
// it. Errors are script errors, or *UnsupportedError.
func (r *runner) prepare(c *Syscall) (attempt, error) {
	want := func(n int) error {
		if len(c.Args) != n {
			return fmt.Errorf("takes %d arguments, not %d", n, len(c.Args))
		}
		return nil
	}
	switch c.Name {
	case "socket":
		if err := want(3); err != nil {
			return nil, err
		}
		return r.callSocket(c)
	case "poll":
		if err := want(3); err != nil {
			return nil, err
		}
		return r.callPoll(c)
	}
	// Every other call takes a file descriptor first.
	if len(c.Args) == 0 {
		return nil, fmt.Errorf("no file descriptor")
	}
	fdv, err := evalInt(c.Args[0])
	if err != nil {
		return nil, err
	}
	fd := int(fdv)
	s := r.socks[fd]
	if s == nil {
		return func() outcome { return errored(syscall.EBADF) }, nil
	}
	n := map[string]int{"bind": 3, "listen": 2, "accept": 3, "connect": 3, "read": 3, "write": 3,
		"send": 4, "recv": 4, "close": 1, "shutdown": 2, "setsockopt": 5, "getsockopt": 5, "ioctl": 3}[c.Name]
	if n > 0 {
		if err := want(n); err != nil {
			return nil, err
		}
	}
	switch c.Name {
	case "bind":
		return r.callBind(s), nil
	case "listen":
		return r.callListen(c, s)
	case "accept":
		return r.callAccept(c, s), nil
	case "connect":
		return r.callConnect(s), nil
	case "read", "recv":
		return r.callRead(c, s)
	case "write", "send":
		return r.callWrite(c, s)
	case "close":
		return r.callClose(fd, s), nil
	case "shutdown":
		return r.callShutdown(c, s)
	case "setsockopt":
		return r.callSetsockopt(c, s)
	case "getsockopt":
		return r.callGetsockopt(c, s)
	case "fcntl":
		return r.callFcntl(c, s)
	case "ioctl":
		return r.callIoctl(c, s)
	}
	return nil, &UnsupportedError{Reason: "system call " + c.Name}
}

// callSocket: socket(domain, type, protocol) = fd makes fd the socket
// under test.
func (r *runner) callSocket(c *Syscall) (attempt, error) {
	typ, err := evalInt(c.Args[1])
	if err != nil {
		return nil, err
	}
	return func() outcome {
		fd := int(c.Result)
		if fd < 0 {
			// A script expecting socket() to fail: give the socket the
			// first free descriptor; the check reports the success.
			fd = 3
			for r.socks[fd] != nil {
				fd++
			}
		}
		s := &sock{nonblock: typ&linuxSymbols["SOCK_NONBLOCK"] != 0}
		r.socks[fd] = s
		r.sut = s
		return returned(int64(fd))
	}, nil
}

// callBind: bind(fd, ..., ...) binds the local test address, port 8080.
func (r *runner) callBind(s *sock) attempt {
	return func() outcome {
		if s.bound || s.conn != nil {
			return errored(syscall.EINVAL)
		}
		s.bound = true
		return returned(0)
	}
}

// callListen: listen(fd, backlog). Linux lets backlog+1 connections
// wait in the accept queue; synack's bound is exact, hence the +1.
func (r *runner) callListen(c *Syscall, s *sock) (attempt, error) {
	backlog, err := evalInt(c.Args[1])
	if err != nil {
		return nil, err
	}
	return func() outcome {
		switch {
		case s.ln != nil:
			return returned(0)
		case s.conn != nil:
			return errored(syscall.EINVAL)
		}
		local, _ := r.fam.addrs()
		ln, err := r.host().Listen(r.now, netip.AddrPortFrom(local, scriptPort), int(max(min(backlog, 4096), 0))+1)
		if err != nil {
			return errored(errnoOf(err))
		}
		if err := ln.SetOptions(s.opts.openOptions()); err != nil {
			ln.Close(r.now)
			return errored(errnoOf(err))
		}
		s.ln, s.bound, s.state = ln, true, sockListening
		return returned(0)
	}, nil
}

// callAccept: accept(fd, ..., ...) = newfd returns a connection whose
// handshake completed and binds newfd to it.
func (r *runner) callAccept(c *Syscall, s *sock) attempt {
	return func() outcome {
		if s.ln == nil {
			return errored(syscall.EINVAL)
		}
		conn, err := r.takeAccepted(s)
		if err != nil {
			return errored(errnoOf(err))
		}
		if conn == nil {
			return wouldBlock(s.nonblock)
		}
		child := r.sockFor(conn.Tuple())
		child.conn = conn
		child.opts = s.opts
		child.opts.apply(conn, allOpts)
		fd := int(c.Result)
		r.socks[fd] = child
		return returned(int64(fd))
	}
}

// sockFor returns the socket the script knows for a connection's tuple
// (made by the inbound packet that opened it), or a new one.
func (r *runner) sockFor(t stack.Tuple) *sock {
	for _, s := range r.children {
		if s.hasTuple && s.tuple == t {
			return s
		}
	}
	return &sock{state: sockPassiveSynAck, tuple: t, hasTuple: true}
}

// takeAccepted returns a connection of the listener's accept queue
// (first those poll() already took), nil if none is waiting.
func (r *runner) takeAccepted(s *sock) (*stack.Conn, error) {
	if len(s.pending) > 0 {
		c := s.pending[0]
		s.pending = s.pending[1:]
		return c, nil
	}
	return s.ln.Accept()
}

// errnoOf returns the errno an error from synack carries (EINVAL if it
// carries none).
func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EINVAL
}
