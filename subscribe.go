package synack

import "github.com/synack-net/synack/trace"

// Subscribe makes the stack offer every trace event it records (state
// changes with their causes, segments sent, received and dropped, timers
// fired) to sub, until sub is closed or cancel is called; any number of
// subscriptions may be added and removed while the stack runs, and one
// subscription may be fed by several stacks.
//
// The stack never waits for the subscription's reader and runs none of
// its code: an event that finds sub's queue full is dropped and counted
// (sub.Dropped). Each stack's events arrive in the order it recorded them,
// with times that never go back; on a stack of several shards that holds
// for each shard's, and so for each connection's, events, while those of
// different shards interleave. With no subscription and no
// Config.Recorder, tracing costs nothing. trace.NewJSONLines writes the
// events in their stable JSON Lines form.
func (s *Stack) Subscribe(sub *trace.Subscription) (cancel func()) {
	if len(s.shards) == 1 {
		return s.host.Subscribe(sub)
	}
	cancels := make([]func(), len(s.shards))
	for i, sh := range s.shards {
		cancels[i] = sh.host.Subscribe(sub)
	}
	return func() {
		for _, c := range cancels {
			c()
		}
	}
}
