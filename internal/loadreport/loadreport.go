// Package loadreport turns a load result into report's HTML load page. It
// sits between internal/load, which knows nothing of reports, and report,
// whose importers must not build the load engine: neither may import the
// other, so the mapping lives here.
package loadreport

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/report"
)

// HTML writes r as one self-contained HTML page (report.LoadHTML). The
// percentile chart is drawn from the encoded HDR histograms, not from the
// summary percentiles, so a merged result shows its whole distribution.
func HTML(w io.Writer, r *load.Result) error {
	p, err := Page(r)
	if err != nil {
		return fmt.Errorf("html load result: %w", err)
	}
	return report.LoadHTML(w, p)
}

// Page maps r to the page report.LoadHTML renders.
func Page(r *load.Result) (*report.LoadPage, error) {
	if r == nil {
		r = &load.Result{}
	}
	m, err := r.Metrics()
	if err != nil {
		return nil, err
	}
	p := &report.LoadPage{Title: r.Module, Status: status(r), Notes: r.Notes}
	mode := r.Mode + " loop"
	if r.TargetRPS > 0 {
		mode += fmt.Sprintf(", target %.0f calls/s", r.TargetRPS)
	}
	mode += fmt.Sprintf(", concurrency %d, %d connections", r.Concurrency, r.Connections)
	if r.Machines > 1 {
		mode += fmt.Sprintf(", %d machines", r.Machines)
	}
	started := ""
	if !r.StartedAt.IsZero() {
		started = r.StartedAt.UTC().Format(time.RFC3339)
	}
	p.Summary = []report.LoadField{
		{Label: "Target", Value: r.Target + " (" + r.Transport + ")"},
		{Label: "Mode", Value: mode},
		{Label: "Calls", Value: fmt.Sprintf("%d measured, %.1f calls/s", r.Requests, r.AchievedRPS)},
		{Label: "Errors", Value: fmt.Sprintf("%d transport errors (%.3f %%), %d GOST failures (%.3f %%)", r.Errors, 100*r.ErrorRate, r.Failures, 100*r.FailureRate)},
		{Label: "Tool", Value: toolText(r.Tool)},
		{Label: "Started", Value: started},
		{Label: "Duration", Value: r.Elapsed.String() + " (" + r.Stop.String() + ")"},
	}
	for _, row := range []struct {
		name string
		p    load.Percentiles
	}{{"corrected", r.Latency.Corrected}, {"uncorrected", r.Latency.Uncorrected}} {
		pc := row.p
		p.Percentiles = append(p.Percentiles, report.LoadPercentiles{Name: row.name, Values: []string{
			pc.Min.String(), pc.P50.String(), pc.P90.String(), pc.P99.String(), pc.P999.String(), pc.P9999.String(), pc.Max.String(), pc.Mean.String(),
		}})
	}
	if n := m.Corrected.TotalCount(); n > 0 {
		p.Count = n
		// HdrHistogram takes percentiles, 0..100; values are nanoseconds.
		p.Curves = []report.LoadCurve{
			{Name: "corrected", At: func(q float64) time.Duration { return time.Duration(m.Corrected.ValueAtQuantile(100 * q)) }},
			{Name: "uncorrected", At: func(q float64) time.Duration { return time.Duration(m.Uncorrected.ValueAtQuantile(100 * q)) }},
		}
	}
	var prev time.Duration
	for _, t := range r.Timeline {
		end := time.Duration(t.AtMs * float64(time.Millisecond))
		p.Timeline = append(p.Timeline, report.LoadInterval{Start: prev, End: end, Calls: t.Calls, Failed: t.Errors + t.Failures})
		prev = end
	}
	for _, g := range r.Gates {
		p.Gates = append(p.Gates, report.LoadGate{
			Name: g.Name, Breached: g.Breached, Cause: g.Cause,
			Limit:  strconv.FormatFloat(g.Limit, 'g', 6, 64) + " " + g.Unit,
			Actual: strconv.FormatFloat(g.Actual, 'g', 6, 64) + " " + g.Unit,
		})
	}
	for i, ci := range r.Mix {
		c := report.LoadCase{ID: report.HTMLText(ci.ID), Weight: ci.Weight}
		if i < len(r.Cases) {
			cc := r.Cases[i]
			c.Calls, c.Errors, c.Failures, c.Changed = cc.Calls, cc.Errors, cc.Failures, cc.Changed
		}
		p.Mix = append(p.Mix, c)
	}
	for k, n := range r.ErrorsBy {
		p.Kinds = append(p.Kinds, report.LoadKind{Kind: report.HTMLText(k), Count: n})
	}
	for k, n := range r.FailuresBy {
		p.Kinds = append(p.Kinds, report.LoadKind{Kind: report.HTMLText(k), Count: n, Text: report.HTMLText(r.FailureTexts[k])})
	}
	sort.Slice(p.Kinds, func(i, j int) bool {
		if p.Kinds[i].Count != p.Kinds[j].Count {
			return p.Kinds[i].Count > p.Kinds[j].Count
		}
		return p.Kinds[i].Kind < p.Kinds[j].Kind
	})
	return p, nil
}

// status is the page's badge: fail when a gate broke or every call
// failed, warn when some calls failed, else pass.
func status(r *load.Result) report.Status {
	s := report.Pass
	if r.Errors+r.Failures > 0 {
		s = report.Warn
	}
	if r.Requests > 0 && r.Errors+r.Failures == r.Requests {
		s = report.Fail
	}
	for _, g := range r.Gates {
		if g.Breached {
			s = report.Fail
		}
	}
	return s
}

// toolText names the program that made r and the versions its verdicts
// follow; results read back from another tool may have none.
func toolText(t *load.Tool) string {
	if t == nil {
		return "-"
	}
	s := strings.TrimSpace(t.Name + " " + t.Version)
	if t.GOST != "" || t.Plugin != "" {
		s += " (verdicts follow " + strings.TrimSpace(t.GOST+" "+t.Plugin) + ")"
	}
	return s
}
