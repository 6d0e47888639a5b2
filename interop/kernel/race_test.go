//go:build linux && race

package kernel

// raceScale is how many times smaller the heaviest tests are made: the
// race detector slows synack several times over.
const raceScale = 5
