//go:build !linux

package load

import "time"

// fineWindow is 0 where there is no nanosleep: Go timers do all the waiting.
const fineWindow = 0

func preciseSleep(d time.Duration) { time.Sleep(d) }
