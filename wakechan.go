package synack

import "sync/atomic"

// wakeChan is a one-token channel that a waiter blocks on and a waker
// signals without blocking, made on first use so that connections nobody
// waits on hold no channel. A waiter gets the channel before it tests its
// condition: a waker that changes the condition later leaves a token, so
// the wake-up cannot be lost.
type wakeChan struct {
	p atomic.Pointer[chan struct{}]
}

// get returns the channel, making it if no one has yet.
func (w *wakeChan) get() chan struct{} {
	if ch := w.p.Load(); ch != nil {
		return *ch
	}
	ch := make(chan struct{}, 1)
	if w.p.CompareAndSwap(nil, &ch) {
		return ch
	}
	return *w.p.Load()
}

// notify leaves a token for the waiter, if there is a channel and it holds
// none already. With no channel yet, nobody has tested a condition, so
// there is no one to wake.
func (w *wakeChan) notify() {
	if ch := w.p.Load(); ch != nil {
		select {
		case *ch <- struct{}{}:
		default:
		}
	}
}

// forget drops the channel, for a waiter that is done and was the only
// one (a dial, before anyone can read or write): the connection idles
// without it, and the next waiter makes a new one. A token a waker sends
// meanwhile goes to the old channel, which nobody waits on.
func (w *wakeChan) forget() { w.p.Store(nil) }
