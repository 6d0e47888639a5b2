package trace

import "github.com/synack-net/synack/tcp"

// States returns the states host went through, in the order of events: the
// From of its first state change, then the To of each. It is nil when host
// changed state never. Every connection of host counts, so filter events
// first to follow one connection among several.
func States(events []Event, host string) []tcp.State {
	var states []tcp.State
	for _, e := range events {
		if e.Host != host || e.Kind != KindState {
			continue
		}
		if states == nil {
			states = append(states, e.From)
		}
		states = append(states, e.To)
	}
	return states
}

// Segments returns host's events of the given kind (KindSend, KindRecv or
// KindDrop, though any kind works), in the order of events.
func Segments(events []Event, host string, kind Kind) []Event {
	var out []Event
	for _, e := range events {
		if e.Host == host && e.Kind == kind {
			out = append(out, e)
		}
	}
	return out
}
