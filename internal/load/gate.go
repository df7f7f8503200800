package load

import (
	"fmt"
	"strings"
	"time"
)

// Thresholds are the CI gate of a run. Zero values (nil for MaxErrorRate)
// are not checked.
type Thresholds struct {
	// MaxP99 bounds the 99th percentile of the corrected latency.
	MaxP99 time.Duration
	// MaxErrorRate bounds the fraction of calls that failed, transport
	// errors and GOST-level failures together; 0 allows none.
	MaxErrorRate *float64
	// MinRPS is the lowest acceptable achieved rate.
	MinRPS float64
}

// Check compares r with t and records every gate in r.Gates. It returns
// the breached ones.
func (t Thresholds) Check(r *Result) []Gate {
	r.Gates = r.Gates[:0]
	if t.MaxP99 > 0 {
		actual := time.Duration(r.Latency.Corrected.P99)
		r.Gates = append(r.Gates, Gate{Name: "max-p99", Unit: "ms", Limit: ms(t.MaxP99), Actual: ms(actual), Breached: actual > t.MaxP99})
	}
	if t.MaxErrorRate != nil {
		actual := 0.0
		if r.Requests > 0 {
			actual = float64(r.Errors+r.Failures) / float64(r.Requests)
		}
		r.Gates = append(r.Gates, Gate{Name: "max-error-rate", Unit: "ratio", Limit: *t.MaxErrorRate, Actual: actual,
			Breached: actual > *t.MaxErrorRate, Cause: r.errorCause()})
	}
	if t.MinRPS > 0 {
		r.Gates = append(r.Gates, Gate{Name: "min-rps", Unit: "rps", Limit: t.MinRPS, Actual: r.AchievedRPS, Breached: r.AchievedRPS < t.MinRPS})
	}
	var breached []Gate
	for _, g := range r.Gates {
		if g.Breached {
			breached = append(breached, g)
		}
	}
	return breached
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// String says how the run fared against the gate, for people.
func (g Gate) String() string {
	actual, limit := g.format(g.Actual), g.format(g.Limit)
	switch {
	case g.Breached && g.Name == "min-rps":
		return fmt.Sprintf("achieved %s < %s (--%s)", actual, limit, g.Name)
	case g.Breached && g.Cause != "":
		return fmt.Sprintf("%s %s > %s (--%s): %s", g.what(), actual, limit, g.Name, g.Cause)
	case g.Breached:
		return fmt.Sprintf("%s %s > %s (--%s)", g.what(), actual, limit, g.Name)
	case g.Name == "min-rps":
		return fmt.Sprintf("achieved %s ≥ %s (--%s)", actual, limit, g.Name)
	}
	return fmt.Sprintf("%s %s ≤ %s (--%s)", g.what(), actual, limit, g.Name)
}

func (g Gate) what() string {
	switch g.Name {
	case "max-p99":
		return "p99"
	case "max-error-rate":
		return "error rate"
	}
	return strings.TrimPrefix(strings.TrimPrefix(g.Name, "max-"), "min-")
}

func (g Gate) format(v float64) string {
	switch g.Unit {
	case "ms":
		return fmtDuration(time.Duration(v * float64(time.Millisecond)))
	case "ratio":
		return fmt.Sprintf("%.4g%%", v*100)
	case "rps":
		return fmt.Sprintf("%.1f rps", v)
	}
	return fmt.Sprint(v)
}

// errorCause says what the failed calls of r were: the share of transport
// errors and of GOST-level failures, each with its most frequent kind.
func (r *Result) errorCause() string {
	if r.Requests == 0 {
		return ""
	}
	share := func(n int64) string { return fmt.Sprintf("%.4g%%", 100*float64(n)/float64(r.Requests)) }
	var parts []string
	if r.Errors > 0 {
		s := share(r.Errors) + " transport errors"
		if top := sortedCounts(r.ErrorsBy); len(top) > 0 {
			s += fmt.Sprintf(", %s %s", mostly(len(top)), top[0].k)
		}
		parts = append(parts, s)
	}
	if r.Failures > 0 {
		s := share(r.Failures) + " GOST-level failures"
		if top := sortedCounts(r.FailuresBy); len(top) > 0 {
			s += fmt.Sprintf(", %s %s", mostly(len(top)), top[0].k)
			if text := r.FailureTexts[top[0].k]; text != "" {
				s += " — " + text
			}
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func mostly(kinds int) string {
	if kinds == 1 {
		return "all"
	}
	return "mostly"
}
