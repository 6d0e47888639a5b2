package synack_test

import (
	"bytes"
	"testing"
	"testing/synctest"

	"github.com/synack-net/synack/link"
	"github.com/synack-net/synack/link/pipe"
)

// holdingLink is a link.Flusher that sends nothing until Flush, as a TUN
// device coalescing segments may do.
type holdingLink struct {
	link.Link
	held    [][]byte
	flushes int
}

func (h *holdingLink) WritePacket(pkt []byte) error {
	h.held = append(h.held, bytes.Clone(pkt))
	return nil
}

func (h *holdingLink) Flush() error {
	h.flushes++
	for _, p := range h.held {
		if err := h.Link.WritePacket(p); err != nil {
			return err
		}
	}
	h.held = h.held[:0]
	return nil
}

// TestStackFlushesLinks: a stack whose links hold packets back until
// Flush still carries a connection, because it flushes after each burst.
func TestStackFlushesLinks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := pipe.New(1500, 1024)
		ha, hb := &holdingLink{Link: a}, &holdingLink{Link: b}
		cs, ss := newStack(t, "client", ha, "10.0.0.1/24"), newStack(t, "server", hb, "10.0.0.2/24")
		ln := serveEcho(t, ss)
		c, err := cs.Dial("tcp", "10.0.0.2:7")
		if err != nil {
			t.Fatal(err)
		}
		echoRoundTrip(t, c, bytes.Repeat([]byte("held "), 100000))
		c.Close()
		ln.Close()
		synctest.Wait()
		if ha.flushes == 0 || hb.flushes == 0 {
			t.Errorf("flushes: client %d, server %d", ha.flushes, hb.flushes)
		}
	})
}
