package clock

// Clock is what a host driver reads time from and sleeps on. Sans-IO
// components never hold a Clock; the driver reads Now and passes it down.
type Clock interface {
	// Now returns the current instant.
	Now() Instant
	// NewTimer returns a timer that fires once at instant at, or at once if
	// at is not after Now. A timer armed at Never does not fire.
	NewTimer(at Instant) Timer
}

// Timer delivers one wake-up at an instant. Its methods are safe for
// concurrent use.
type Timer interface {
	// C returns the channel that receives one value when the timer fires.
	// The channel has a buffer of one, so a fire is never lost and the
	// timer never blocks on a slow receiver.
	C() <-chan struct{}
	// Reset re-arms the timer to fire at instant at (at once if at is not
	// after Now, never if at is Never). It is safe whether or not the timer
	// has fired; a fire that has not been received is discarded.
	Reset(at Instant)
	// Stop disarms the timer and discards a fire that has not been received.
	Stop()
}
