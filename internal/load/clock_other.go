//go:build !linux

package load

import "context"

// newPreciseClock returns Go timers where there is no timerfd.
func newPreciseClock(ctx context.Context) (clock, error) { return newGoClock(ctx.Done()), nil }
