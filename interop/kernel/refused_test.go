//go:build linux

package kernel

import (
	"errors"
	"net"
	"syscall"
	"testing"
)

// closedPort is a port nobody listens on, on either side.
const closedPort = 9

// TestRefusedBySynack: the kernel's SYN to a synack port with no listener
// draws a reset (RFC 9293 §3.10.7.1: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>),
// and connect(2) fails with ECONNREFUSED.
func TestRefusedBySynack(t *testing.T) {
	e := newEnv(t)
	before := e.st.Counters().OutRsts
	c, err := e.kernelDial(closedPort)
	if err == nil {
		c.Close()
		t.Fatal("the kernel connected to a closed synack port")
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("kernel dial: %v, want ECONNREFUSED", err)
	}
	if n := e.st.Counters().OutRsts - before; n != 1 {
		t.Errorf("synack sent %d resets, want 1", n)
	}
}

// TestRefusedByKernel: synack's SYN to a kernel port with no listener draws
// the kernel's reset, and Dial fails with a *net.OpError wrapping
// ECONNREFUSED that reads like Go's.
func TestRefusedByKernel(t *testing.T) {
	e := newEnv(t)
	c, err := e.synackDial(closedPort)
	if err == nil {
		c.Close()
		t.Fatal("synack connected to a closed kernel port")
	}
	var oe *net.OpError
	if !errors.Is(err, syscall.ECONNREFUSED) || !errors.As(err, &oe) {
		t.Fatalf("synack dial: %v; want a *net.OpError wrapping ECONNREFUSED", err)
	}
	if oe.Op != "dial" {
		t.Errorf("Op = %q, want dial", oe.Op)
	}
	if c := e.st.Counters(); c.AttemptFails != 1 {
		t.Errorf("AttemptFails = %d, want 1", c.AttemptFails)
	}
}
