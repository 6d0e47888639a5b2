package synack

import (
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// packetCore is the blocking layer UDPConn and PingConn put over a
// host's non-blocking datagram socket: the waits for data and send room,
// the deadlines and Close. Like *net.UDPConn it is safe for concurrent
// use; reads are served one at a time, and so are writes, so that one
// wake-up token is never lost between two waiters.
type packetCore struct {
	s        *Stack
	readable chan struct{}
	writable chan struct{}
	closed   chan struct{} // closed by Close

	readDeadline, writeDeadline deadline

	closeOnce sync.Once
	readMu    sync.Mutex
	writeMu   sync.Mutex
}

func newPacketCore(s *Stack) packetCore {
	return packetCore{
		s:        s,
		readable: make(chan struct{}, 1),
		writable: make(chan struct{}, 1),
		closed:   make(chan struct{}),
	}
}

// notify is the socket's waker: it never blocks.
func (c *packetCore) notify() {
	select {
	case c.readable <- struct{}{}:
	default:
	}
	select {
	case c.writable <- struct{}{}:
	default:
	}
}

// wait runs try until it returns something other than syscall.EAGAIN,
// waiting on ready between tries. It returns net.ErrClosed once the
// socket or the stack is closed, and os.ErrDeadlineExceeded once dl has
// passed, checked before each try as Go's poller does.
func (c *packetCore) wait(mu *sync.Mutex, ready chan struct{}, dl *deadline, try func() error) error {
	mu.Lock()
	defer mu.Unlock()
	for {
		expired := dl.wait()
		switch {
		case isClosed(c.closed) || isClosed(c.s.done):
			return net.ErrClosed
		case isClosed(expired):
			return os.ErrDeadlineExceeded
		}
		err := try()
		switch err {
		case syscall.EAGAIN:
		case syscall.EBADF: // the host forgot the socket: the stack closed
			return net.ErrClosed
		default:
			return err
		}
		select {
		case <-ready:
		case <-expired:
		case <-c.closed:
		case <-c.s.done:
		}
	}
}

func (c *packetCore) read(try func() error) error {
	return c.wait(&c.readMu, c.readable, &c.readDeadline, try)
}

func (c *packetCore) write(try func() error) error {
	return c.wait(&c.writeMu, c.writable, &c.writeDeadline, try)
}

// close runs shut once; a second call reports net.ErrClosed.
func (c *packetCore) close(shut func()) error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = nil
		close(c.closed)
		shut()
	})
	return err
}

// SetDeadline sets the read and write deadlines.
func (c *packetCore) SetDeadline(t time.Time) error {
	c.readDeadline.set(t)
	c.writeDeadline.set(t)
	return nil
}

// SetReadDeadline sets the deadline for reads, current and future.
func (c *packetCore) SetReadDeadline(t time.Time) error { c.readDeadline.set(t); return nil }

// SetWriteDeadline sets the deadline for writes, current and future.
func (c *packetCore) SetWriteDeadline(t time.Time) error { c.writeDeadline.set(t); return nil }

// packetOpError wraps err as the net package does for datagram sockets: a
// *net.OpError around an *os.SyscallError naming the system call (so
// that errors.Is matches the errno), or around err itself.
func packetOpError(op, network, syscallName string, source, addr net.Addr, err error) error {
	if errno, ok := err.(syscall.Errno); ok {
		err = os.NewSyscallError(syscallName, errno)
	}
	return &net.OpError{Op: op, Net: network, Source: source, Addr: addr, Err: err}
}
