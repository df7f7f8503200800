//go:build !race

package suites

// raceEnabled: see race_test.go.
const raceEnabled = false
