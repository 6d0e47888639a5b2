package synack_test

import (
	"errors"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

// Close wakes a Read blocked for data and a Write blocked on a full send
// buffer (a peer that never reads): both return net.ErrClosed at the
// moment of the Close.
func TestCloseWakesBlockedReadAndWrite(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server := twoStacks(t)
		ln, err := server.Listen("tcp", ":80")
		if err != nil {
			t.Fatal(err)
		}
		stop, served := make(chan struct{}), make(chan struct{})
		defer func() { close(stop); <-served }()
		go func() {
			defer close(served)
			if s, err := ln.Accept(); err == nil {
				<-stop // holds the connection and reads nothing
				s.Close()
			}
		}()
		c, err := client.Dial("tcp", "10.0.0.2:80")
		if err != nil {
			t.Fatal(err)
		}
		readDone, writeDone := make(chan error, 1), make(chan error, 1)
		go func() {
			_, err := c.Read(make([]byte, 1))
			readDone <- err
		}()
		go func() {
			_, err := c.Write(make([]byte, 64<<20)) // far more than both windows and buffers
			writeDone <- err
		}()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		select {
		case err := <-readDone:
			t.Fatalf("read returned before Close: %v", err)
		case err := <-writeDone:
			t.Fatalf("write returned before Close: %v", err)
		default:
		}
		start := time.Now()
		c.Close()
		for what, done := range map[string]chan error{"read": readDone, "write": writeDone} {
			if err := <-done; !errors.Is(err, net.ErrClosed) {
				t.Errorf("blocked %s: %v, want net.ErrClosed", what, err)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Errorf("they returned %v after Close, want at once", d)
		}
	})
}

// A read deadline that passed, then cleared with the zero time, lets the
// next Read block again until data arrives, as with net.Conn.
func TestReadDeadlineCleared(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, ln := dialEcho(t)
		defer ln.Close()
		defer c.Close()
		c.SetReadDeadline(time.Now().Add(-time.Second))
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read past the deadline: %v", err)
		}
		c.SetReadDeadline(time.Time{})
		go func() {
			time.Sleep(5 * time.Second)
			c.Write([]byte("x"))
		}()
		start := time.Now()
		buf := make([]byte, 1)
		if n, err := c.Read(buf); n != 1 || err != nil || buf[0] != 'x' {
			t.Fatalf("read after clearing the deadline: %d %q, %v", n, buf[:n], err)
		}
		if d := time.Since(start); d != 5*time.Second {
			t.Errorf("read returned after %v, want 5s (when the echo came)", d)
		}
	})
}
