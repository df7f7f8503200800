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
	// MaxErrorRate bounds the fraction of calls that failed; 0 allows none.
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
		r.Gates = append(r.Gates, Gate{Name: "max-error-rate", Unit: "ratio", Limit: *t.MaxErrorRate, Actual: r.ErrorRate, Breached: r.ErrorRate > *t.MaxErrorRate})
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
