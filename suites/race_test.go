//go:build race

package suites

// raceEnabled: the race detector slows every call about tenfold, so the
// largest tests run fewer cases under it.
const raceEnabled = true
