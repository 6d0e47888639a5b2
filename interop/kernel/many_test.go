//go:build linux

package kernel

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// TestSequentialConnections: 200 connections one after the other, each
// sending a message, half-closing, reading the echo to EOF and closing.
func TestSequentialConnections(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			dial := e.echoServer(r)
			for i := range 200 {
				if err := echoOnce(dial, i); err != nil {
					t.Fatalf("connection %d: %v", i, err)
				}
			}
			e.checkOpens(r, 200)
		})
	}
}

// TestConcurrentConnections: 50 connections at once, each as in
// TestSequentialConnections.
func TestConcurrentConnections(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t)
			dial := e.echoServer(r)
			var wg sync.WaitGroup
			errs := make(chan error, 50)
			for i := range 50 {
				wg.Go(func() {
					if err := echoOnce(dial, i); err != nil {
						errs <- fmt.Errorf("connection %d: %w", i, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			e.checkOpens(r, 50)
		})
	}
}

// echoServer starts an echo server on the server end of role r and
// returns the client's dial function. The server's handlers copy what
// they read back and close at EOF.
func (e *env) echoServer(r role) func() (halfCloser, error) {
	e.t.Helper()
	var wg sync.WaitGroup
	e.t.Cleanup(wg.Wait)
	serve := func(accept func() (io.ReadWriteCloser, error)) {
		wg.Go(func() {
			for {
				c, err := accept()
				if err != nil {
					return
				}
				wg.Go(func() {
					io.Copy(c, c)
					c.Close()
				})
			}
		})
	}
	if r.kernelDials {
		ln := e.synackListen(0)
		serve(func() (io.ReadWriteCloser, error) { return ln.AcceptTCP() })
		port := addrPort(ln.Addr()).Port()
		return func() (halfCloser, error) { return e.kernelDial(port) }
	}
	ln := e.kernelListen()
	serve(func() (io.ReadWriteCloser, error) { return ln.AcceptTCP() })
	port := addrPort(ln.Addr()).Port()
	return func() (halfCloser, error) { return e.synackDial(port) }
}

// echoOnce dials, sends a message naming i, half-closes, and checks that
// the echo comes back whole before EOF.
func echoOnce(dial func() (halfCloser, error), i int) error {
	c, err := dial()
	if err != nil {
		return err
	}
	defer c.Close()
	if d, ok := c.(interface{ SetDeadline(time.Time) error }); ok {
		d.SetDeadline(time.Now().Add(ioTimeout))
	}
	msg := bytes.Repeat([]byte(fmt.Sprintf("message %d. ", i)), 100)
	if _, err := c.Write(msg); err != nil {
		return err
	}
	if err := c.CloseWrite(); err != nil {
		return err
	}
	got, err := io.ReadAll(c)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return fmt.Errorf("echo of %d bytes came back as %d bytes", len(msg), len(got))
	}
	return nil
}

// checkOpens checks that synack counted n connection openings of the kind
// r implies, and no failed attempt.
func (e *env) checkOpens(r role, n uint64) {
	e.t.Helper()
	c := e.st.Counters()
	opens, kind := c.ActiveOpens, "ActiveOpens"
	if r.kernelDials {
		opens, kind = c.PassiveOpens, "PassiveOpens"
	}
	if opens != n || c.AttemptFails != 0 {
		e.t.Errorf("%s = %d, AttemptFails = %d; want %d, 0", kind, opens, c.AttemptFails, n)
	}
}
