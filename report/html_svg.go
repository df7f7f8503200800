package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
	"time"
)

// The HTML report's charts are SVG written here in Go rather than drawn by
// a JavaScript charting library: there is no library to embed and keep up
// to date, the file renders offline and prints, and a test can read a
// chart as text. Every label is ours (numbers and fixed words); any text
// still goes through html.EscapeString.

// chart is the plot area of one SVG chart.
type chart struct {
	id, class, title string
	w, h             float64 // whole SVG
	left, right      float64 // plot area margins
	top, bottom      float64
	b                strings.Builder
}

func newChart(id, class, title string) *chart {
	c := &chart{id: id, class: class, title: title, w: 720, h: 300, left: 64, right: 16, top: 28, bottom: 48}
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" class="chart %s" viewBox="0 0 %g %g" role="img" aria-label="%s">`,
		html.EscapeString(id), html.EscapeString(class), c.w, c.h, html.EscapeString(title))
	fmt.Fprintf(&c.b, `<title>%s</title>`, html.EscapeString(title))
	fmt.Fprintf(&c.b, `<text class="chart-title" x="%g" y="18">%s</text>`, c.left, html.EscapeString(title))
	return c
}

func (c *chart) pw() float64 { return c.w - c.left - c.right }
func (c *chart) ph() float64 { return c.h - c.top - c.bottom }

// x and y map fractions of the plot area (0..1, y upwards) to pixels.
func (c *chart) x(f float64) float64 { return c.left + f*c.pw() }
func (c *chart) y(f float64) float64 { return c.top + (1-f)*c.ph() }

// axes draws the frame, the axis labels and the ticks: xt and yt map a
// fraction of the axis to its label.
func (c *chart) axes(xlabel, ylabel string, xt, yt []tickMark) {
	fmt.Fprintf(&c.b, `<rect class="plot" x="%g" y="%g" width="%g" height="%g"/>`, c.left, c.top, c.pw(), c.ph())
	for _, t := range xt {
		fmt.Fprintf(&c.b, `<line class="grid" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, c.x(t.at), c.top, c.x(t.at), c.top+c.ph())
		fmt.Fprintf(&c.b, `<text class="tick" x="%.1f" y="%g" text-anchor="middle">%s</text>`, c.x(t.at), c.top+c.ph()+16, html.EscapeString(t.label))
	}
	for _, t := range yt {
		fmt.Fprintf(&c.b, `<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, c.left, c.y(t.at), c.left+c.pw(), c.y(t.at))
		fmt.Fprintf(&c.b, `<text class="tick" x="%g" y="%.1f" text-anchor="end">%s</text>`, c.left-6, c.y(t.at)+4, html.EscapeString(t.label))
	}
	fmt.Fprintf(&c.b, `<text class="axis-label x-label" x="%g" y="%g" text-anchor="middle">%s</text>`, c.left+c.pw()/2, c.h-8, html.EscapeString(xlabel))
	fmt.Fprintf(&c.b, `<text class="axis-label y-label" transform="translate(14 %g) rotate(-90)" text-anchor="middle">%s</text>`, c.top+c.ph()/2, html.EscapeString(ylabel))
}

// polyline draws a series of fractional points.
func (c *chart) polyline(class, name string, pts [][2]float64) {
	var p []string
	for _, pt := range pts {
		p = append(p, fmt.Sprintf("%.1f,%.1f", c.x(pt[0]), c.y(pt[1])))
	}
	fmt.Fprintf(&c.b, `<polyline class="series %s" data-series="%s" points="%s"/>`, html.EscapeString(class), html.EscapeString(name), strings.Join(p, " "))
}

// legend lists the series names with their classes.
func (c *chart) legend(items ...[2]string) {
	x := c.left + c.pw() - 8
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		fmt.Fprintf(&c.b, `<text class="legend %s" x="%g" y="18" text-anchor="end">■ %s</text>`, html.EscapeString(it[0]), x, html.EscapeString(it[1]))
		x -= 9*float64(len(it[1])) + 24
	}
}

func (c *chart) svg() template.HTML {
	c.b.WriteString(`</svg>`)
	return template.HTML(c.b.String()) //nolint:gosec // built from numbers and escaped text above
}

// tickMark is one labelled position on an axis, as a fraction of it.
type tickMark struct {
	at    float64
	label string
}

// niceMax rounds v up to 1, 2 or 5 times a power of ten, so axis ticks
// fall on round numbers.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// linearTicks labels 0..max in five steps with format.
func linearTicks(max float64, format func(float64) string) []tickMark {
	var t []tickMark
	for i := 0; i <= 5; i++ {
		t = append(t, tickMark{at: float64(i) / 5, label: format(max * float64(i) / 5)})
	}
	return t
}

func fmtMs(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 1:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".") + " ms"
	case v < 10:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.1f", v), "0"), ".") + " ms"
	}
	return fmt.Sprintf("%.0f ms", v)
}

func fmtNum(v float64) string {
	if v >= 10 || v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// latencyHistogram draws the step latencies of a module run as bars of
// equal width from 0 to the slowest call, with GOST's timeout (budget) as
// a marked line when it falls on the chart.
func latencyHistogram(id string, samples []time.Duration, budget time.Duration) template.HTML {
	c := newChart(id, "latency-histogram", "Latency of the cases' calls (calls per bucket)")
	const buckets = 24
	var maxMs float64
	for _, s := range samples {
		maxMs = math.Max(maxMs, ms(s))
	}
	top := niceMax(maxMs)
	counts := make([]int, buckets)
	for _, s := range samples {
		i := int(ms(s) / top * buckets)
		counts[min(max(i, 0), buckets-1)]++
	}
	most := 0
	for _, n := range counts {
		most = max(most, n)
	}
	ymax := niceMax(float64(max(most, 5))) // whole calls on the axis
	c.axes("latency", "calls", linearTicks(top, fmtMs), linearTicks(ymax, fmtNum))
	bw := c.pw() / buckets
	for i, n := range counts {
		if n == 0 {
			continue
		}
		h := float64(n) / ymax * c.ph()
		fmt.Fprintf(&c.b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s–%s: %d</title></rect>`,
			c.x(float64(i)/buckets)+1, c.y(0)-h, bw-2, h, fmtMs(top*float64(i)/buckets), fmtMs(top*float64(i+1)/buckets), n)
	}
	if b := ms(budget); b > 0 && b <= top {
		fmt.Fprintf(&c.b, `<line class="budget" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/><text class="budget-label" x="%.1f" y="%g">GOST timeout</text>`,
			c.x(b/top), c.top, c.x(b/top), c.top+c.ph(), c.x(b/top)-4, c.top+12)
	}
	return c.svg()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// percentileSeries is one latency distribution: the value at quantile q
// (0..1) in milliseconds.
type percentileSeries struct {
	class, name string
	at          func(q float64) float64
}

// percentileChart draws latency by percentile on a log axis of 1/(1-q),
// as HdrHistogram's plotter does, so the tail (99.9 %, 99.99 %) gets as
// much room as the median. count bounds the axis: percentiles beyond
// what count calls can show are not drawn.
func percentileChart(id string, count int64, series ...percentileSeries) template.HTML {
	c := newChart(id, "hdr-percentiles", "Latency by percentile")
	nines := 2.0 // at least to 99 %
	if count > 0 {
		nines = math.Max(nines, math.Min(6, math.Ceil(math.Log10(float64(count)))))
	}
	var ymax float64
	const steps = 240
	pts := make([][][2]float64, len(series))
	vals := make([][]float64, len(series))
	for s, se := range series {
		for i := 0; i <= steps; i++ {
			x := nines * float64(i) / steps
			q := 1 - math.Pow(10, -x)
			v := se.at(q)
			vals[s] = append(vals[s], v)
			ymax = math.Max(ymax, v)
		}
	}
	ymax = niceMax(ymax)
	for s := range series {
		for i, v := range vals[s] {
			pts[s] = append(pts[s], [2]float64{float64(i) / steps, v / ymax})
		}
	}
	var xt []tickMark
	for n := 0; n <= int(nines); n++ {
		xt = append(xt, tickMark{at: float64(n) / nines, label: percentLabel(n)})
	}
	c.axes("percentile", "latency", xt, linearTicks(ymax, fmtMs))
	var legend [][2]string
	for s, se := range series {
		c.polyline(se.class, se.name, pts[s])
		legend = append(legend, [2]string{se.class, se.name})
	}
	c.legend(legend...)
	return c.svg()
}

// percentLabel is the label of n nines: 0%, 90%, 99%, 99.9%, …
func percentLabel(n int) string {
	if n == 0 {
		return "0%"
	}
	if n == 1 {
		return "90%"
	}
	return "99" + map[bool]string{true: "", false: "." + strings.Repeat("9", n-2)}[n == 2] + "%"
}

// throughputPoint is calls and failed calls per second over one interval,
// from t0 to t seconds.
type throughputPoint struct {
	t0, t, calls, failed float64
}

// throughputChart draws calls per second over time, with the calls that
// failed in GOST's terms (transport errors and failed replies) beside.
func throughputChart(id string, pts []throughputPoint) template.HTML {
	c := newChart(id, "throughput", "Throughput over time (calls per second)")
	var tmax, ymax float64
	for _, p := range pts {
		tmax = math.Max(tmax, p.t)
		ymax = math.Max(ymax, math.Max(p.calls, p.failed))
	}
	tmax, ymax = niceMax(tmax), niceMax(ymax)
	c.axes("seconds since the measurement started", "calls/s",
		linearTicks(tmax, func(v float64) string { return fmtNum(v) + " s" }), linearTicks(ymax, fmtNum))
	var calls, failed [][2]float64
	// Steps, not a line through interval ends: each rate held over its
	// whole interval, as it was measured.
	for _, p := range pts {
		calls = append(calls, [2]float64{p.t0 / tmax, p.calls / ymax}, [2]float64{p.t / tmax, p.calls / ymax})
		failed = append(failed, [2]float64{p.t0 / tmax, p.failed / ymax}, [2]float64{p.t / tmax, p.failed / ymax})
	}
	c.polyline("calls", "calls/s", calls)
	c.polyline("failed", "failed/s", failed)
	c.legend([2]string{"calls", "calls/s"}, [2]string{"failed", "failed/s"})
	return c.svg()
}
