package trace

import "testing"

// A full queue drops and counts; Close ends the channel after what was
// queued, runs the registered detach functions once, and makes Record do
// nothing; OnClose on a closed subscription runs at once.
func TestSubscriptionQueueAndClose(t *testing.T) {
	s := NewSubscription(2)
	detached := 0
	if !s.OnClose(func() { detached++ }) {
		t.Fatal("OnClose on an open subscription reported closed")
	}
	for i := range 5 {
		s.Record(Event{Host: "h", Segment: Segment{Seq: uint32(i)}})
	}
	if s.Dropped() != 3 {
		t.Errorf("dropped %d, want 3", s.Dropped())
	}
	s.Close()
	s.Close()
	s.Record(Event{})
	var seqs []uint32
	for e := range s.Events() {
		seqs = append(seqs, e.Segment.Seq)
	}
	if len(seqs) != 2 || seqs[0] != 0 || seqs[1] != 1 || s.Dropped() != 3 {
		t.Errorf("read %v with %d dropped, want [0 1] and 3", seqs, s.Dropped())
	}
	if detached != 1 {
		t.Errorf("detach ran %d times, want 1", detached)
	}
	if s.OnClose(func() { detached++ }) || detached != 2 {
		t.Errorf("OnClose after Close: detach ran %d times in all, want 2", detached)
	}
}
