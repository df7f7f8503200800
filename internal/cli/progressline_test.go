package cli

import (
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
)

func TestProgressLine(t *testing.T) {
	measuring := progressState{Elapsed: 17 * time.Second, Warmup: 5 * time.Second, Total: 30 * time.Second,
		Calls: 24000, RPS: 2000, P99: 3 * time.Millisecond, Errors: 2, Failures: 1}
	warming := measuring
	warming.Elapsed, warming.Calls = 3*time.Second, 0
	byCount := progressState{Elapsed: 4 * time.Second, Calls: 500, Target: 1000, RPS: 125}
	tests := []struct {
		name  string
		width int
		st    progressState
		want  string
	}{
		{"wide, measuring", 200, measuring, "12s/30s  24000 calls  2000 rps  p99 3ms  errors 2  GOST-level failures 1"},
		{"40 columns", 40, measuring, "12s/30s  24000 calls  2000 rps  p99 3ms"},
		{"20 columns", 20, measuring, "12s/30s"},
		{"21 columns", 21, measuring, "12s/30s  24000 calls"},
		{"warm-up, wide", 200, warming, "warming up 3s/5s  0 calls  2000 rps  p99 3ms  errors 2  GOST-level failures 1"},
		{"warm-up, 20 columns", 20, warming, "warming up 3s/5s"},
		{"warm-up, 10 columns cuts the label", 10, warming, "warming u"},
		{"requests bound, no duration", 40, byCount, "4s  500/1000 calls  125 rps  p99 -"},
		{"width 0 still bounded", 0, measuring, "1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := progressLine(tt.width, tt.st)
			assert.Equal(t, tt.want, got)
			assert.LessOrEqual(t, utf8.RuneCountInString(got), max(tt.width-1, 1), "never wraps the terminal")
			assert.NotContains(t, got, "\n")
		})
	}
}

// TestProgressLive: on a terminal each redraw clears the row first and
// fits the width; not on a terminal, nothing is written.
func TestProgressLive(t *testing.T) {
	for _, tty := range []bool{true, false} {
		ios, _, _, errOut := iostreams.Test()
		ios.SetStderrTTY(tty)
		p := newProgress(ios, "auto", &LoadOptions{Duration: 30 * time.Second, Warmup: 5 * time.Second})
		p.width = func(io.Writer) int { return 40 }
		m := load.NewMetrics()
		for i := 1; i <= 8; i++ {
			iv := &load.Interval{Corrected: load.NewHistogram(), Uncorrected: load.NewHistogram(), Start: p.start.Add(time.Duration(i-1) * time.Second), End: p.start.Add(time.Duration(i) * time.Second)}
			m.Add(iv)
			p.update(iv, m)
		}
		p.done()
		if !tty {
			assert.Empty(t, errOut.String(), "not a terminal: no progress")
			continue
		}
		redraws := strings.Split(errOut.String(), "\r\033[K")
		assert.Len(t, redraws, 10) // "" before the first, 8 lines, "" after done
		assert.True(t, strings.HasPrefix(redraws[1], "warming up 1s/5s"), redraws[1])
		assert.True(t, strings.HasPrefix(redraws[8], "3s/30s"), redraws[8])
		for _, r := range redraws {
			assert.LessOrEqual(t, utf8.RuneCountInString(r), 39)
		}
	}
}

// TestFitFields: the baseline pass's line, like the load's, never takes
// the terminal's last column, dropping its explanation first.
func TestFitFields(t *testing.T) {
	t.Parallel()
	fields := []string{"baseline  16 of 16 cases", "(one call each, before the load)"}
	tests := []struct {
		width int
		want  string
	}{
		{80, "baseline  16 of 16 cases  (one call each, before the load)"},
		{40, "baseline  16 of 16 cases"},
		{20, "baseline  16 of 16 "},
		{0, "b"},
	}
	for _, tt := range tests {
		got := fitFields(tt.width, fields)
		assert.Equal(t, tt.want, got, "width %d", tt.width)
		assert.LessOrEqual(t, len(got), max(tt.width-1, 1))
	}
}
