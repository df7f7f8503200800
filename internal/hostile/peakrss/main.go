// Command peakrss runs a command and writes its peak resident set size to
// a file, for tests that bound a child's memory.
//
//	peakrss -out peak.json -kill-above 536870912 -- plugincheck auth --addr …
//
// A test cannot read its child's peak itself: os/exec starts children with
// CLONE_VM, so at exec the kernel folds the parent's high-water mark into
// the child's ru_maxrss, and a large test process hides the child's figure.
// peakrss is small, so the ru_maxrss it reads is the child's own. It also
// reads VmHWM from /proc/<pid>/status while the child runs, and kills a
// child that passes -kill-above, so that a runaway child cannot take the
// machine down. It exits with the child's exit code.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Report is what peakrss writes to -out.
type Report struct {
	// PeakRSS is the child's peak RSS in bytes: the larger of the last
	// VmHWM read and ru_maxrss at exit.
	PeakRSS int64 `json:"peakRSS"`
	// Killed says the child passed -kill-above and was killed.
	Killed bool `json:"killed"`
}

func main() {
	os.Exit(run())
}

func run() int {
	out := flag.String("out", "", "write the JSON report to this file")
	killAbove := flag.Int64("kill-above", 0, "kill the child when its VmHWM passes this many bytes (0: never)")
	every := flag.Duration("poll", 20*time.Millisecond, "how often to read VmHWM")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "peakrss: usage: peakrss -out FILE [-kill-above BYTES] -- command [args]")
		return 2
	}
	cmd := exec.Command(flag.Arg(0), flag.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// The test ends peakrss, not the child; the child must not outlive it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "peakrss: %v\n", err)
		return 2
	}
	var rep Report
	done := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		tick := time.NewTicker(*every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			v, ok := vmHWM(cmd.Process.Pid)
			if !ok {
				continue
			}
			rep.PeakRSS = max(rep.PeakRSS, v)
			if *killAbove > 0 && v > *killAbove && !rep.Killed {
				rep.Killed = true
				_ = cmd.Process.Kill()
			}
		}
	}()
	err := cmd.Wait()
	close(done)
	<-polled
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		fmt.Fprintf(os.Stderr, "peakrss: %v\n", err)
		return 2
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rep.PeakRSS = max(rep.PeakRSS, ru.Maxrss<<10) // Linux counts KiB
	}
	b, _ := json.Marshal(rep)
	if err := os.WriteFile(*out, b, 0o600); err != nil {
		fmt.Fprintf(os.Stderr, "peakrss: %v\n", err)
		return 2
	}
	code := cmd.ProcessState.ExitCode()
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		code = 128 + int(ws.Signal())
	}
	return code
}

// vmHWM reads the VmHWM line of /proc/<pid>/status, in bytes.
func vmHWM(pid int) (int64, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		v, ok := strings.CutPrefix(line, "VmHWM:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
		return kb << 10, err == nil
	}
	return 0, false
}
