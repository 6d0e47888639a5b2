//go:build race

package netstack

// raceEnabled tells tests that the race detector is on.
const raceEnabled = true
