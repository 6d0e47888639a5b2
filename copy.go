package synack

import (
	"io"
	"net"
	"sync"
)

// copyChunk is how much ReadFrom and WriteTo move per step: twice
// io.Copy's own buffer, so that a bulk copy takes fewer, larger steps.
const copyChunk = 64 << 10

// copyBuffers lends ReadFrom and WriteTo their chunk, so that an io.Copy
// through a Conn allocates nothing per call once the pool is warm.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, copyChunk); return &b }}

// ReadFrom implements io.ReaderFrom, the path io.Copy takes to a Conn: it
// reads r in chunks of up to 64 KiB and queues each into the send buffer,
// blocking as Write does, until r returns io.EOF. Like *net.TCPConn's,
// it returns nil at r's EOF, and wraps any other error, ours or r's, in a
// *net.OpError with Op "readfrom".
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	var total int64
	for {
		n, rerr := r.Read(*bp)
		if n > 0 {
			m, err := c.write((*bp)[:n])
			total += int64(m)
			if err != nil {
				return total, c.opErr("readfrom", err)
			}
		}
		switch {
		case rerr == io.EOF:
			return total, nil
		case rerr != nil:
			return total, c.wrapOther("readfrom", rerr)
		}
	}
}

// WriteTo implements io.WriterTo, the path io.Copy takes from a Conn: it
// takes what has been received, up to 64 KiB at a time, and writes it to
// w, until the peer's FIN. Like *net.TCPConn's, it returns nil at EOF
// and wraps any other error, ours or w's, in a *net.OpError with Op
// "writeto".
func (c *Conn) WriteTo(w io.Writer) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	var total int64
	for {
		n, rerr := c.read(*bp)
		if n > 0 {
			m, err := w.Write((*bp)[:n])
			total += int64(m)
			if err == nil && m < n {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, c.wrapOther("writeto", err)
			}
		}
		switch {
		case rerr == io.EOF:
			return total, nil
		case rerr != nil:
			return total, c.opErr("writeto", rerr)
		}
	}
}

// wrapOther wraps an error of the other end of a copy (the reader of
// ReadFrom, the writer of WriteTo) as the net package does.
func (c *Conn) wrapOther(op string, err error) error {
	return &net.OpError{Op: op, Net: "tcp", Source: c.local(), Addr: c.remote(), Err: err}
}
