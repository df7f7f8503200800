package cli

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/plugincheck/plugincheck/report"
)

// progressState is what the live load line shows; progressLine renders it
// for a terminal of a given width.
//
// The line is hand-written rather than drawn with
// github.com/vbauerster/mpb/v8: mpb is made for bars, redraws from its own
// goroutine on its own ticker (a second owner of standard error and one
// more goroutine for goleak to account for), and queries the terminal
// itself, while this is one status line redrawn when the load engine's
// 1-second interval arrives, which is already the refresh tick.
type progressState struct {
	Elapsed  time.Duration // since the run started, warm-up included
	Warmup   time.Duration // --warmup; 0 for none
	Total    time.Duration // --duration, measured part only; 0 when --requests alone bounds the run
	Calls    int64         // measured calls so far
	Target   int64         // --requests; 0 for none
	RPS      float64       // calls per second over the last interval
	P99      time.Duration
	Errors   int64
	Failures int64 // GOST-level failures
}

// progressLine renders st in at most width-1 columns, so that the
// terminal never wraps it (a wrapped line leaves a stale row behind that
// "\r\033[K" cannot clear). Fields are dropped from the least important
// end until the line fits; the first is cut if it alone does not.
func progressLine(width int, st progressState) string {
	var head string
	switch {
	case st.Warmup > 0 && st.Elapsed < st.Warmup:
		head = fmt.Sprintf("warming up %s/%s", roundS(st.Elapsed), roundS(st.Warmup))
	case st.Total > 0:
		head = fmt.Sprintf("%s/%s", roundS(st.Elapsed-st.Warmup), roundS(st.Total))
	default:
		head = roundS(st.Elapsed - st.Warmup).String()
	}
	calls := fmt.Sprintf("%d calls", st.Calls)
	if st.Calls == 1 {
		calls = "1 call"
	}
	if st.Target > 0 {
		calls = fmt.Sprintf("%d/%d calls", st.Calls, st.Target)
	}
	p99 := "p99 -" // no call measured yet
	if st.P99 > 0 {
		p99 = "p99 " + report.Duration(st.P99).String()
	}
	return fitFields(width, []string{
		head,
		calls,
		fmt.Sprintf("%.0f rps", st.RPS),
		p99,
		fmt.Sprintf("errors %d", st.Errors),
		fmt.Sprintf("GOST-level failures %d", st.Failures),
	})
}

// fitFields joins fields in at most width-1 columns, dropping them from
// the least important end, and cutting the first if it alone does not fit.
func fitFields(width int, fields []string) string {
	head := fields[0]
	limit := width - 1
	if limit < 1 {
		limit = 1
	}
	for n := len(fields); n > 0; n-- {
		line := strings.Join(fields[:n], "  ")
		if utf8.RuneCountInString(line) <= limit {
			return line
		}
	}
	r := []rune(head)
	return string(r[:min(len(r), limit)])
}

// roundS rounds to the second, never below zero.
func roundS(d time.Duration) time.Duration {
	return max(d, 0).Round(time.Second)
}

// defaultTermWidth is assumed when the terminal does not say.
const defaultTermWidth = 80
