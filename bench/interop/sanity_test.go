package interop

import (
	"context"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"
	"time"
)

const transferSize = 10 << 20

// randomStream returns a reader of n deterministic pseudo-random bytes.
func randomStream(seed uint64, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{byte(seed)}), n)
}

// exchange sends transferSize bytes seeded with seed over c while reading
// the peer's bytes, half-closes after sending, and returns the SHA-256 of
// what it sent and what it received.
func exchange(c net.Conn, seed uint64) (sent, received [32]byte, err error) {
	errc := make(chan error, 1)
	go func() {
		h := sha256.New()
		_, err := io.Copy(io.MultiWriter(c, h), randomStream(seed, transferSize))
		copy(sent[:], h.Sum(nil))
		if err == nil {
			err = c.(interface{ CloseWrite() error }).CloseWrite()
		}
		errc <- err
	}()
	h := sha256.New()
	n, rerr := io.Copy(h, c)
	copy(received[:], h.Sum(nil))
	if werr := <-errc; werr != nil {
		return sent, received, werr
	}
	if rerr == nil && n != transferSize {
		rerr = io.ErrUnexpectedEOF
	}
	return sent, received, rerr
}

func TestGVisorToGVisor(t *testing.T) {
	server, far := GVisorOnLink(t, 1500, 1024, netip.MustParsePrefix("10.9.0.1/24"))
	client := GVisorPeer(t, far, netip.MustParsePrefix("10.9.0.2/24"))

	ln, err := server.Listen(7)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		sent, received [32]byte
		err            error
	}
	serverDone := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			serverDone <- result{err: err}
			return
		}
		defer c.Close()
		s, r, err := exchange(c, 2)
		serverDone <- result{s, r, err}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, netip.AddrPortFrom(server.Addr().Addr(), 7))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(60 * time.Second))
	cs, cr, err := exchange(c, 1)
	if err != nil {
		t.Fatalf("client: %v", err)
	}
	sr := <-serverDone
	if sr.err != nil {
		t.Fatalf("server: %v", sr.err)
	}
	if cs != sr.received {
		t.Errorf("client→server: sent %x, server got %x", cs, sr.received)
	}
	if sr.sent != cr {
		t.Errorf("server→client: sent %x, client got %x", sr.sent, cr)
	}
}
