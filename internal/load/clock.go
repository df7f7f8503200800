package load

import "time"

// clock is how the pacer waits for a send slot.
type clock interface {
	// waitUntil returns once due has come, or false when the run was
	// interrupted first.
	waitUntil(due time.Time) bool
	close()
}

// goClock waits with a Go timer: portable, and the only kind of wait a
// testing/synctest bubble's fake clock moves.
type goClock struct {
	done  <-chan struct{}
	timer *time.Timer
}

func newGoClock(done <-chan struct{}) *goClock { return &goClock{done: done} }

func (c *goClock) waitUntil(due time.Time) bool {
	wait := time.Until(due)
	if wait <= 0 {
		return true
	}
	if c.timer == nil {
		c.timer = time.NewTimer(wait)
	} else {
		c.timer.Reset(wait)
	}
	select {
	case <-c.timer.C:
		return true
	case <-c.done:
		return false
	}
}

func (c *goClock) close() {
	if c.timer != nil {
		c.timer.Stop()
	}
}
