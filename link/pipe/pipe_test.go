package pipe

import (
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
)

func mustWrite(t *testing.T, e *Endpoint, pkt []byte) {
	t.Helper()
	if err := e.WritePacket(pkt); err != nil {
		t.Fatalf("WritePacket: %v", err)
	}
}

func mustRead(t *testing.T, e *Endpoint, want []byte) {
	t.Helper()
	buf := make([]byte, 2048)
	n, err := e.ReadPacket(buf)
	if err != nil {
		t.Fatalf("ReadPacket: %v", err)
	}
	if !bytes.Equal(buf[:n], want) {
		t.Fatalf("read %q, want %q", buf[:n], want)
	}
}

func TestExchangeBothWays(t *testing.T) {
	a, b := New(1500, 4)
	if a.MTU() != 1500 || b.MTU() != 1500 {
		t.Fatalf("MTU() = %d, %d", a.MTU(), b.MTU())
	}
	mustWrite(t, a, []byte("ping"))
	mustWrite(t, a, []byte("ping2"))
	mustWrite(t, b, []byte("pong"))
	mustRead(t, b, []byte("ping"))
	mustRead(t, b, []byte("ping2"))
	mustRead(t, a, []byte("pong"))
	if s := a.Stats(); s.Sent != 2 || s.Delivered != 2 || s.Received != 1 {
		t.Fatalf("a stats %+v", s)
	}
	if s := b.Stats(); s.Sent != 1 || s.Delivered != 1 || s.Received != 2 {
		t.Fatalf("b stats %+v", s)
	}
}

func TestWriteCopiesPacket(t *testing.T) {
	a, b := New(1500, 4)
	p := []byte("original")
	mustWrite(t, a, p)
	copy(p, "XXXXXXXX")
	mustRead(t, b, []byte("original"))
}

func TestReadTruncatesToBuffer(t *testing.T) {
	a, b := New(1500, 4)
	mustWrite(t, a, []byte("0123456789"))
	buf := make([]byte, 4)
	n, err := b.ReadPacket(buf)
	if err != nil || n != 4 || string(buf) != "0123" {
		t.Fatalf("ReadPacket = %d, %v (%q), want 4 bytes 0123", n, err, buf[:n])
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	a, b := New(1500, 2)
	for _, p := range []string{"1", "2", "3", "4"} {
		mustWrite(t, a, []byte(p))
	}
	if s := a.Stats(); s.Sent != 4 || s.Delivered != 2 || s.DroppedFull != 2 {
		t.Fatalf("stats %+v, want 4 sent, 2 delivered, 2 dropped", s)
	}
	mustRead(t, b, []byte("1"))
	mustRead(t, b, []byte("2"))
	mustWrite(t, a, []byte("5")) // room again
	mustRead(t, b, []byte("5"))
}

func TestOversizedPacketDropped(t *testing.T) {
	a, b := New(8, 2)
	mustWrite(t, a, make([]byte, 9))
	mustWrite(t, a, []byte("12345678"))
	if s := a.Stats(); s.DroppedTooBig != 1 || s.Sent != 1 {
		t.Fatalf("stats %+v", s)
	}
	mustRead(t, b, []byte("12345678"))
}

func TestCloseSemantics(t *testing.T) {
	a, b := New(1500, 4)
	mustWrite(t, a, []byte("last words"))
	if err := a.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close = %v, want net.ErrClosed", err)
	}
	buf := make([]byte, 64)
	if _, err := a.ReadPacket(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on closed endpoint = %v, want net.ErrClosed", err)
	}
	if err := a.WritePacket([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on closed endpoint = %v, want net.ErrClosed", err)
	}
	// The peer drains what was sent, then sees the end.
	mustRead(t, b, []byte("last words"))
	if _, err := b.ReadPacket(buf); err != io.EOF {
		t.Fatalf("read after drain = %v, want io.EOF", err)
	}
	// The peer's writes go nowhere, without error.
	mustWrite(t, b, []byte("hello?"))
	if s := b.Stats(); s.DroppedClosed != 1 || s.Sent != 0 {
		t.Fatalf("peer stats %+v", s)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("peer Close: %v", err)
	}
	if _, err := b.ReadPacket(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on closed peer = %v, want net.ErrClosed", err)
	}
}

func TestReadBlocksUntilWriteOrClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := New(1500, 4)
		type result struct {
			n   int
			err error
		}
		results := make(chan result, 2)
		read := func() {
			n, err := b.ReadPacket(make([]byte, 64))
			results <- result{n, err}
		}
		go read()
		synctest.Wait()
		select {
		case r := <-results:
			t.Fatalf("ReadPacket returned %+v before any write", r)
		default:
		}
		mustWrite(t, a, []byte("wake"))
		if r := <-results; r.err != nil || r.n != 4 {
			t.Fatalf("ReadPacket = %+v, want 4 bytes", r)
		}
		go read()
		synctest.Wait()
		b.Close()
		if r := <-results; !errors.Is(r.err, net.ErrClosed) {
			t.Fatalf("blocked read after own Close = %v, want net.ErrClosed", r.err)
		}
		a.Close()
	})
}

func TestBlockedReadSeesPeerClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := New(1500, 4)
		errc := make(chan error, 1)
		go func() {
			_, err := b.ReadPacket(make([]byte, 64))
			errc <- err
		}()
		synctest.Wait()
		a.Close()
		if err := <-errc; err != io.EOF {
			t.Fatalf("blocked read after peer Close = %v, want io.EOF", err)
		}
	})
}

func TestConcurrentTraffic(t *testing.T) {
	const packets = 2000
	a, b := New(1500, packets)
	var wg sync.WaitGroup
	for _, e := range []*Endpoint{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range packets {
				if err := e.WritePacket([]byte{byte(i), byte(i >> 8)}); err != nil {
					t.Errorf("WritePacket: %v", err)
					return
				}
			}
		}()
	}
	for _, e := range []*Endpoint{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 64)
			for i := range packets {
				n, err := e.ReadPacket(buf)
				if err != nil || n != 2 || int(buf[0])|int(buf[1])<<8 != i {
					t.Errorf("packet %d: got %v %v, err %v", i, n, buf[:n], err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestWriteReadDoesNotAllocate(t *testing.T) {
	a, b := New(1500, 16)
	pkt := make([]byte, 1400)
	buf := make([]byte, 1500)
	allocs := testing.AllocsPerRun(1000, func() {
		if err := a.WritePacket(pkt); err != nil {
			t.Fatal(err)
		}
		if _, err := b.ReadPacket(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per write and read, want 0", allocs)
	}
}

func BenchmarkPipe(b *testing.B) {
	x, y := New(1500, 64)
	pkt := make([]byte, 1400)
	buf := make([]byte, 1500)
	b.ReportAllocs()
	b.SetBytes(int64(len(pkt)))
	for b.Loop() {
		if err := x.WritePacket(pkt); err != nil {
			b.Fatal(err)
		}
		if _, err := y.ReadPacket(buf); err != nil {
			b.Fatal(err)
		}
	}
}
