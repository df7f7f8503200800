package main

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel send cmd SIGTERM when the benchmark dies,
// so that a benchmark killed by a signal it cannot catch (SIGKILL, a closed
// pipe) leaves no plugin process behind.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
