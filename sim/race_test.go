//go:build race

package sim

// raceEnabled tells tests that the race detector is on.
const raceEnabled = true
