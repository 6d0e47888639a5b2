package interop

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"syscall"
	"testing"

	"github.com/synack-net/synack/tcp"
)

// halfCloseReply is what the server sends after reading the client's EOF.
const halfCloseReply = 1 << 20

// TestHalfClose: the client shuts down its sending side; the server reads
// EOF, then still sends halfCloseReply bytes, which the client reads in
// full before the server's FIN.
func TestHalfClose(t *testing.T) {
	for _, r := range roles {
		t.Run(r.name, func(t *testing.T) {
			p := connect(t, 1500, r)
			serverDone := make(chan error, 1)
			var sent [32]byte
			go func() {
				serverDone <- func() error {
					if b, err := io.ReadAll(p.server); err != nil || len(b) != 0 {
						return fmt.Errorf("read %d bytes, %v; want EOF at once", len(b), err)
					}
					h := sha256.New()
					if _, err := io.Copy(io.MultiWriter(p.server, h), randomStream(3, halfCloseReply)); err != nil {
						return err
					}
					copy(sent[:], h.Sum(nil))
					return p.server.Close()
				}()
			}()
			if err := p.client.(interface{ CloseWrite() error }).CloseWrite(); err != nil {
				t.Fatalf("client CloseWrite: %v", err)
			}
			h := sha256.New()
			n, err := io.Copy(h, p.client)
			if err != nil || n != halfCloseReply {
				t.Errorf("client read %d bytes, %v; want %d bytes then EOF", n, err, halfCloseReply)
			}
			if err := <-serverDone; err != nil {
				t.Fatalf("server: %v", err)
			}
			if got := [32]byte(h.Sum(nil)); got != sent {
				t.Errorf("server sent %x, client got %x", sent, got)
			}
			if _, err := p.client.Write([]byte("x")); err == nil {
				t.Errorf("client Write after CloseWrite succeeded")
			} else if r.synackDials && !errors.Is(err, syscall.EPIPE) {
				t.Errorf("synack Write after CloseWrite: %v, want EPIPE", err)
			}
			// synack's end finishes as the RFC 9293 diagram says.
			want := r.then(tcp.FinWait1, tcp.FinWait2, tcp.TimeWait)
			if !r.synackDials {
				want = r.then(tcp.CloseWait, tcp.LastAck, tcp.Closed)
			}
			if h := p.watch.waitFor(t, p.ends(), want[len(want)-1]); !slices.Equal(h, want) {
				t.Errorf("synack went through %v, want %v", h, want)
			}
		})
	}
}
