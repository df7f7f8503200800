package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/internal/loadmix"
	"github.com/plugincheck/plugincheck/mockclient"
)

// baselineBudget is how long the baseline pass may go on starting calls:
// the run's duration, or defaultLoadDuration when --requests alone bounds
// the run. A pass as long as the run itself is already out of proportion;
// against a plugin that never answers, it must not take one call timeout
// per case.
func baselineBudget(d time.Duration) time.Duration {
	if d <= 0 {
		return defaultLoadDuration
	}
	return d
}

// baselineRun is what the baseline pass did.
type baselineRun struct {
	outs       []mockclient.Outcome
	cases      int
	budget     time.Duration
	stopped    bool // the budget ran out before every case was called
	interrupts bool // ctx ended during the pass
}

// runBaseline makes the baseline pass of a load run: one call per case,
// bounded by baselineBudget plus one call timeout, with progress on
// standard error.
func runBaseline(ctx context.Context, opts *LoadOptions, caller *loadmix.Caller, cases int) baselineRun {
	b := baselineRun{cases: cases, budget: baselineBudget(opts.Duration)}
	prog := newBaselineProgress(opts.IO, opts.Progress)
	b.outs = caller.Baseline(ctx, loadmix.BaselineOptions{Deadline: time.Now().Add(b.budget), Progress: prog.update})
	prog.done()
	b.interrupts = ctx.Err() != nil
	b.stopped = !b.interrupts && len(b.outs) < cases
	return b
}

// note says what the pass left undone, for the result's notes; "" when it
// called every case.
func (b baselineRun) note() string {
	switch {
	case b.interrupts:
		return fmt.Sprintf("interrupted during the baseline pass (one call per case, before the load), after %d of %d cases: no call was measured", len(b.outs), b.cases)
	case b.stopped:
		return fmt.Sprintf("the baseline pass reached its time limit (%s) after %d of %d cases: the verdicts of the other cases were not taken, so their verdict changes are not checked", b.budget, len(b.outs), b.cases)
	}
	return ""
}

// finishInterruptedBaseline writes the result of a run interrupted before
// the load began, as an interrupted load writes its partial result: the
// baselines taken so far and no measured call.
func finishInterruptedBaseline(ctx context.Context, opts *LoadOptions, info load.Info, caller *loadmix.Caller, b baselineRun, notes []string) error {
	m := load.NewMetrics()
	now := time.Now()
	m.MeasureStart, m.MeasureEnd = now, now
	m.Stop = load.ReasonCancel
	info.Mix = caller.Info()
	res, err := load.NewResult(info, m)
	if err != nil {
		return err
	}
	res.Tool = &load.Tool{Name: "plugincheck", Version: Version, GOST: GOSTVersion, Plugin: PluginVersion}
	res.Notes = append(append(res.Notes, notes...), b.note())
	err = finishLoad(ctx, opts.IO, res, &opts.Gate, &opts.Out, nil)
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err // the result could not be written
	}
	return fmt.Errorf("interrupted during the baseline pass, after %d of %d cases; the partial result was written (%w)", len(b.outs), b.cases, err)
}

// diagnosing says on a terminal that plugincheck is probing the connection
// of a plugin that answered no baseline call, which takes a few handshake
// timeouts.
func diagnosing(opts *LoadOptions) {
	if opts.IO.IsStderrTTY() && opts.Progress != "off" {
		fmt.Fprintln(opts.IO.ErrOut, "load: no baseline call was answered; probing the connection to find out why …")
	}
}

// baselineProgress shows the baseline pass on standard error: a live line
// on a terminal, a line every progressLineEvery with --progress line.
type baselineProgress struct {
	w        io.Writer
	live     bool
	lines    bool
	lastLine time.Time
}

func newBaselineProgress(ios *iostreams.IOStreams, mode string) *baselineProgress {
	p := &baselineProgress{w: ios.ErrOut, lastLine: time.Now()}
	p.live, p.lines = progressMode(ios, mode)
	return p
}

func (p *baselineProgress) update(done, total int) {
	fields := []string{fmt.Sprintf("baseline  %d of %d cases", done, total), "(one call each, before the load)"}
	line := fields[0] + " " + fields[1]
	switch {
	case p.live:
		// Fitted to the terminal as the load's own line is: a wrapped
		// line leaves a stale row behind.
		fmt.Fprintf(p.w, "\r\033[K%s", fitFields(termWidth(p.w), fields))
	case p.lines && time.Since(p.lastLine) >= progressLineEvery:
		p.lastLine = time.Now()
		fmt.Fprintf(p.w, "load: %s\n", line)
	}
}

func (p *baselineProgress) done() {
	if p.live {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
