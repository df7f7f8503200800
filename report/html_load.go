package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"sort"
	"time"

	"github.com/plugincheck/plugincheck/internal/load"
)

var loadHTML = htmlTemplates("load.html.tmpl")

// LoadHTML writes a load result as one self-contained HTML page: the
// summary, the latency percentiles with the HDR percentile chart
// (corrected and uncorrected, decoded from the result's histograms), the
// throughput over time, gates, the mix and the error kinds. A merged
// result renders the same way.
func LoadHTML(w io.Writer, r *load.Result) error {
	if r == nil {
		r = &load.Result{}
	}
	v, err := loadView(r)
	if err != nil {
		return fmt.Errorf("html load result: %w", err)
	}
	var buf bytes.Buffer
	if err := loadHTML.ExecuteTemplate(&buf, "load", v); err != nil {
		return fmt.Errorf("html load result: %w", err)
	}
	_, err = w.Write(buf.Bytes())
	return err
}

type htmlLoad struct {
	*load.Result
	Status               Status
	Tool, Started        string
	ErrorPct, FailurePct float64
	HDR, Throughput      template.HTML
	Mix                  []htmlMixRow
	Kinds                []htmlKind
}

type htmlMixRow struct {
	ID     string
	Weight float64
	load.CaseCounts
}

type htmlKind struct {
	Kind  string
	Count int64
	Text  string
}

func loadView(r *load.Result) (htmlLoad, error) {
	v := htmlLoad{Result: r, Status: Pass, Tool: htmlText(fmt.Sprint(r.Tool)),
		ErrorPct: 100 * r.ErrorRate, FailurePct: 100 * r.FailureRate}
	if !r.StartedAt.IsZero() {
		v.Started = r.StartedAt.UTC().Format(time.RFC3339)
	}
	if r.Errors+r.Failures > 0 {
		v.Status = Warn
	}
	for _, g := range r.Gates {
		if g.Breached {
			v.Status = Fail
		}
	}
	if r.Requests > 0 && r.Errors+r.Failures == r.Requests {
		v.Status = Fail
	}
	// The encoded histograms, not the summary percentiles, feed the chart:
	// they hold the whole distribution, merged results included.
	m, err := r.Metrics()
	if err != nil {
		return v, err
	}
	if n := m.Corrected.TotalCount(); n > 0 {
		at := func(h interface{ ValueAtQuantile(float64) int64 }) func(float64) float64 {
			return func(q float64) float64 { return ms(time.Duration(h.ValueAtQuantile(q * 100))) }
		}
		v.HDR = percentileChart("hdr-chart", n,
			percentileSeries{class: "corrected", name: "corrected", at: at(m.Corrected)},
			percentileSeries{class: "uncorrected", name: "uncorrected", at: at(m.Uncorrected)})
	}
	if len(r.Timeline) > 0 {
		var pts []throughputPoint
		prev := 0.0
		for _, p := range r.Timeline {
			secs := (p.AtMs - prev) / 1000
			t0 := prev / 1000
			prev = p.AtMs
			if secs <= 0 {
				continue
			}
			pts = append(pts, throughputPoint{t0: t0, t: p.AtMs / 1000, calls: float64(p.Calls) / secs, failed: float64(p.Errors+p.Failures) / secs})
		}
		v.Throughput = throughputChart("throughput-chart", pts)
	}
	for i, ci := range r.Mix {
		row := htmlMixRow{ID: htmlText(ci.ID), Weight: ci.Weight}
		if i < len(r.Cases) {
			row.CaseCounts = r.Cases[i]
		}
		v.Mix = append(v.Mix, row)
	}
	for k, n := range r.ErrorsBy {
		v.Kinds = append(v.Kinds, htmlKind{Kind: htmlText(k), Count: n})
	}
	for k, n := range r.FailuresBy {
		v.Kinds = append(v.Kinds, htmlKind{Kind: htmlText(k), Count: n, Text: htmlText(r.FailureTexts[k])})
	}
	sort.Slice(v.Kinds, func(i, j int) bool {
		if v.Kinds[i].Count != v.Kinds[j].Count {
			return v.Kinds[i].Count > v.Kinds[j].Count
		}
		return v.Kinds[i].Kind < v.Kinds[j].Kind
	})
	return v, nil
}
