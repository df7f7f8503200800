package load

import (
	"context"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// newPreciseClock returns a clock that waits on a timerfd.
//
// Why a timerfd: a Go timer can wake a millisecond late (the netpoller's
// epoll_wait counts in milliseconds), which an open loop would charge to
// the plugin as corrected latency; a nanosleep, precise as it is, blocks a
// thread that holds a P, and on a 2-core machine that starves the
// transport's reader goroutines until sysmon retakes the P (up to 10 ms),
// which inflates the very latency being measured. A nonblocking timerfd in
// an *os.File is read through the netpoller instead: the pacer goroutine
// parks without holding a thread, and epoll wakes it when the kernel's
// hrtimer fires, within microseconds (a timerfd's hrtimer takes no timer
// slack).
func newPreciseClock(ctx context.Context) (clock, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("timerfd: %w", err)
	}
	// Go's clock is read first: the kernel's reading is then the later of
	// the two, and the timer fires at or after a slot, never before it.
	base := time.Now()
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("clock_gettime: %w", err)
	}
	f := os.NewFile(uintptr(fd), "load-pacer-timerfd")
	c := &timerfdClock{f: f, fd: fd, base: base, baseMono: ts.Nano(), fallback: newGoClock(ctx.Done())}
	// An interrupt makes a pending Read return at once. The deadline is
	// the netpoller's, so no goroutine waits for ctx meanwhile.
	c.stopWake = context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
	return c, nil
}

type timerfdClock struct {
	f  *os.File
	fd int
	// base and baseMono are one instant on Go's clock and on
	// CLOCK_MONOTONIC, which turn a time.Time into the timer's absolute
	// expiry. time.Time.Sub uses Go's monotonic reading, so the mapping is
	// exact up to the few hundred nanoseconds between the two reads.
	base     time.Time
	baseMono int64
	stopWake func() bool
	fallback clock
	buf      [8]byte
}

func (c *timerfdClock) waitUntil(due time.Time) bool {
	// A loop, should the two clocks' mapping be off by a few nanoseconds.
	for time.Until(due) > 0 {
		spec := unix.ItimerSpec{Value: unix.NsecToTimespec(c.baseMono + int64(due.Sub(c.base)))}
		if err := unix.TimerfdSettime(c.fd, unix.TFD_TIMER_ABSTIME, &spec, nil); err != nil {
			return c.fallback.waitUntil(due)
		}
		// The read returns the expiration count once the timer has fired;
		// it fails on the interrupt's deadline.
		if _, err := c.f.Read(c.buf[:]); err != nil {
			return false
		}
	}
	return true
}

func (c *timerfdClock) close() {
	c.stopWake()
	c.fallback.close()
	_ = c.f.Close()
}
