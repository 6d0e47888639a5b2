//go:build race

package synack_test

// raceEnabled tells tests that the race detector is on.
const raceEnabled = true
