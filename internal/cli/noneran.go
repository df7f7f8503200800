package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// errNoCaseRan is a run that executed no case. Such a run proves nothing,
// so it is a usage error (exit 2) rather than a PASS.
var errNoCaseRan = errors.New("no case ran")

// noMatchError explains suites.ErrNoMatch from a module run: which of
// --run and --skip left nothing of how many cases of m.
func noMatchError(err error, checks *CheckOptions, ss []*suites.Suite, m mockclient.Module) error {
	if !errors.Is(err, suites.ErrNoMatch) {
		return err
	}
	n := 0
	for _, s := range ss {
		if s.Module == m {
			n += len(s.Cases)
		}
	}
	quote := func(ps []string) string {
		q := make([]string, len(ps))
		for i, p := range ps {
			q[i] = fmt.Sprintf("%q", clip.Text(p, 100))
		}
		return strings.Join(q, ", ")
	}
	switch {
	case len(checks.Run) > 0 && len(checks.Skip) == 0:
		return flagErrorf("%w: --run %s matched none of %d %s cases (see plugincheck suites %s)", errNoCaseRan, quote(checks.Run), n, m, m)
	case len(checks.Skip) > 0 && len(checks.Run) == 0:
		return flagErrorf("%w: --skip %s left none of %d %s cases", errNoCaseRan, quote(checks.Skip), n, m)
	case len(checks.Run) > 0:
		return flagErrorf("%w: --run %s with --skip %s left none of %d %s cases", errNoCaseRan, quote(checks.Run), quote(checks.Skip), n, m)
	}
	return flagErrorf("%w: %v", errNoCaseRan, err)
}

// noneExecuted returns errNoCaseRan when rep has cases but every one was
// skipped, naming the first skip reason.
func noneExecuted(rep *report.Report) error {
	if rep.Totals.Cases == 0 || rep.Totals.Skip < rep.Totals.Cases {
		return nil
	}
	reason := ""
	for _, run := range rep.Runs {
		for _, c := range run.Cases {
			if c.SkipReason != "" {
				reason = fmt.Sprintf(" (%s: %s)", clip.Text(c.ID, 200), clip.Text(c.SkipReason, 200))
				break
			}
		}
		if reason != "" {
			break
		}
	}
	return flagErrorf("%w: all %d cases were skipped%s", errNoCaseRan, rep.Totals.Cases, reason)
}
