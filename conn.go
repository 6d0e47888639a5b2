package synack

import (
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/synack-net/synack/stack"
	"github.com/synack-net/synack/tcp"
)

// Conn is a TCP connection of a Stack. It implements net.Conn and the
// methods of *net.TCPConn that apply to a userspace stack. Like a
// *net.TCPConn it is safe for one reader and one writer at a time, and
// for Close and the setters from any goroutine.
type Conn struct {
	s *Stack
	c *stack.Conn

	// readable and writable receive a token whenever the connection may
	// have changed (data arrived, send space freed, state changed). Each
	// is made when a reader or writer first has to wait (wakeChan): an
	// idle connection holds neither.
	readable wakeChan
	writable wakeChan
	closed   atomic.Bool // set by Close, which then wakes both

	readDeadline, writeDeadline deadline

	closeOnce sync.Once
	linger    atomic.Int64 // seconds; -1 means the default (graceful close)
	readMu    sync.Mutex
	writeMu   sync.Mutex
}

func newConn(s *Stack, c *stack.Conn) *Conn {
	cc := &Conn{s: s, c: c}
	cc.linger.Store(-1)
	c.SetWakerOf((*connWaker)(cc))
	return cc
}

// connWaker is a Conn as the host's waker (stack.Waker), without the
// closure a method value would allocate and without a Wake method in the
// Conn's API.
type connWaker Conn

// Wake implements stack.Waker.
func (w *connWaker) Wake() { (*Conn)(w).notify() }

// notify is the host's waker: it never blocks.
func (c *Conn) notify() {
	c.readable.notify()
	c.writable.notify()
}

func (c *Conn) local() net.Addr  { return net.TCPAddrFromAddrPort(c.c.Tuple().Local) }
func (c *Conn) remote() net.Addr { return net.TCPAddrFromAddrPort(c.c.Tuple().Remote) }

// LocalAddr returns the local address, a *net.TCPAddr.
func (c *Conn) LocalAddr() net.Addr { return c.local() }

// RemoteAddr returns the peer's address, a *net.TCPAddr.
func (c *Conn) RemoteAddr() net.Addr { return c.remote() }

func (c *Conn) opErr(op string, err error) error {
	t := c.c.Tuple()
	return opError(op, t.Local, t.Remote, err)
}

func (c *Conn) isClosed() bool { return c.closed.Load() }

// Read reads received data. It returns io.EOF after the peer's FIN (or
// CloseRead), a *net.OpError wrapping the errno when the connection failed
// (syscall.ECONNRESET, ETIMEDOUT, …), and one wrapping
// os.ErrDeadlineExceeded when the read deadline passes.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.read(p)
	if err != nil && err != io.EOF {
		return n, c.opErr("read", err)
	}
	return n, err
}

// read is Read returning the bare error (net.ErrClosed,
// os.ErrDeadlineExceeded, the errno), for its callers to wrap.
func (c *Conn) read(p []byte) (int, error) {
	c.readMu.Lock()
	defer c.readMu.Unlock()
	ready := c.readable.get() // before the first try: a change after it leaves a token
	for {
		if c.isClosed() {
			return 0, net.ErrClosed
		}
		if len(p) == 0 {
			return 0, nil
		}
		n, err := c.c.Read(p)
		if n > 0 || err != nil {
			return n, err
		}
		select {
		case <-ready:
		case <-c.readDeadline.wait():
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// Write queues p for sending, blocking while the send buffer is full. It
// returns a *net.OpError wrapping syscall.EPIPE after CloseWrite or once
// the connection is closing, the connection's errno if it failed, and
// os.ErrDeadlineExceeded when the write deadline passes.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.write(p)
	if err != nil {
		return n, c.opErr("write", err)
	}
	return n, nil
}

// write is Write returning the bare error, for its callers to wrap.
func (c *Conn) write(p []byte) (int, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ready := c.writable.get()
	written := 0
	for {
		if c.isClosed() {
			return written, net.ErrClosed
		}
		if isClosed(c.writeDeadline.wait()) {
			return written, os.ErrDeadlineExceeded
		}
		n, err := c.c.Write(p[written:])
		written += n
		if err != nil || written == len(p) {
			return written, err
		}
		if n > 0 {
			continue
		}
		select {
		case <-ready:
		case <-c.writeDeadline.wait():
			return written, os.ErrDeadlineExceeded
		}
	}
}

// Close closes the connection: an orderly close (FIN after the queued
// data) unless SetLinger(0) asked for an abortive one (RST, queued data
// dropped). Unread received data also turns it into a reset, as on Linux.
// It returns at once, or after SetLinger(n > 0) once the peer has
// acknowledged everything (FIN included) or n seconds have passed; the
// connection finishes closing in the background either way.
func (c *Conn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		err = nil
		c.closed.Store(true)
		c.notify() // a blocked Read or Write sees it and leaves
		now := c.s.clk.Now()
		linger := c.linger.Load()
		if linger == 0 {
			c.c.Abort(now)
			return
		}
		c.c.Close(now)
		if linger > 0 {
			c.lingerClose(time.Duration(linger) * time.Second)
		}
	})
	if err != nil {
		return c.opErr("close", err)
	}
	return nil
}

// lingerClose waits, for at most d, while our FIN is unacknowledged: as
// Linux's close(2) with SO_LINGER does (sk_stream_wait_close), it waits
// in FIN_WAIT_1, CLOSING and LAST_ACK, and returns success either way.
func (c *Conn) lingerClose(d time.Duration) {
	// Writers see c.closed and leave; after that the writable tokens are
	// ours alone.
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	ready := c.writable.get()
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		switch c.c.State() {
		case tcp.FinWait1, tcp.Closing, tcp.LastAck:
		default:
			return
		}
		select {
		case <-ready:
		case <-timer.C:
			return
		case <-c.s.done:
			return
		}
	}
}

// CloseWrite shuts down the sending direction (shutdown(SHUT_WR)): the
// peer reads EOF after the queued data and may go on sending.
func (c *Conn) CloseWrite() error {
	if c.isClosed() {
		return c.opErr("close", net.ErrClosed)
	}
	if err := c.c.Shutdown(c.s.clk.Now()); err != nil {
		return c.opErr("close", err)
	}
	return nil
}

// CloseRead shuts down the receiving direction (shutdown(SHUT_RD)): Read
// returns io.EOF, and data that arrives later is discarded.
func (c *Conn) CloseRead() error {
	if c.isClosed() {
		return c.opErr("close", net.ErrClosed)
	}
	c.c.CloseRead()
	c.notify()
	return nil
}

// SetDeadline sets the read and write deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.readDeadline.set(t)
	c.writeDeadline.set(t)
	return nil
}

// SetReadDeadline sets the deadline for Read calls, current and future.
func (c *Conn) SetReadDeadline(t time.Time) error { c.readDeadline.set(t); return nil }

// SetWriteDeadline sets the deadline for Write calls, current and future.
func (c *Conn) SetWriteDeadline(t time.Time) error { c.writeDeadline.set(t); return nil }

// SetLinger sets the behaviour of Close, as SO_LINGER does on Linux: sec
// < 0 (the default) closes in the background; sec == 0 aborts with a
// reset and discards unsent data; sec > 0 makes Close block until the
// peer has acknowledged all data and the FIN, or sec seconds have passed.
func (c *Conn) SetLinger(sec int) error {
	c.linger.Store(int64(sec))
	return nil
}

// SetNoDelay controls Nagle's algorithm: true (the default, as in Go)
// sends small writes at once; false delays them while data is in flight
// (RFC 9293 §3.7.4).
func (c *Conn) SetNoDelay(noDelay bool) error {
	c.c.Configure(func(t *tcp.TCB) { t.SetNoDelay(noDelay) })
	return nil
}

// SetKeepAlive turns keep-alive probes on or off.
func (c *Conn) SetKeepAlive(on bool) error {
	return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: on})
}

// SetKeepAlivePeriod sets the idle time and the interval between probes,
// as Go's *net.TCPConn does.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	return c.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: d, Interval: d})
}

// SetKeepAliveConfig configures keep-alive probing (RFC 1122 §4.2.3.6).
// Zero fields take Go's defaults (15 s idle, 15 s interval, 9 probes);
// negative ones leave the current value.
func (c *Conn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	c.c.Configure(func(t *tcp.TCB) {
		k := t.KeepAliveConfig()
		k.Enable = cfg.Enable
		k.Idle = pick(cfg.Idle, k.Idle, 15*time.Second)
		k.Interval = pick(cfg.Interval, k.Interval, 15*time.Second)
		if cfg.Count > 0 {
			k.Count = cfg.Count
		} else if cfg.Count == 0 {
			k.Count = 9
		}
		t.SetKeepAlive(k)
	})
	return nil
}

func pick(v, current, def time.Duration) time.Duration {
	switch {
	case v > 0:
		return v
	case v == 0:
		return def
	}
	return current
}

// SetUserTimeout sets TCP_USER_TIMEOUT (RFC 5482, RFC 9293 §3.8.3): once
// sent data has gone unacknowledged this long, or window probes or
// keep-alives go unanswered this long, the connection ends and calls fail
// with ETIMEDOUT. Each
// connection starts with Config.TCP.UserTimeout; zero turns the timeout
// off, so that the retry counts alone bound the connection; a negative
// value is EINVAL.
func (c *Conn) SetUserTimeout(d time.Duration) error {
	if d < 0 {
		return c.opErr("set", syscall.EINVAL)
	}
	c.c.Configure(func(t *tcp.TCB) { t.SetUserTimeout(d) })
	return nil
}

// SetReadBuffer sets the receive buffer size (SO_RCVBUF).
func (c *Conn) SetReadBuffer(bytes int) error {
	if bytes <= 0 {
		return c.opErr("set", syscall.EINVAL)
	}
	c.c.Configure(func(t *tcp.TCB) { t.SetBufferSizes(0, bytes) })
	return nil
}

// SetWriteBuffer sets the send buffer size (SO_SNDBUF).
func (c *Conn) SetWriteBuffer(bytes int) error {
	if bytes <= 0 {
		return c.opErr("set", syscall.EINVAL)
	}
	c.c.Configure(func(t *tcp.TCB) { t.SetBufferSizes(bytes, 0) })
	return nil
}

// State returns the connection's current TCP state.
func (c *Conn) State() tcp.State { return c.c.State() }

// Info returns a snapshot of the connection's TCP variables (like TCP_INFO).
func (c *Conn) Info() tcp.Info { return c.c.Info() }
