package synack_test

import (
	"bytes"
	"io"
	"net/netip"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/synack-net/synack"
	"github.com/synack-net/synack/link/pipe"
	"github.com/synack-net/synack/tcp"
	"github.com/synack-net/synack/trace"
)

// tracedPair joins a client (10.0.0.1) and a server (10.0.0.2), each recording into its own log, and closes both when the test ends.
func tracedPair(t *testing.T) (client, server *synack.Stack, clog, slog *trace.Log) {
	t.Helper()
	a, b := pipe.New(1500, 1024)
	clog, slog = new(trace.Log), new(trace.Log)
	start := func(name string, l *pipe.Endpoint, addr string, log *trace.Log) *synack.Stack {
		s, err := synack.New(synack.Config{Name: name, Recorder: log,
			Links: []synack.Link{{Link: l, Addrs: []netip.Prefix{netip.MustParsePrefix(addr)}}}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	client, server = start("client", a, "10.0.0.1/24", clog), start("server", b, "10.0.0.2/24", slog)
	return client, server, clog, slog
}

// echoAndClose runs one echo exchange of n bytes from client, closes it
// and waits out TIME_WAIT.
func echoAndClose(t *testing.T, client *synack.Stack, n int) {
	t.Helper()
	c, err := client.Dial("tcp", "10.0.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	echoRoundTrip(t, c, bytes.Repeat([]byte("x"), n))
	c.Close()
	time.Sleep(2 * time.Minute)
	synctest.Wait()
}

// collect reads sub until it is closed, then sends what it read on the
// returned channel.
func collect(sub *trace.Subscription) <-chan []trace.Event {
	done := make(chan []trace.Event, 1)
	go func() {
		var got []trace.Event
		for e := range sub.Events() {
			got = append(got, e)
		}
		done <- got
	}()
	return done
}

// Two subscribers of one stack: the one read as the events come gets every
// event the stack recorded, in order; the one never read keeps the first
// events that fit its queue and counts every other as dropped.
func TestSubscribeFastAndSlow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server, clog, _ := tracedPair(t)
		serveEcho(t, server)
		fast, slow := trace.NewSubscription(64), trace.NewSubscription(4)
		client.Subscribe(fast)
		client.Subscribe(slow)
		got := collect(fast)
		echoAndClose(t, client, 100_000)
		fast.Close()
		slow.Close()
		want := clog.Events
		if len(want) < 100 {
			t.Fatalf("only %d events recorded", len(want))
		}
		if g := <-got; !slices.Equal(g, want) || fast.Dropped() != 0 {
			t.Errorf("fast subscriber: %d events, %d dropped; want all %d", len(g), fast.Dropped(), len(want))
		}
		var kept []trace.Event
		for e := range slow.Events() {
			kept = append(kept, e)
		}
		if !slices.Equal(kept, want[:4]) || slow.Dropped() != uint64(len(want)-4) {
			t.Errorf("slow subscriber: kept %d, dropped %d; want the first 4 and %d dropped", len(kept), slow.Dropped(), len(want)-4)
		}
	})
}

// A subscription cancelled mid-stream gets the events up to the cancel and
// none after; one added later gets only the later ones; Close on the
// subscription ends its channel.
func TestUnsubscribeMidStream(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server, clog, _ := tracedPair(t)
		serveEcho(t, server)
		early, late := trace.NewSubscription(1024), trace.NewSubscription(1024)
		cancel := client.Subscribe(early)
		c, err := client.Dial("tcp", "10.0.0.2:7")
		if err != nil {
			t.Fatal(err)
		}
		synctest.Wait()
		cut := len(clog.Events)
		cancel()
		client.Subscribe(late)
		echoRoundTrip(t, c, []byte("after the cut"))
		c.Close()
		time.Sleep(2 * time.Minute)
		synctest.Wait()
		early.Close()
		late.Close()
		var g1, g2 []trace.Event
		for e := range early.Events() {
			g1 = append(g1, e)
		}
		for e := range late.Events() {
			g2 = append(g2, e)
		}
		if want := clog.Events[:cut]; !slices.Equal(g1, want) {
			t.Errorf("cancelled subscription: %d events, want the %d before the cut", len(g1), len(want))
		}
		if want := clog.Events[cut:]; !slices.Equal(g2, want) || len(want) == 0 {
			t.Errorf("later subscription: %d events, want the %d after the cut", len(g2), len(want))
		}
		if last := g2[len(g2)-1]; last.Kind != trace.KindState || last.To != tcp.Closed {
			t.Errorf("last event %+v, want the end of TIME_WAIT", last)
		}
	})
}

// One subscription fed by two stacks gets each stack's events complete and
// in its order, with times that never go back, and the JSON Lines form of
// both.
func TestSubscribeTwoStacksOneSink(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server, clog, slog := tracedPair(t)
		sub := trace.NewSubscription(256)
		client.Subscribe(sub)
		server.Subscribe(sub)
		serveEcho(t, server)
		var jsonl bytes.Buffer
		sink := trace.NewJSONLines(&jsonl)
		done := make(chan []trace.Event)
		go func() {
			var got []trace.Event
			for e := range sub.Events() {
				got = append(got, e)
				sink.Record(e)
			}
			done <- got
		}()
		echoAndClose(t, client, 50_000)
		sub.Close()
		got := <-done
		if sub.Dropped() != 0 {
			t.Fatalf("%d dropped", sub.Dropped())
		}
		byHost := map[string][]trace.Event{}
		var last trace.Event
		for i, e := range got {
			if i > 0 && e.Time < last.Time {
				t.Errorf("event %d at %v after one at %v", i, e.Time, last.Time)
			}
			last = e
			byHost[e.Host] = append(byHost[e.Host], e)
		}
		if !slices.Equal(byHost["client"], clog.Events) || !slices.Equal(byHost["server"], slog.Events) {
			t.Errorf("client %d of %d events, server %d of %d", len(byHost["client"]), len(clog.Events),
				len(byHost["server"]), len(slog.Events))
		}
		back, err := trace.ReadJSONLines(bytes.NewReader(jsonl.Bytes()))
		if err != nil || len(back) != len(got) {
			t.Fatalf("JSON Lines read back: %d events, %v; want %d", len(back), err, len(got))
		}
		for i := range back {
			if back[i] != got[i] {
				t.Fatalf("event %d read back as %+v, was %+v", i, back[i], got[i])
			}
		}
	})
}

// A subscription nobody reads never makes the stack wait: a 1 MiB echo
// goes through and the events beyond its queue of one are counted.
func TestSubscriptionNeverBlocksTheStack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		client, server, _, _ := tracedPair(t)
		serveEcho(t, server)
		sub := trace.NewSubscription(1)
		defer sub.Close()
		client.Subscribe(sub)
		c, err := client.Dial("tcp", "10.0.0.2:7")
		if err != nil {
			t.Fatal(err)
		}
		go func() { c.Write(bytes.Repeat([]byte("y"), 1<<20)); c.CloseWrite() }()
		n, err := io.Copy(io.Discard, c)
		if n != 1<<20 || err != nil {
			t.Fatalf("echo of 1 MiB: %d bytes, %v", n, err)
		}
		if sub.Dropped() == 0 {
			t.Error("an unread subscription of one event dropped nothing")
		}
		c.Close()
	})
}
