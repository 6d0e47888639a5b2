//go:build linux

package kernel

import (
	"testing"

	"github.com/synack-net/synack/tcp"
)

// Sizes of the half-close exchange: the closer's request before its FIN,
// and the reply the other end sends after it.
const (
	requestSize = 4 << 10
	replySize   = 1 << 20
)

// TestHalfClose: one end sends a request and half-closes (CloseWrite,
// shutdown(SHUT_WR)); the other reads it to EOF and only then sends a
// 1 MiB reply and closes; the first end reads the whole reply. Either end
// half-closes, in both roles.
func TestHalfClose(t *testing.T) {
	for _, r := range roles {
		for _, kernelCloses := range []bool{true, false} {
			name := r.name + "/synack-half-closes"
			if kernelCloses {
				name = r.name + "/kernel-half-closes"
			}
			t.Run(name, func(t *testing.T) {
				e := newEnv(t)
				p := e.connect(r)
				var closer, other halfCloser = p.sy, p.kernel
				if kernelCloses {
					closer, other = p.kernel, p.sy
				}
				request, err := sendStream(closer, requestSize, 3, true)
				if err != nil {
					t.Fatalf("request: %v", err)
				}
				n, got, err := recvStream(other)
				if err != nil || n != requestSize || got != request {
					t.Fatalf("request read: %d bytes, %v; want %d and EOF, the same SHA-256", n, err, requestSize)
				}
				if s := p.sy.State(); kernelCloses && s != tcp.CloseWait {
					t.Errorf("synack after the kernel's FIN: %v, want CLOSE_WAIT", s)
				}
				// The half-closed direction is closed; the other still sends.
				done := make(chan exchanged, 1)
				go func() {
					sum, err := sendStream(other, replySize, 4, false)
					if err == nil {
						err = other.Close()
					}
					done <- exchanged{sent: sum, err: err}
				}()
				n, got, err = recvStream(closer)
				sent := <-done
				if sent.err != nil {
					t.Fatalf("reply: %v", sent.err)
				}
				if err != nil || n != replySize || got != sent.sent {
					t.Errorf("reply read: %d bytes, %v; want %d and EOF, the same SHA-256", n, err, replySize)
				}
				if s := p.sy.State(); !kernelCloses && s != tcp.TimeWait {
					t.Errorf("synack, which half-closed first, is in %v after EOF; want TIME_WAIT", s)
				}
			})
		}
	}
}
