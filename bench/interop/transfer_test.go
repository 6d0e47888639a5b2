package interop

import (
	"fmt"
	"testing"
)

// TestTransfer moves transferSize bytes each way at once; each writer
// half-closes when done and each reader reads to EOF.
func TestTransfer(t *testing.T) {
	for _, mtu := range []int{1500, 65535} {
		for _, r := range roles {
			t.Run(fmt.Sprintf("mtu%d/%s", mtu, r.name), func(t *testing.T) {
				p := connect(t, mtu, r)
				type result struct {
					sent, received [32]byte
					err            error
				}
				serverDone := make(chan result, 1)
				go func() {
					s, rcv, err := exchange(p.server, 2)
					serverDone <- result{s, rcv, err}
				}()
				cs, cr, err := exchange(p.client, 1)
				if err != nil {
					t.Errorf("client: %v", err)
				}
				sr := <-serverDone
				if sr.err != nil {
					t.Errorf("server: %v", sr.err)
				}
				if cs != sr.received {
					t.Errorf("client→server: sent %x, server got %x", cs, sr.received)
				}
				if sr.sent != cr {
					t.Errorf("server→client: sent %x, client got %x", sr.sent, cr)
				}
			})
		}
	}
}
