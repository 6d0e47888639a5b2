//go:build race

package tcp

// raceEnabled tells tests that the race detector is on.
const raceEnabled = true
