package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"time"
)

var loadHTML = htmlTemplates("load.html.tmpl")

// LoadPage is a load result as its HTML page shows it. It is in report's
// own plain types, not internal/load's, so that report's importers (suites
// among them) do not build the load engine; internal/loadreport fills it
// from a load result.
type LoadPage struct {
	// Title names the run ("auth"); Status is its overall outcome.
	Title  string
	Status Status
	// Summary lists label and value pairs in order.
	Summary []LoadField
	// Percentiles are the rows of the latency table: min, p50, p90, p99,
	// p99.9, p99.99, max and mean, formatted.
	Percentiles []LoadPercentiles
	// Curves are the latency distributions to plot by percentile, and
	// Count the calls they hold (which bounds the percentile axis).
	Curves []LoadCurve
	Count  int64
	// Timeline is the calls per interval, for the throughput chart.
	Timeline []LoadInterval
	Gates    []LoadGate
	Mix      []LoadCase
	Kinds    []LoadKind
	Notes    []string
}

// LoadField is one line of a load page's summary.
type LoadField struct{ Label, Value string }

// LoadPercentiles is one row of the latency table.
type LoadPercentiles struct {
	Name   string
	Values []string
}

// LoadCurve is one latency distribution: At returns the latency at
// quantile q (0..1).
type LoadCurve struct {
	Name string
	At   func(q float64) time.Duration
}

// LoadInterval is what one interval of the run measured.
type LoadInterval struct {
	Start, End    time.Duration // since the measurement started
	Calls, Failed int64         // Failed: transport errors and GOST failures
}

// LoadGate is one pass/fail gate of the run.
type LoadGate struct {
	Name, Limit, Actual, Cause string
	Breached                   bool
}

// LoadCase is one case of the mix and its counters.
type LoadCase struct {
	ID                               string
	Weight                           float64
	Calls, Errors, Failures, Changed int64
}

// LoadKind is one kind of error or GOST failure, with an example text.
type LoadKind struct {
	Kind  string
	Count int64
	Text  string
}

// LoadHTML writes a load page as one self-contained HTML file: the
// summary, the latency percentiles with the HDR percentile chart, the
// throughput over time, gates, the mix and the error kinds.
func LoadHTML(w io.Writer, p *LoadPage) error {
	if p == nil {
		p = &LoadPage{}
	}
	v := htmlLoad{LoadPage: p}
	if v.Status == "" {
		v.Status = Pass
	}
	for i := range v.Summary {
		v.Summary[i].Value = htmlText(v.Summary[i].Value)
	}
	if p.Count > 0 && len(p.Curves) > 0 {
		var series []percentileSeries
		for _, c := range p.Curves {
			at := c.At
			series = append(series, percentileSeries{class: c.Name, name: c.Name, at: func(q float64) float64 { return ms(at(q)) }})
		}
		v.HDR = percentileChart("hdr-chart", p.Count, series...)
	}
	if len(p.Timeline) > 0 {
		var pts []throughputPoint
		for _, iv := range p.Timeline {
			secs := (iv.End - iv.Start).Seconds()
			if secs <= 0 {
				continue
			}
			pts = append(pts, throughputPoint{t0: iv.Start.Seconds(), t: iv.End.Seconds(), calls: float64(iv.Calls) / secs, failed: float64(iv.Failed) / secs})
		}
		v.Throughput = throughputChart("throughput-chart", pts)
	}
	var buf bytes.Buffer
	if err := loadHTML.ExecuteTemplate(&buf, "load", v); err != nil {
		return fmt.Errorf("html load result: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type htmlLoad struct {
	*LoadPage
	HDR, Throughput template.HTML
}

// HTMLText bounds one string from the plugin for an HTML page as the
// other renderers bound theirs; the template escapes it.
func HTMLText(s string) string { return htmlText(s) }
