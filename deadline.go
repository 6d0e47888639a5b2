package synack

import (
	"sync"
	"time"
)

// deadline is a settable deadline whose wait channel closes when it
// passes, like net.Pipe's. It uses the time package, so testing/synctest
// runs it on virtual time. The zero value is a deadline never set: it
// holds no channel until one is, so that the many connections that never
// set a deadline pay nothing for it.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline passes; nil while none is set
}

// set arms the deadline at t; the zero time disarms it, a past time
// expires it at once.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait for its close to be visible
	}
	d.timer = nil
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = nil
		}
		return
	}
	if d.cancel == nil || closed {
		d.cancel = make(chan struct{})
	}
	if dur := time.Until(t); dur > 0 {
		c := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(c) })
		return
	}
	close(d.cancel)
}

// wait returns a channel that is closed when the deadline passes, or nil
// (which blocks for ever in a select) while no deadline is set.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

// isClosed reports whether c is closed; a nil c is not.
func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
