package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/mockclient"
)

// Flag ranges. The upper bounds are far above any real use; they catch a
// typo (an extra zero, a unit slip) before it turns into a run that never
// ends or a wait nobody meant.
const (
	// maxTimeout bounds GOST's --timeout, --call-timeout, --latency-budget
	// and --max-p99: a plugin call slower than an hour is no plugin call.
	maxTimeout = time.Hour
	// maxRunTime bounds the length of a load run (--duration, --warmup).
	maxRunTime = 7 * 24 * time.Hour
	// minRunTime is the shortest measured window of a load run: below it
	// the run can end before its first call, and pass with none made.
	minRunTime = 10 * time.Millisecond
	// maxRate is far above what one machine can send to one plugin; a
	// larger --rate spaces calls 0 ns apart, as Inf does.
	maxRate = 10_000_000
	// maxLoadConcurrency bounds the callers of a load run (--concurrency),
	// each a goroutine with its own buffers.
	maxLoadConcurrency = 100_000
	// maxConnections bounds --connections of a load run.
	maxConnections = 10_000
)

// checkFloat rejects NaN, ±Inf and values outside [lo, hi] for a float
// flag. NaN compares false with everything, so without this check a NaN
// passes every range test below it and a gate on it never fires.
func checkFloat(flag string, v, lo, hi float64) error {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return flagErrorf("%s %v: want a finite number", flag, v)
	case v < 0 && lo == 0:
		return flagErrorf("%s must not be negative", flag)
	case v < lo:
		return flagErrorf("%s %v: must be at least %v", flag, v, lo)
	case v > hi:
		return flagErrorf("%s %v: must be at most %v", flag, v, hi)
	}
	return nil
}

// checkDuration rejects a duration flag outside [lo, hi]; zeroOK also
// lets 0 through, where 0 means "none" or "off".
func checkDuration(flag string, d, lo, hi time.Duration, zeroOK bool) error {
	switch {
	case d == 0 && zeroOK:
		return nil
	case d < 0:
		return flagErrorf("%s %s: must not be negative", flag, d)
	case d == 0 && lo > 0:
		return flagErrorf("%s must be positive", flag)
	case d < lo:
		return flagErrorf("%s %s: must be at least %s", flag, d, lo)
	case d > hi:
		return flagErrorf("%s %s: must be at most %s", flag, d, hi)
	}
	return nil
}

// checkCount rejects an integer flag outside [lo, hi].
func checkCount(flag string, n, lo, hi int) error {
	switch {
	case n < lo:
		return flagErrorf("%s must be at least %d", flag, lo)
	case n > hi:
		return flagErrorf("%s %d: must be at most %d", flag, n, hi)
	}
	return nil
}

// checkWritable makes sure the run will be able to write file, so that a
// bad path fails before the run and not after it; label names the flag in
// the message. It creates nothing that stays: an existing file is opened
// for writing without truncation, a new one is tried with a temporary file
// in its directory.
func checkWritable(label, file string) error {
	fail := func(why string) error { return flagErrorf("%s: %s", label, why) }
	if st, err := os.Stat(file); err == nil {
		if st.IsDir() {
			return fail("is a directory")
		}
		f, err := os.OpenFile(file, os.O_WRONLY, 0)
		if err != nil {
			return fail("cannot write it: " + pathReason(err))
		}
		return f.Close()
	}
	dir := filepath.Dir(file)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail("directory " + dir + " does not exist")
	case err != nil:
		return fail("cannot use directory " + dir + ": " + pathReason(err))
	case !st.IsDir():
		return fail(dir + " is not a directory")
	}
	f, err := os.CreateTemp(dir, ".plugincheck-*")
	if err != nil {
		return fail("cannot create a file in " + dir + ": " + pathReason(err))
	}
	name := f.Name()
	_ = f.Close()
	return os.Remove(name)
}

// pathReason is the OS's reason without the path, which the caller has
// already named.
func pathReason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// checkOutputFiles checks that every FORMAT=FILE output can be written and
// that no two outputs share a file.
func checkOutputFiles(outs []output) error {
	seen := map[string]string{}
	for _, o := range outs {
		if o.file == "" {
			continue
		}
		key := filepath.Clean(o.file)
		if prev, ok := seen[key]; ok {
			return flagErrorf("--output: %s and %s both write %s; give each its own file", prev, o.format, o.file)
		}
		seen[key] = o.format
		if err := checkWritable("--output "+o.format+"="+o.file, o.file); err != nil {
			return err
		}
	}
	return nil
}

// checkAddr reads --addr with mockclient.ParseTarget, the one place that
// interprets an address, and adds what GOST does when it refuses one too.
func checkAddr(addr string, t mockclient.Transport, m mockclient.Module) (mockclient.Target, error) {
	a, err := mockclient.ParseTarget(mockclient.Config{Addr: addr, Transport: t, Module: m})
	if err == nil {
		return a, nil
	}
	err = fmt.Errorf("--addr %w", err)
	if ae := (*mockclient.AddressError)(nil); errors.As(err, &ae) && ae.GOSTRejects {
		err = mockclient.WithoutClient(err, m)
	}
	return a, &FlagError{Err: err}
}

// usageArgs makes every positional-argument error of cmd and its
// subcommands a usage error (exit 2), with a pointer to the help.
func usageArgs(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		usageArgs(c)
	}
	check := cmd.Args
	if check == nil {
		return
	}
	cmd.Args = func(c *cobra.Command, args []string) error {
		err := check(c, args)
		var fe *FlagError
		if err == nil || errors.As(err, &fe) {
			return err
		}
		return flagErrorf("%v (see %s --help)", err, c.CommandPath())
	}
}

// noArgs refuses any positional argument: the command takes flags only.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return flagErrorf("unexpected argument %q: %s takes only flags (see %s --help)", clipArg(args[0]), cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// moduleArg wants exactly one argument, the module.
func moduleArg(cmd *cobra.Command, args []string) error {
	switch {
	case len(args) == 0:
		return flagErrorf("%s needs a module, e.g. %s auth --addr 127.0.0.1:8000; modules: %s", cmd.CommandPath(), cmd.CommandPath(), moduleNames())
	case len(args) > 1:
		return flagErrorf("unexpected argument %q: %s takes one module (see %s --help)", clipArg(args[1]), cmd.CommandPath(), cmd.CommandPath())
	}
	return nil
}

// fileArgs wants at least one file.
func fileArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return flagErrorf("%s needs at least one file: the JSON results (-o json=FILE) or HDR logs (--hdr-log) of load runs", cmd.CommandPath())
	}
	return nil
}

// clipArg bounds an argument repeated in a message.
func clipArg(s string) string {
	const n = 100
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// checkRanges rejects the load flags no run can honour: NaN or infinite
// rates, counts and durations out of range, a bad address, an HDR log that
// cannot be written. What -n and -d mean together is validate's business.
func (o *LoadOptions) checkRanges() error {
	if err := o.Conn.validate(o.Module); err != nil {
		return err
	}
	checks := []error{
		checkFloat("--rate", o.Rate, 0, maxRate),
		checkCount("--concurrency", o.Concurrency, 1, maxLoadConcurrency),
		checkCount("--connections", o.Connections, 0, maxConnections),
		checkDuration("--duration", o.Duration, minRunTime, maxRunTime, true),
		checkDuration("--warmup", o.Warmup, 0, maxRunTime, true),
	}
	checks = append(checks, o.Out.checkFiles())
	return firstErr(checks)
}

// checkRanges rejects gate values that could never fire: NaN, infinite or
// out of range.
func (g *GateOptions) checkRanges() error {
	return firstErr([]error{
		checkDuration("--max-p99", g.MaxP99, 0, maxTimeout, true),
		// A huge --min-rps is a gate that always fires: legal.
		checkFloat("--min-rps", g.MinRPS, 0, math.MaxFloat64),
	})
}

// firstErr is the first non-nil error, so that a run reports one problem
// on one line.
func firstErr(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// checkOutputs parses -o and checks that every file named can be written.
func (o *CheckOptions) checkOutputs() error {
	outs, err := o.outputs()
	if err != nil {
		return err
	}
	return checkOutputFiles(outs)
}

// checkFiles parses -o and checks that every file named, and the HDR log,
// can be written.
func (o *LoadOutputs) checkFiles() error {
	outs, err := o.parse()
	if err != nil {
		return err
	}
	if err := checkOutputFiles(outs); err != nil {
		return err
	}
	if o.HDRLog != "" {
		return checkWritable("--hdr-log "+o.HDRLog, o.HDRLog)
	}
	return nil
}
