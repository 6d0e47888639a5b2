package synack_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// sizeRecorder is an io.Reader or io.Writer that notes the largest
// buffer it was handed; it implements neither io.WriterTo nor
// io.ReaderFrom, so io.Copy with it goes through the Conn's methods.
type sizeRecorder struct {
	r       io.Reader
	w       io.Writer
	largest int
	err     error // returned once r is drained, or by Write if set
}

func (s *sizeRecorder) Read(p []byte) (int, error) {
	s.largest = max(s.largest, len(p))
	n, err := s.r.Read(p)
	if err == io.EOF && s.err != nil {
		err = s.err
	}
	return n, err
}

func (s *sizeRecorder) Write(p []byte) (int, error) {
	s.largest = max(s.largest, len(p))
	if s.err != nil {
		return 0, s.err
	}
	return s.w.Write(p)
}

// TestReadFrom: io.Copy to a Conn reads its source in 64 KiB chunks
// (io.Copy's own buffer is 32 KiB) and delivers every byte.
func TestReadFrom(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, ln := dialEcho(t)
		msg := bytes.Repeat([]byte("readfrom "), 100000)
		src := &sizeRecorder{r: bytes.NewReader(msg)}
		echoed := make(chan []byte)
		go func() { b, _ := io.ReadAll(c); echoed <- b }()
		n, err := io.Copy(c, src)
		if err != nil || n != int64(len(msg)) {
			t.Fatalf("io.Copy: %d, %v; want %d, nil", n, err, len(msg))
		}
		if src.largest != 64<<10 {
			t.Errorf("source read with %d-byte buffers, want 64 KiB", src.largest)
		}
		c.CloseWrite()
		if got := <-echoed; !bytes.Equal(got, msg) {
			t.Errorf("echoed %d bytes, want %d", len(got), len(msg))
		}
		c.Close()
		ln.Close()
	})
}

// TestReadFromErrors: the source's error and the connection's own come
// back in a *net.OpError with Op "readfrom", as from *net.TCPConn.
func TestReadFromErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := dialDiscard(t)
		defer c.Close()
		boom := errors.New("boom")
		n, err := c.ReadFrom(&sizeRecorder{r: strings.NewReader("some"), err: boom})
		var oe *net.OpError
		if n != 4 || !errors.Is(err, boom) || !errors.As(err, &oe) || oe.Op != "readfrom" {
			t.Errorf("failing source: %d, %v; want 4 and a readfrom *net.OpError wrapping it", n, err)
		}
		c.CloseWrite()
		_, err = c.ReadFrom(strings.NewReader("late"))
		if !errors.Is(err, syscall.EPIPE) || !strings.HasSuffix(err.Error(), ": write: broken pipe") {
			t.Errorf("after CloseWrite: %v, want EPIPE from write", err)
		}
	})
}

// TestWriteTo: io.Copy from a Conn hands its destination what has
// arrived in chunks of up to 64 KiB, and returns nil at the peer's FIN.
func TestWriteTo(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, ss := twoStacks(t)
		ln, err := ss.Listen("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		msg := bytes.Repeat([]byte("writeto "), 50000)
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write(msg)
			c.Close()
		}()
		c, err := cs.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Second) // let it all arrive
		var got bytes.Buffer
		dst := &sizeRecorder{w: &got}
		n, err := io.Copy(dst, c)
		if err != nil || n != int64(len(msg)) || !bytes.Equal(got.Bytes(), msg) {
			t.Fatalf("io.Copy: %d, %v; want %d, nil and the bytes sent", n, err, len(msg))
		}
		if dst.largest != 64<<10 {
			t.Errorf("destination written in chunks of up to %d bytes, want 64 KiB", dst.largest)
		}
		c.Close()
		ln.Close()
	})
}

// TestWriteToErrors: the destination's error comes back in a *net.OpError
// with Op "writeto"; a closed Conn gives net.ErrClosed.
func TestWriteToErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, ln := dialEcho(t)
		c.Write([]byte("echo me"))
		boom := errors.New("boom")
		_, err := c.WriteTo(&sizeRecorder{err: boom})
		var oe *net.OpError
		if !errors.Is(err, boom) || !errors.As(err, &oe) || oe.Op != "writeto" {
			t.Errorf("failing destination: %v, want a writeto *net.OpError wrapping it", err)
		}
		c.Close()
		if _, err := c.WriteTo(io.Discard); !errors.Is(err, net.ErrClosed) || !errors.As(err, &oe) || oe.Op != "writeto" {
			t.Errorf("after Close: %v, want net.ErrClosed", err)
		}
		ln.Close()
	})
}

// writerOnly hides a Conn's ReadFrom, and readerOnly a source's WriteTo,
// so that io.Copy takes the path the benchmark wants.
type (
	writerOnly struct{ io.Writer }
	readerOnly struct{ io.Reader }
)

// BenchmarkIOCopy copies 1 MiB per op from a plain io.Reader to a discard
// server with io.Copy, through ReadFrom and through io.Copy's generic
// path (a 32 KiB buffer allocated per call), for comparison.
func BenchmarkIOCopy(b *testing.B) {
	msg := bytes.Repeat([]byte("x"), 1<<20)
	for _, path := range []string{"ReadFrom", "generic"} {
		b.Run(path, func(b *testing.B) {
			c := dialDiscard(b)
			defer c.Close()
			var dst io.Writer = c
			if path == "generic" {
				dst = writerOnly{c}
			}
			b.SetBytes(int64(len(msg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := io.Copy(dst, readerOnly{bytes.NewReader(msg)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
