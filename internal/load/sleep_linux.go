package load

import (
	"syscall"
	"time"
)

// fineWindow is how much of a wait before a send slot is slept with
// nanosleep rather than a Go timer. Go timers can wake a millisecond late
// when the process is otherwise idle, and an open loop would charge that
// lateness to the plugin as corrected latency; nanosleep with a 1 ns timer
// slack wakes within microseconds. Only the last stretch is slept this way
// because the sleep cannot be interrupted and holds an OS thread.
const fineWindow = 2 * time.Millisecond

// preciseSleep sleeps for d on the calling thread.
func preciseSleep(d time.Duration) {
	// PR_SET_TIMERSLACK (29): the kernel may otherwise defer the wake-up
	// by the thread's default 50 µs slack. It only makes this thread's
	// sleeps more precise, so leaving it set is harmless.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, 29, 1, 0)
	ts := syscall.NsecToTimespec(int64(d))
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}
