package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// synthetic records calls lo..hi-1 of a fixed pseudo-random run into fresh
// metrics measured from start to end, in intervals of 100 calls.
func synthetic(lo, hi int, start, end time.Time) (*Metrics, []*Interval) {
	m := NewMetrics()
	var ivs []*Interval
	var iv *Interval
	for n := lo; n < hi; n++ {
		if iv == nil {
			iv = &Interval{Corrected: NewHistogram(), Uncorrected: NewHistogram(), Counts: Counts{Cases: make([]CaseCounts, 2)}}
		}
		r := rand.New(rand.NewPCG(uint64(n), 42))
		u := time.Duration(50_000 + r.ExpFloat64()*200_000)
		c := u + time.Duration(r.IntN(3))*time.Millisecond
		recordLatency(iv.Corrected, c)
		recordLatency(iv.Uncorrected, u)
		o := Outcome{Case: n % 2, Verdict: `{"ok":true}`}
		switch {
		case n%89 == 0:
			o.Failure, o.FailureText = "not-delivered", "GOST resends the batch"
		case n%83 == 0:
			o.Failure, o.FailureText = "http 500", "GOST denies"
		}
		if n%97 == 0 {
			o.Error, o.Verdict = "grpc Unavailable", `{"ok":false}`
		}
		if n%101 == 0 {
			o.Changed = true
		}
		iv.record(o)
		if (n+1)%100 == 0 || n == hi-1 {
			ivs = append(ivs, iv)
			iv = nil
		}
	}
	ivs[len(ivs)-1].Final = true
	ivs[len(ivs)-1].MeasureStart, ivs[len(ivs)-1].MeasureEnd = start, end
	ivs[len(ivs)-1].Stop = ReasonDuration
	for _, iv := range ivs {
		m.Add(iv)
	}
	return m, ivs
}

func info() Info {
	return Info{Module: "auth", Transport: "grpc", Target: "127.0.0.1:8000", Mode: "open", TargetRPS: 1000, Concurrency: 8, Connections: 1, Machines: 1,
		Mix: []CaseInfo{{ID: "s/grpc/a", Weight: 1, Baseline: `{"ok":true}`}, {ID: "s/grpc/b", Weight: 1, Baseline: `{"ok":true}`}}}
}

// roundTrip sends r through JSON, as merge reads it from a file.
func roundTrip(t *testing.T, r *Result) *Result {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, r))
	var out Result
	require.NoError(t, json.Unmarshal(buf.Bytes(), &out))
	return &out
}

func TestMergeOfHalvesEqualsWhole(t *testing.T) {
	t.Parallel()
	mid := t0.Add(5 * time.Second)
	end := t0.Add(10 * time.Second)
	whole, _ := synthetic(0, 20000, t0, end)
	a, _ := synthetic(0, 10000, t0, mid)
	b, _ := synthetic(10000, 20000, mid, end)

	wantRes, err := NewResult(info(), whole)
	require.NoError(t, err)
	ra, err := NewResult(info(), a)
	require.NoError(t, err)
	rb, err := NewResult(info(), b)
	require.NoError(t, err)

	got, err := Merge(roundTrip(t, ra), roundTrip(t, rb))
	require.NoError(t, err)

	gm, err := got.Metrics()
	require.NoError(t, err)
	assert.True(t, gm.Corrected.Equals(whole.Corrected), "merged corrected histogram equals the whole")
	assert.True(t, gm.Uncorrected.Equals(whole.Uncorrected), "merged uncorrected histogram equals the whole")
	assert.Equal(t, wantRes.Latency, got.Latency)
	assert.Equal(t, wantRes.Counts, got.Counts)
	assert.Equal(t, wantRes.AchievedRPS, got.AchievedRPS)
	assert.Equal(t, wantRes.ErrorRate, got.ErrorRate)
	assert.Equal(t, wantRes.FailureRate, got.FailureRate)
	assert.Equal(t, map[string]string{"not-delivered": "GOST resends the batch", "http 500": "GOST denies"}, got.FailureTexts)
	assert.Equal(t, wantRes.Elapsed, got.Elapsed)
	assert.Equal(t, wantRes.Histograms, got.Histograms, "even the encoded histograms are identical")
	assert.Equal(t, 2, got.Machines)
	assert.Equal(t, 2000.0, got.TargetRPS, "target rates add")
	assert.Equal(t, 16, got.Concurrency)
	assert.Equal(t, info().Mix, got.Mix)
}

func TestMergeMatchesCasesByID(t *testing.T) {
	t.Parallel()
	a, _ := synthetic(0, 100, t0, t0.Add(time.Second))
	b, _ := synthetic(100, 200, t0, t0.Add(time.Second))
	ra, _ := NewResult(info(), a)
	ib := info()
	ib.Mix[0], ib.Mix[1] = ib.Mix[1], ib.Mix[0]
	rb, _ := NewResult(ib, b)
	got, err := Merge(ra, rb)
	require.NoError(t, err)
	require.Len(t, got.Cases, 2)
	// b's case 0 is "s/grpc/b": it adds to the merged case 1.
	assert.Equal(t, ra.Cases[0].Calls+rb.Cases[1].Calls, got.Cases[0].Calls)
	assert.Equal(t, ra.Cases[1].Calls+rb.Cases[0].Calls, got.Cases[1].Calls)
}

func TestMergeRejects(t *testing.T) {
	t.Parallel()
	m, _ := synthetic(0, 10, t0, t0.Add(time.Second))
	r, _ := NewResult(info(), m)
	other := *r
	other.Module = "bypass"
	_, err := Merge(r, &other)
	assert.ErrorIs(t, err, ErrMismatch)

	old := *r
	old.Schema = "plugincheck-load/0"
	_, err = Merge(r, &old)
	assert.ErrorContains(t, err, "schema")

	broken := *r
	broken.Histograms.Corrected = "not base64!"
	_, err = Merge(r, &broken)
	assert.ErrorContains(t, err, "decode histogram")

	_, err = Merge()
	assert.Error(t, err)
}

func TestLogMergeOfHalvesEqualsWhole(t *testing.T) {
	t.Parallel()
	whole, _ := synthetic(0, 2000, t0, t0.Add(2*time.Second))
	var logs []string
	for _, half := range [][2]int{{0, 1000}, {1000, 2000}} {
		_, ivs := synthetic(half[0], half[1], t0, t0.Add(time.Second))
		var buf bytes.Buffer
		lw := NewLogWriter(&buf, t0)
		for i, iv := range ivs {
			iv.Start, iv.End = t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i+1)*time.Second)
			require.NoError(t, lw.Write(iv))
		}
		logs = append(logs, buf.String())
	}
	assert.Contains(t, logs[0], "#[Histogram log format version 1.3]")
	assert.Contains(t, logs[0], "Tag=corrected,")
	assert.Contains(t, logs[0], "Tag=uncorrected,")

	got := NewMetrics()
	for _, l := range logs {
		n, err := ReadLog(strings.NewReader(l), got)
		require.NoError(t, err)
		assert.Equal(t, 20, n, "10 intervals, two tags each")
	}
	assert.True(t, got.Corrected.Equals(whole.Corrected))
	assert.True(t, got.Uncorrected.Equals(whole.Uncorrected))
	assert.Zero(t, got.Dropped)
}

func TestThresholds(t *testing.T) {
	t.Parallel()
	m, _ := synthetic(0, 1000, t0, t0.Add(time.Second))
	r, err := NewResult(info(), m)
	require.NoError(t, err)
	p99 := time.Duration(r.Latency.Corrected.P99)
	zero, tenth := 0.0, 0.1
	tests := []struct {
		name         string
		th           Thresholds
		wantGates    int
		wantBreached []string
	}{
		{name: "no gate"},
		{name: "all pass", th: Thresholds{MaxP99: p99, MaxErrorRate: &tenth, MinRPS: 999}, wantGates: 3},
		{name: "p99", th: Thresholds{MaxP99: p99 - time.Microsecond}, wantGates: 1, wantBreached: []string{"max-p99"}},
		{name: "no error allowed", th: Thresholds{MaxErrorRate: &zero}, wantGates: 1, wantBreached: []string{"max-error-rate"}},
		{name: "errors and failures add up", th: Thresholds{MaxErrorRate: &r.ErrorRate}, wantGates: 1, wantBreached: []string{"max-error-rate"}},
		{name: "rate", th: Thresholds{MinRPS: 1001}, wantGates: 1, wantBreached: []string{"min-rps"}},
		{name: "all fail", th: Thresholds{MaxP99: time.Microsecond, MaxErrorRate: &zero, MinRPS: 1e6}, wantGates: 3, wantBreached: []string{"max-p99", "max-error-rate", "min-rps"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := *r
			r.Gates = nil
			var names []string
			for _, g := range tt.th.Check(&r) {
				names = append(names, g.Name)
			}
			assert.Equal(t, tt.wantBreached, names)
			assert.Len(t, r.Gates, tt.wantGates)
		})
	}
}

func TestGateString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		g    Gate
		want string
	}{
		{Gate{Name: "max-p99", Unit: "ms", Limit: 10, Actual: 12.5, Breached: true}, "p99 12.5ms > 10ms (--max-p99)"},
		{Gate{Name: "max-error-rate", Unit: "ratio", Limit: 0.01, Actual: 0.002}, "error rate 0.2% ≤ 1% (--max-error-rate)"},
		{Gate{Name: "min-rps", Unit: "rps", Limit: 1000, Actual: 900, Breached: true}, "achieved 900.0 rps < 1000.0 rps (--min-rps)"},
		{Gate{Name: "max-error-rate", Unit: "ratio", Limit: 0, Actual: 1, Breached: true, Cause: "100% GOST-level failures, all not-delivered"},
			"error rate 100% > 0% (--max-error-rate): 100% GOST-level failures, all not-delivered"},
		{Gate{Name: "max-error-rate", Unit: "ratio", Limit: 1, Actual: 1, Cause: "100% GOST-level failures, all not-delivered"}, "error rate 100% ≤ 100% (--max-error-rate)"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.g.String())
	}
}

func TestWriteText(t *testing.T) {
	t.Parallel()
	m, _ := synthetic(0, 1000, t0, t0.Add(time.Second))
	r, err := NewResult(info(), m)
	require.NoError(t, err)
	(Thresholds{MinRPS: 2000}).Check(r)
	var buf bytes.Buffer
	require.NoError(t, WriteText(&buf, r))
	out := buf.String()
	for _, want := range []string{
		"plugincheck load: auth over grpc at 127.0.0.1:8000",
		"open loop at 1000 rps, up to 8 in flight, 1 connection; stopped: duration",
		"requests     1000 in 1s",
		"rate         1000.0 rps achieved of 1000 target (100.0%)",
		"errors       11 (1.10%) without a reply",
		"GOST-level   23 (2.30%) replies GOST treats as failed calls",
		"GOST-level failures\n  1.2% http 500 (×12) — GOST denies\n  1.1% not-delivered (×11) — GOST resends the batch\n",
		"latency       corrected  uncorrected",
		"p99.99",
		"grpc Unavailable",
		"verdict changes under load: 2 cases FAILED",
		`FAIL s/grpc/a: 5 of 500 calls changed verdict from {"ok":true} to {"ok":true} (×4), {"ok":false} (×1)`,
		"FAIL achieved 1000.0 rps < 2000.0 rps (--min-rps)",
	} {
		assert.Contains(t, out, want)
	}
}

func TestGateCause(t *testing.T) {
	t.Parallel()
	zero := 0.0
	tests := []struct {
		name      string
		counts    Counts
		texts     map[string]string
		wantCause string
	}{
		{name: "no failed call", counts: Counts{Requests: 10}},
		{
			name:      "one GOST-level kind",
			counts:    Counts{Requests: 10, Failures: 10, FailuresBy: map[string]int64{"not-delivered": 10}},
			texts:     map[string]string{"not-delivered": "observer reply without ok:true"},
			wantCause: "100% GOST-level failures, all not-delivered — observer reply without ok:true",
		},
		{
			name:      "both, several kinds",
			counts:    Counts{Requests: 8, Errors: 2, ErrorsBy: map[string]int64{"timeout": 2}, Failures: 4, FailuresBy: map[string]int64{"http 404": 3, "decode": 1}},
			wantCause: "25% transport errors, all timeout; 50% GOST-level failures, mostly http 404",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := &Result{Counts: tt.counts}
			r.FailureTexts = tt.texts
			gates := (Thresholds{MaxErrorRate: &zero}).Check(r)
			require.Len(t, r.Gates, 1)
			assert.Equal(t, tt.wantCause, r.Gates[0].Cause)
			assert.Equal(t, tt.wantCause != "", len(gates) == 1, "breached")
			if tt.wantCause != "" {
				assert.InDelta(t, float64(tt.counts.Errors+tt.counts.Failures)/float64(tt.counts.Requests), r.Gates[0].Actual, 1e-12)
			}
		})
	}
}

func TestRecordFailures(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", maxFailureText)
	tests := []struct {
		name         string
		outcomes     []Outcome
		wantErrors   int64
		wantFailures int64
		check        func(t *testing.T, c *Counts)
	}{
		{
			name:       "a transport error is not also a failure",
			outcomes:   []Outcome{{Error: "timeout", Failure: "decode", FailureText: "x"}},
			wantErrors: 1,
			check: func(t *testing.T, c *Counts) {
				assert.Empty(t, c.FailuresBy)
				assert.Empty(t, c.FailureTexts)
				assert.Zero(t, c.Cases[0].Failures)
			},
		},
		{
			name:         "the first text of a kind is kept",
			outcomes:     []Outcome{{Failure: "http 500", FailureText: "first"}, {Failure: "http 500", FailureText: "second"}, {Failure: "decode"}},
			wantFailures: 3,
			check: func(t *testing.T, c *Counts) {
				assert.Equal(t, KindCounts{"http 500": 2, "decode": 1}, c.FailuresBy)
				assert.Equal(t, map[string]string{"http 500": "first"}, c.FailureTexts)
				assert.EqualValues(t, 3, c.Cases[0].Failures)
			},
		},
		{
			name:         "a long text is cut on a rune boundary",
			outcomes:     []Outcome{{Failure: "k", FailureText: long}},
			wantFailures: 1,
			check: func(t *testing.T, c *Counts) {
				got := c.FailureTexts["k"]
				assert.LessOrEqual(t, len(got), maxFailureText)
				assert.True(t, utf8.ValidString(got), "valid UTF-8")
				assert.True(t, strings.HasSuffix(got, "…"))
			},
		},
		{
			name: "ever-new kinds are folded into (other)",
			outcomes: func() []Outcome {
				var out []Outcome
				for i := range 3 * maxLabels {
					out = append(out, Outcome{Failure: fmt.Sprintf("kind %d", i), FailureText: "text"})
				}
				return out
			}(),
			wantFailures: 3 * maxLabels,
			check: func(t *testing.T, c *Counts) {
				assert.Len(t, c.FailuresBy, maxLabels+1)
				assert.EqualValues(t, 2*maxLabels, c.FailuresBy[OtherLabel])
				assert.LessOrEqual(t, len(c.FailureTexts), maxLabels)
				assert.NotContains(t, c.FailureTexts, OtherLabel)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &Counts{Cases: make([]CaseCounts, 1)}
			for _, o := range tt.outcomes {
				c.record(o)
			}
			assert.EqualValues(t, len(tt.outcomes), c.Requests)
			assert.Equal(t, tt.wantErrors, c.Errors)
			assert.Equal(t, tt.wantFailures, c.Failures)
			tt.check(t, c)
			// Adding to an empty total keeps every bound.
			var total Counts
			total.Add(c)
			assert.Equal(t, c.FailuresBy, total.FailuresBy)
			assert.Equal(t, c.FailureTexts, total.FailureTexts)
		})
	}
}

func TestAddKeepsNoTextForFoldedKinds(t *testing.T) {
	t.Parallel()
	var total Counts
	for i := range maxLabels {
		total.record(Outcome{Failure: fmt.Sprintf("kind %d", i), FailureText: "kept"})
	}
	late := Counts{}
	late.record(Outcome{Failure: "late kind", FailureText: "folded"})
	total.Add(&late)
	assert.EqualValues(t, 1, total.FailuresBy[OtherLabel])
	assert.NotContains(t, total.FailuresBy, "late kind")
	assert.NotContains(t, total.FailureTexts, "late kind", "a folded kind keeps no text")
	for k := range total.FailureTexts {
		assert.Contains(t, total.FailuresBy, k)
	}
}

func TestMergeWindows(t *testing.T) {
	t.Parallel()
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	run := func(from, to int) *Result {
		m, _ := synthetic(0, 100*(to-from), at(from), at(to)) // 100 calls/s
		r, err := NewResult(info(), m)
		require.NoError(t, err)
		return r
	}
	// An interrupted run that measured nothing takes no part in the check.
	empty, err := NewResult(info(), NewMetrics())
	require.NoError(t, err)

	tests := []struct {
		name      string
		runs      []*Result
		allowGaps bool
		wantErr   string
		wantRPS   float64
		wantEl    time.Duration
		wantNote  bool
	}{
		{name: "together", runs: []*Result{run(0, 10), run(0, 10)}, wantRPS: 200, wantEl: 10 * time.Second},
		{name: "halves of one run touch", runs: []*Result{run(0, 5), run(5, 10)}, wantRPS: 100, wantEl: 10 * time.Second},
		{name: "chained overlaps", runs: []*Result{run(12, 20), run(0, 10), run(5, 15)}, wantRPS: 2800.0 / 20, wantEl: 20 * time.Second},
		{name: "with an empty run", runs: []*Result{run(0, 10), empty, run(0, 10)}, wantRPS: 200, wantEl: 10 * time.Second},
		{name: "gaps allowed but none", runs: []*Result{run(0, 10), run(0, 10)}, allowGaps: true, wantRPS: 200, wantEl: 10 * time.Second},
		{
			// Two runs 8 minutes apart used to merge into one rate over 8m31s.
			name: "eight minutes apart", runs: []*Result{run(0, 10), run(500, 510)},
			wantErr: "measured windows do not overlap: b.json started 8m10s after a.json ended (2026-01-02 03:04:05.000–2026-01-02 03:04:15.000 UTC, then 2026-01-02 03:12:25.000–2026-01-02 03:12:35.000 UTC)",
		},
		{name: "gap after a chain", runs: []*Result{run(0, 10), run(5, 15), run(16, 20)}, wantErr: "c.json started 1s after b.json ended"},
		{
			name: "gaps allowed: each run over its own window", runs: []*Result{run(0, 10), run(500, 520)}, allowGaps: true,
			wantRPS: 200, wantEl: 20 * time.Second, wantNote: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := MergeOptions{Names: []string{"a.json", "b.json", "c.json"}, AllowGaps: tt.allowGaps}.Merge(tt.runs...)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, ErrWindowGap)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.InDelta(t, tt.wantRPS, got.AchievedRPS, 1e-6)
			assert.Equal(t, tt.wantEl, time.Duration(got.Elapsed))
			hasNote := false
			for _, n := range got.Notes {
				hasNote = hasNote || strings.Contains(n, "sum of each run's rate over its own window")
			}
			assert.Equal(t, tt.wantNote, hasNote, "notes %q", got.Notes)
		})
	}
}
