package drill

import (
	"errors"
	"io"
	"net/netip"
	"syscall"

	"github.com/synack-net/synack/tcp"
)

// callConnect: connect(fd, ..., ...) connects to the remote test address,
// port 8080, from an ephemeral port (from 8080 after bind). A
// non-blocking socket returns EINPROGRESS; a later connect() returns
// EALREADY while the handshake goes on, 0 once after it completed, then
// EISCONN. A blocking one returns when the handshake ends.
func (r *runner) callConnect(s *sock) attempt {
	started := s.conn != nil
	return func() outcome {
		if s.ln != nil {
			return errored(syscall.EISCONN)
		}
		if !started {
			started = true
			local, remote := r.fam.addrs()
			from := netip.AddrPort{}
			if s.bound {
				from = netip.AddrPortFrom(local, scriptPort)
			}
			c, err := r.host().ConnectWith(r.now, from, netip.AddrPortFrom(remote, scriptPort),
				s.opts.openOptions())
			if err != nil {
				return errored(errnoOf(err))
			}
			s.conn, s.tuple, s.hasTuple, s.state = c, c.Tuple(), true, sockConnecting
			s.opts.apply(c, allOpts)
			if s.nonblock {
				return errored(syscall.EINPROGRESS)
			}
		}
		switch st := s.conn.Status(); {
		case st.State == tcp.SynSent || st.State == tcp.SynReceived:
			return outcomeIf(s.nonblock, errored(syscall.EALREADY))
		case st.Err != 0 && !s.connected:
			if e := s.takeErr(); e != 0 {
				return errored(e)
			}
			return errored(syscall.ECONNABORTED)
		case s.connected:
			return errored(syscall.EISCONN)
		}
		s.connected = true
		return returned(0)
	}
}

// callRead: read(fd, ..., n) and recv(fd, ..., n, flags) take up to n
// bytes. With nothing to read they return 0 at EOF, the connection's
// error once (then 0), or block.
func (r *runner) callRead(c *Syscall, s *sock) (attempt, error) {
	n, nonblock, err := ioArgs(c, s)
	if err != nil {
		return nil, err
	}
	return func() outcome {
		if s.conn == nil {
			return errored(syscall.ENOTCONN)
		}
		if s.synchronizing() {
			return wouldBlock(nonblock)
		}
		got := 0
		var rerr error
		for got < n {
			m, err := s.conn.Read(r.scratch[:min(n-got, len(r.scratch))])
			got += m
			if m == 0 || err != nil {
				rerr = err
				break
			}
		}
		var e syscall.Errno
		switch {
		case got > 0 || n == 0:
			return returned(int64(got))
		case rerr == nil:
			return wouldBlock(nonblock)
		case errors.Is(rerr, io.EOF):
			return returned(0)
		case errors.As(rerr, &e):
			if s.takeErr() == e {
				return errored(e)
			}
			return returned(0)
		}
		return errored(errnoOf(rerr))
	}, nil
}

// callWrite: write(fd, ..., n) and send(fd, ..., n, flags) queue n zero
// bytes. A blocking call returns once all are queued; a non-blocking one
// returns what fit, or EAGAIN. After SHUT_WR they fail with EPIPE; on a
// failed connection with its error once, then EPIPE.
func (r *runner) callWrite(c *Syscall, s *sock) (attempt, error) {
	n, nonblock, err := ioArgs(c, s)
	if err != nil {
		return nil, err
	}
	written := 0
	return func() outcome {
		if s.conn == nil {
			return errored(syscall.EPIPE)
		}
		if s.synchronizing() {
			return wouldBlock(nonblock)
		}
		for written < n {
			m, err := s.conn.Write(zeros[:min(n-written, len(zeros))])
			written += m
			if err != nil {
				if written > 0 {
					return returned(int64(written))
				}
				if e := errnoOf(err); e != syscall.EPIPE && s.takeErr() == e {
					return errored(e)
				}
				return errored(syscall.EPIPE)
			}
			if m == 0 {
				break
			}
		}
		switch {
		case written == n:
			return returned(int64(n))
		case nonblock && written > 0:
			return returned(int64(written))
		}
		return wouldBlock(nonblock)
	}, nil
}

// ioArgs reads the byte count of a read or write and whether it must not
// block (O_NONBLOCK or MSG_DONTWAIT).
func ioArgs(c *Syscall, s *sock) (n int, nonblock bool, err error) {
	v, err := evalInt(c.Args[2])
	if err != nil {
		return 0, false, err
	}
	if v < 0 || v > maxIO {
		return 0, false, errors.New("byte count out of range")
	}
	nonblock = s.nonblock
	if len(c.Args) == 4 {
		f, err := evalInt(c.Args[3])
		if err != nil {
			return 0, false, err
		}
		nonblock = nonblock || f&linuxSymbols["MSG_DONTWAIT"] != 0
	}
	return int(v), nonblock, nil
}

// callClose: close(fd) closes a listener (resetting what it had not
// handed out), closes a connection (a FIN after the queued data, or a
// RST with unread data or SO_LINGER 0), and frees fd. It returns 0.
func (r *runner) callClose(fd int, s *sock) attempt {
	return func() outcome {
		delete(r.socks, fd)
		if s.ln != nil {
			for _, c := range s.pending {
				c.Abort(r.now)
			}
			s.pending = nil
			s.ln.Close(r.now)
		}
		if s.conn != nil {
			if s.opts.linger0 {
				s.conn.Abort(r.now)
			} else {
				_ = s.conn.Close(r.now) // close(2) succeeds whatever the state
			}
		}
		return returned(0)
	}
}

// callShutdown: shutdown(fd, SHUT_RD|SHUT_WR|SHUT_RDWR). It fails with
// ENOTCONN on a socket without a connection or whose connection is gone;
// on a listener, SHUT_RD and SHUT_RDWR stop it, as on Linux.
func (r *runner) callShutdown(c *Syscall, s *sock) (attempt, error) {
	how, err := evalInt(c.Args[1])
	if err != nil {
		return nil, err
	}
	if how < linuxSymbols["SHUT_RD"] || how > linuxSymbols["SHUT_RDWR"] {
		return func() outcome { return errored(syscall.EINVAL) }, nil
	}
	return func() outcome {
		if s.ln != nil {
			if how != linuxSymbols["SHUT_WR"] {
				s.ln.Close(r.now)
			}
			return returned(0)
		}
		if s.conn == nil {
			return errored(syscall.ENOTCONN)
		}
		gone := s.conn.Status().State == tcp.Closed
		if how != linuxSymbols["SHUT_WR"] {
			s.conn.CloseRead()
		}
		if how != linuxSymbols["SHUT_RD"] {
			_ = s.conn.Shutdown(r.now) // EPIPE when already shut: still 0
		}
		if gone {
			return errored(syscall.ENOTCONN)
		}
		return returned(0)
	}, nil
}
