package load

import (
	"errors"
	"fmt"
	"slices"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// SchemaVersion names the JSON shape of a Result.
const SchemaVersion = "plugincheck.load/v1"

// OldSchemaVersion names the shape before v1, which Merge refuses: its
// verdict and error counts were objects keyed by labels.
const OldSchemaVersion = "plugincheck-load/1"

// CaseInfo describes one case of the request mix.
type CaseInfo struct {
	// ID is the case ID (suite/transport/case).
	ID string `json:"id"`
	// Weight is the case's share of the mix, relative to the others.
	Weight float64 `json:"weight"`
	// Baseline labels the verdict the case had before the load; empty
	// when the baseline call failed.
	Baseline string `json:"baseline,omitempty"`
}

// Info says what a run was asked to do.
type Info struct {
	Module    string `json:"module"`
	Transport string `json:"transport"`
	Target    string `json:"target"`
	// Mode is "open" (--rate) or "closed" (--concurrency only).
	Mode      string  `json:"mode"`
	TargetRPS float64 `json:"targetRps,omitempty"`
	// Concurrency is the number of callers of a closed loop, or the cap
	// on calls in flight of an open loop.
	Concurrency int `json:"concurrency"`
	// AutoConcurrency marks an open loop whose cap was not given: it
	// started callers as the plugin needed them, up to Concurrency
	// (MaxGrowingConcurrency), where a given cap is a hard one.
	AutoConcurrency bool     `json:"autoConcurrency,omitempty"`
	Connections     int      `json:"connections"`
	Duration        Duration `json:"durationMs,omitempty"`
	RequestLimit    uint64   `json:"requestLimit,omitempty"`
	WarmupTime      Duration `json:"warmupMs,omitempty"`
	// Machines counts the runs merged into this result.
	Machines int        `json:"machines"`
	Mix      []CaseInfo `json:"mix"`
}

// Percentiles summarise one latency histogram.
type Percentiles struct {
	Count int64    `json:"count"`
	Min   Duration `json:"minMs"`
	P50   Duration `json:"p50Ms"`
	P90   Duration `json:"p90Ms"`
	P99   Duration `json:"p99Ms"`
	P999  Duration `json:"p99_9Ms"`
	P9999 Duration `json:"p99_99Ms"`
	Max   Duration `json:"maxMs"`
	Mean  Duration `json:"meanMs"`
}

// Summarize computes the percentiles of h.
func Summarize(h *hdr.Histogram) Percentiles {
	p := Percentiles{Count: h.TotalCount()}
	if p.Count == 0 {
		return p
	}
	at := func(q float64) Duration { return Duration(h.ValueAtPercentile(q)) }
	p.Min = Duration(h.Min())
	p.P50, p.P90, p.P99 = at(50), at(90), at(99)
	p.P999, p.P9999 = at(99.9), at(99.99)
	p.Max = Duration(h.Max())
	p.Mean = Duration(h.Mean())
	return p
}

// Latency holds the corrected and uncorrected summaries side by side.
type Latency struct {
	// Corrected is measured from each call's send slot (open loop).
	Corrected Percentiles `json:"corrected"`
	// Uncorrected is measured from each call's actual start, as tools
	// without coordinated-omission correction measure.
	Uncorrected Percentiles `json:"uncorrected"`
}

// Histograms are the run's histograms, V2-encoded (compressed, base64) as
// in HDR histogram logs, so that results merge exactly.
type Histograms struct {
	Corrected   string `json:"corrected"`
	Uncorrected string `json:"uncorrected"`
}

// Gate is one CI threshold and how the run fared against it.
type Gate struct {
	// Name is the flag that set it ("max-p99", "max-error-rate", "min-rps").
	Name   string  `json:"name"`
	Limit  float64 `json:"limit"`
	Actual float64 `json:"actual"`
	// Unit is "ms", "ratio" or "rps".
	Unit     string `json:"unit"`
	Breached bool   `json:"breached"`
	// Cause names what the failed calls were, for max-error-rate: the
	// shares of transport errors and GOST-level failures and the most
	// frequent kind of each, so a breach says why.
	Cause string `json:"cause,omitempty"`
}

// Tool names the program that made a result: the same JSON shape as the
// module report's tool (package report), kept here because internal/load
// imports no project package.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// GOST is the GOST version whose behaviour the verdicts follow.
	GOST string `json:"gost"`
	// Plugin is the go-gost/plugin protos version spoken.
	Plugin string `json:"plugin"`
}

// Result is the outcome of a load run, or of several merged runs.
type Result struct {
	Schema string `json:"schema"`
	// Tool names the program that made the result, in the report's
	// shape.
	Tool *Tool `json:"tool,omitempty"`
	Info
	StartedAt   time.Time  `json:"startedAt"`
	EndedAt     time.Time  `json:"endedAt"`
	Elapsed     Duration   `json:"elapsedMs"`
	Stop        StopReason `json:"stop"`
	AchievedRPS float64    `json:"achievedRps"`
	// ErrorRate is the share of calls with a transport error (no reply).
	ErrorRate float64 `json:"errorRate"`
	// FailureRate is the share of calls GOST treats as failed although
	// the plugin replied (Counts.Failures).
	FailureRate float64 `json:"gostFailureRate"`
	Counts
	MaxLag Duration `json:"maxLagMs"`
	// Unsent counts open-loop send slots due before the end that were
	// never sent because the generator had fallen behind.
	Unsent uint64 `json:"unsentSlots"`
	// MaxInFlight is the most calls in flight at once (merged runs add
	// theirs).
	MaxInFlight int `json:"maxInFlight"`
	// SuggestedConcurrency, when set, is the --concurrency an open loop
	// whose calls filled its cap while slots went late or unsent needs:
	// see SuggestConcurrency.
	SuggestedConcurrency int        `json:"suggestedConcurrency,omitempty"`
	Latency              Latency    `json:"latency"`
	Gates                []Gate     `json:"gates,omitempty"`
	Notes                []string   `json:"notes,omitempty"`
	Histograms           Histograms `json:"histograms"`
	// Timeline is the calls, errors and GOST failures of each progress
	// interval, at most MaxTimelinePoints of them: throughput over time.
	Timeline []TimelinePoint `json:"timeline,omitempty"`
}

// NewResult builds the result of m for a run described by info.
func NewResult(info Info, m *Metrics) (*Result, error) {
	r := &Result{
		Schema:      SchemaVersion,
		Info:        info,
		StartedAt:   m.MeasureStart.UTC(),
		EndedAt:     m.MeasureEnd.UTC(),
		Elapsed:     Duration(m.Elapsed()),
		Stop:        m.Stop,
		AchievedRPS: m.RPS(),
		ErrorRate:   m.ErrorRate(),
		FailureRate: m.FailureRate(),
		Counts:      m.Counts.clone(),
		MaxLag:      Duration(m.MaxLag),
		Unsent:      m.Unsent,
		MaxInFlight: m.MaxInFlight,
		Latency:     Latency{Corrected: Summarize(m.Corrected), Uncorrected: Summarize(m.Uncorrected)},
		Timeline:    m.timeline.points(m.MeasureStart),
	}
	if r.Machines == 0 {
		r.Machines = 1
	}
	r.SuggestedConcurrency = suggestion(r)
	if len(r.Cases) < len(info.Mix) {
		r.Cases = append(r.Cases, make([]CaseCounts, len(info.Mix)-len(r.Cases))...)
	}
	var err error
	if r.Histograms.Corrected, err = encode(m.Corrected); err != nil {
		return nil, err
	}
	if r.Histograms.Uncorrected, err = encode(m.Uncorrected); err != nil {
		return nil, err
	}
	return r, nil
}

func encode(h *hdr.Histogram) (string, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

func decode(s string) (*hdr.Histogram, error) {
	if s == "" {
		return NewHistogram(), nil
	}
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// Metrics rebuilds the metrics of r from its histograms and counters.
func (r *Result) Metrics() (*Metrics, error) {
	m := NewMetrics()
	for _, p := range []struct {
		enc string
		dst *hdr.Histogram
	}{{r.Histograms.Corrected, m.Corrected}, {r.Histograms.Uncorrected, m.Uncorrected}} {
		h, err := decode(p.enc)
		if err != nil {
			return nil, err
		}
		m.Dropped += p.dst.Merge(h)
	}
	m.Counts = r.Counts.clone()
	m.timeline = fromPoints(r.StartedAt, r.Timeline)
	m.MaxLag = time.Duration(r.MaxLag)
	m.Unsent = r.Unsent
	m.MaxInFlight = r.MaxInFlight
	m.MeasureStart, m.MeasureEnd = r.StartedAt, r.EndedAt
	m.Stop = r.Stop
	return m, nil
}

// ErrMismatch is returned by Merge for results of different runs: another
// module, transport or target.
var ErrMismatch = errors.New("results are not of the same load test")

// Merge combines the results of several machines into one, exactly:
// histograms and counters add, the measured window is the union of theirs,
// target rates and concurrencies add. Cases are matched by ID. Results
// whose measured windows leave a gap are refused (ErrWindowGap): their
// calls were not made together, so they make no one rate.
func Merge(rs ...*Result) (*Result, error) { return MergeOptions{}.Merge(rs...) }

// Merge is the package's Merge with o's options.
func (o MergeOptions) Merge(rs ...*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errors.New("merge: no results")
	}
	first := rs[0]
	info := first.Info
	info.Machines = 0
	info.AutoConcurrency = true
	info.TargetRPS, info.Concurrency, info.Connections = 0, 0, 0
	info.Mix = nil
	caseIndex := map[string]int{}
	total := NewMetrics()
	for i, r := range rs {
		if r.Schema != SchemaVersion {
			return nil, fmt.Errorf("%s: schema %q, want %q", o.name(i), r.Schema, SchemaVersion)
		}
		if r.Module != first.Module || r.Transport != first.Transport || r.Mode != first.Mode {
			return nil, fmt.Errorf("%w: %s is %s/%s %s loop, %s is %s/%s %s loop",
				ErrMismatch, o.name(i), r.Module, r.Transport, r.Mode, o.name(0), first.Module, first.Transport, first.Mode)
		}
		m, err := r.Metrics()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.name(i), err)
		}
		// Re-index the cases of r by ID into the merged mix.
		cases := make([]CaseCounts, len(info.Mix))
		copy(cases, total.Cases)
		for j, ci := range r.Info.Mix {
			k, ok := caseIndex[ci.ID]
			if !ok {
				k = len(info.Mix)
				caseIndex[ci.ID] = k
				info.Mix = append(info.Mix, ci)
				cases = append(cases, CaseCounts{})
			} else if info.Mix[k].Baseline == "" {
				info.Mix[k].Baseline = ci.Baseline
			}
			if j < len(m.Cases) {
				cases[k].add(&m.Cases[j])
			}
		}
		m.Cases, total.Cases = nil, nil
		total.Merge(m)
		total.Cases = cases
		machines := r.Machines
		if machines == 0 {
			machines = 1
		}
		info.Machines += machines
		info.TargetRPS += r.TargetRPS
		info.Concurrency += r.Concurrency
		info.AutoConcurrency = info.AutoConcurrency && r.AutoConcurrency
		info.Connections += r.Connections
		if r.Target != first.Target && !slices.Contains([]string{"", "(several)"}, info.Target) {
			info.Target = "(several)"
		}
	}
	gap, err := o.checkWindows(rs)
	if err != nil {
		return nil, err
	}
	out, err := NewResult(info, total)
	if err != nil {
		return nil, err
	}
	if gap {
		rateOverOwnWindows(out, rs)
	}
	out.Tool = first.Tool
	if total.Dropped > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d latency values fell outside the histogram range and were dropped", total.Dropped))
	}
	return out, nil
}
