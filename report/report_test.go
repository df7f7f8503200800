package report_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/plugincheck/plugincheck/report"
)

func TestSummarize(t *testing.T) {
	t.Parallel()
	// 100ms, 99ms, ..., 1ms: unsorted on purpose.
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(100-i) * time.Millisecond
	}
	ms := func(n float64) report.Duration { return report.Duration(n * float64(time.Millisecond)) }
	tests := []struct {
		name    string
		samples []time.Duration
		want    report.Latency
	}{
		{
			name: "empty",
			want: report.Latency{Budget: ms(500)},
		},
		{
			name:    "one sample",
			samples: []time.Duration{7 * time.Millisecond},
			want:    report.Latency{Count: 1, P50: ms(7), P90: ms(7), P99: ms(7), Max: ms(7), Mean: ms(7), Budget: ms(500)},
		},
		{
			name:    "100 samples",
			samples: hundred,
			want:    report.Latency{Count: 100, P50: ms(50), P90: ms(90), P99: ms(99), Max: ms(100), Mean: ms(50.5), Budget: ms(500)},
		},
		{
			name:    "nearest rank rounds up",
			samples: []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond},
			want:    report.Latency{Count: 3, P50: ms(2), P90: ms(3), P99: ms(3), Max: ms(3), Mean: ms(2), Budget: ms(500)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := slices.Clone(tt.samples)
			got := report.Summarize(in, 500*time.Millisecond)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.samples, in, "Summarize changed its input")
		})
	}
}

func TestStatusWorse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s, o report.Status
		want report.Status
	}{
		{name: "pass pass", s: report.Pass, o: report.Pass, want: report.Pass},
		{name: "pass skip", s: report.Pass, o: report.Skip, want: report.Skip},
		{name: "skip warn", s: report.Skip, o: report.Warn, want: report.Warn},
		{name: "warn fail", s: report.Warn, o: report.Fail, want: report.Fail},
		{name: "fail pass", s: report.Fail, o: report.Pass, want: report.Fail},
		{name: "warn skip", s: report.Warn, o: report.Skip, want: report.Warn},
		{name: "fail fail", s: report.Fail, o: report.Fail, want: report.Fail},
		{name: "unknown loses to pass", s: report.Status("bogus"), o: report.Pass, want: report.Pass},
		{name: "pass beats unknown", s: report.Pass, o: report.Status(""), want: report.Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.s.Worse(tt.o), "%q.Worse(%q)", tt.s, tt.o)
		})
	}
}

func TestFinish(t *testing.T) {
	t.Parallel()
	run := func(diagnosis string, statuses ...report.Status) *report.Run {
		r := &report.Run{Diagnosis: diagnosis}
		for _, s := range statuses {
			r.Cases = append(r.Cases, &report.Case{Status: s})
		}
		return r
	}
	tests := []struct {
		name       string
		runs       []*report.Run
		wantTotals report.Totals
		wantStatus []report.Status
	}{
		{name: "no runs"},
		{
			name:       "every status",
			runs:       []*report.Run{run("", report.Pass, report.Warn, report.Fail, report.Skip, report.Pass)},
			wantTotals: report.Totals{Cases: 5, Pass: 2, Warn: 1, Fail: 1, Skip: 1},
			wantStatus: []report.Status{report.Fail},
		},
		{
			name:       "warn is the worst",
			runs:       []*report.Run{run("", report.Pass, report.Warn)},
			wantTotals: report.Totals{Cases: 2, Pass: 1, Warn: 1},
			wantStatus: []report.Status{report.Warn},
		},
		{
			name:       "all skipped passes",
			runs:       []*report.Run{run("", report.Skip, report.Skip)},
			wantTotals: report.Totals{Cases: 2, Skip: 2},
			wantStatus: []report.Status{report.Pass},
		},
		{
			name:       "diagnosis fails the run",
			runs:       []*report.Run{run("connection refused", report.Skip)},
			wantTotals: report.Totals{Cases: 1, Skip: 1},
			wantStatus: []report.Status{report.Fail},
		},
		{
			name:       "runs are summed",
			runs:       []*report.Run{run("", report.Pass, report.Fail), run("", report.Warn, report.Skip), run("")},
			wantTotals: report.Totals{Cases: 4, Pass: 1, Warn: 1, Fail: 1, Skip: 1},
			wantStatus: []report.Status{report.Fail, report.Warn, report.Pass},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &report.Report{Runs: tt.runs, Totals: report.Totals{Cases: 99, Fail: 99}}
			r.Finish()
			r.Finish() // idempotent: totals are recomputed, not added to
			assert.Equal(t, tt.wantTotals, r.Totals)
			var got []report.Status
			for _, run := range r.Runs {
				got = append(got, run.Status)
			}
			assert.Equal(t, tt.wantStatus, got)
		})
	}
}
