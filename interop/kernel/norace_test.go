//go:build linux && !race

package kernel

// raceScale is how many times smaller the heaviest tests are made: 1,
// without the race detector.
const raceScale = 1
