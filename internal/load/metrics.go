package load

import (
	"maps"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram bounds. Latencies are recorded in nanoseconds, the unit HDR
// histogram logs assume, with 3 significant digits. Values above
// HighestLatency are recorded as HighestLatency and counted in
// Counts.Clamped.
const (
	LowestLatency  = time.Microsecond
	HighestLatency = 24 * time.Hour
	SigFigs        = 3
)

// NewHistogram returns an empty latency histogram with plugincheck's bounds.
// Its memory is fixed (about 240 KiB) whatever it records.
func NewHistogram() *hdr.Histogram {
	return hdr.New(int64(LowestLatency), int64(HighestLatency), SigFigs)
}

// maxLabels bounds each label map, so that a plugin answering with ever-new
// verdicts cannot grow memory with the request count.
const maxLabels = 64

// OtherLabel collects the counts of labels past the first maxLabels.
const OtherLabel = "(other)"

// maxFailureText bounds each kept failure text, in bytes.
const maxFailureText = 300

// Outcome is what one call produced, as far as load accounting goes.
type Outcome struct {
	// Case is the index of the call's case in the request mix.
	Case int
	// Error classifies a call that got no reply at all ("grpc
	// Unavailable", "timeout", …): a transport-level error.
	Error string
	// Failure classifies a call the plugin answered but whose reply the
	// caller's rules count as failed (for plugincheck, GOST's rules:
	// "http 500", "not-delivered", …); ignored when Error is set.
	Failure string
	// FailureText says what the failure means; the first text seen for
	// each Failure kind is kept, so it should not vary from call to call.
	FailureText string
	// Verdict labels GOST's verdict for the verdict distribution.
	Verdict string
	// Changed is true when the verdict differs from the case's baseline.
	Changed bool
}

// CaseCounts are the measured calls of one case of the mix.
type CaseCounts struct {
	Calls  int64 `json:"calls"`
	Errors int64 `json:"errors"`
	// Failures counts the case's calls with an Outcome.Failure.
	Failures int64 `json:"gostFailures"`
	Changed  int64 `json:"verdictChanges"`
	// ChangedTo counts the verdicts the case changed to, by label.
	ChangedTo VerdictCounts `json:"changedTo,omitempty"`
}

// Counts are the counters of an interval or of a whole run. They add up
// exactly across intervals and across machines.
type Counts struct {
	// Requests counts measured calls, failed ones included.
	Requests int64 `json:"requests"`
	// Errors counts measured calls that got no reply at all: transport
	// errors.
	Errors int64 `json:"errors"`
	// Failures counts measured calls the plugin answered with a reply
	// counted as failed (Outcome.Failure): GOST-level failures.
	Failures int64 `json:"gostFailures"`
	// Changed counts measured calls whose verdict differed from the
	// case's baseline.
	Changed int64 `json:"verdictChanges"`
	// Late counts calls that started later than their send slot by more
	// than the late tolerance: the generator fell behind.
	Late int64 `json:"lateStarts"`
	// MaxLag is the largest delay between a slot and its call's start.
	MaxLag time.Duration `json:"-"`
	// Warmup counts calls made during the warm-up and not measured.
	Warmup int64 `json:"warmupCalls"`
	// Abandoned counts calls still in flight when the run was interrupted;
	// they were cancelled by the generator and are not counted as errors.
	Abandoned int64 `json:"abandoned"`
	// Clamped counts latencies above HighestLatency.
	Clamped int64 `json:"clamped,omitempty"`

	// ErrorsBy counts Errors by kind label; it marshals as an array of
	// stable codes with the label as message (KindCounts).
	ErrorsBy KindCounts `json:"errorsBy,omitempty"`
	// FailuresBy counts Failures by kind; FailureTexts holds each kind's
	// text. Both are bounded like the other label maps.
	FailuresBy   KindCounts        `json:"gostFailuresBy,omitempty"`
	FailureTexts map[string]string `json:"gostFailureTexts,omitempty"`
	// Verdicts counts calls by verdict label; it marshals as an array of
	// decoded verdicts with their counts (VerdictCounts).
	Verdicts VerdictCounts `json:"verdicts,omitempty"`
	Cases    []CaseCounts  `json:"cases,omitempty"`
}

// Add adds o to c.
func (c *Counts) Add(o *Counts) {
	c.Requests += o.Requests
	c.Errors += o.Errors
	c.Failures += o.Failures
	c.Changed += o.Changed
	c.Late += o.Late
	c.MaxLag = max(c.MaxLag, o.MaxLag)
	c.Warmup += o.Warmup
	c.Abandoned += o.Abandoned
	c.Clamped += o.Clamped
	c.ErrorsBy = addLabels(c.ErrorsBy, o.ErrorsBy)
	c.FailuresBy = addLabels(c.FailuresBy, o.FailuresBy)
	c.FailureTexts = addTexts(c.FailureTexts, o.FailureTexts, c.FailuresBy)
	c.Verdicts = addLabels(c.Verdicts, o.Verdicts)
	if len(c.Cases) < len(o.Cases) {
		c.Cases = append(c.Cases, make([]CaseCounts, len(o.Cases)-len(c.Cases))...)
	}
	for i := range o.Cases {
		dst, src := &c.Cases[i], &o.Cases[i]
		dst.add(src)
	}
}

// add adds the counts of src to cc.
func (cc *CaseCounts) add(src *CaseCounts) {
	cc.Calls += src.Calls
	cc.Errors += src.Errors
	cc.Failures += src.Failures
	cc.Changed += src.Changed
	cc.ChangedTo = addLabels(cc.ChangedTo, src.ChangedTo)
}

// reset zeroes c for reuse, keeping its allocations.
func (c *Counts) reset() {
	cases := c.Cases
	eb, fb, ft, vs := c.ErrorsBy, c.FailuresBy, c.FailureTexts, c.Verdicts
	clear(eb)
	clear(fb)
	clear(ft)
	clear(vs)
	for i := range cases {
		clear(cases[i].ChangedTo)
		cases[i] = CaseCounts{ChangedTo: cases[i].ChangedTo}
	}
	*c = Counts{ErrorsBy: eb, FailuresBy: fb, FailureTexts: ft, Verdicts: vs, Cases: cases}
}

// clone returns a deep copy of c.
func (c *Counts) clone() Counts {
	out := *c
	out.ErrorsBy = maps.Clone(c.ErrorsBy)
	out.FailuresBy = maps.Clone(c.FailuresBy)
	out.FailureTexts = maps.Clone(c.FailureTexts)
	out.Verdicts = maps.Clone(c.Verdicts)
	out.Cases = make([]CaseCounts, len(c.Cases))
	for i, cc := range c.Cases {
		cc.ChangedTo = maps.Clone(cc.ChangedTo)
		out.Cases[i] = cc
	}
	return out
}

func addLabel(m map[string]int64, label string, n int64) map[string]int64 {
	if m == nil {
		m = make(map[string]int64)
	}
	if _, ok := m[label]; !ok && label != OtherLabel {
		// OtherLabel takes no slot, so that adding a bounded map to an
		// empty one keeps every label, whatever the order.
		kept := len(m)
		if _, other := m[OtherLabel]; other {
			kept--
		}
		if kept >= maxLabels {
			label = OtherLabel
		}
	}
	m[label] += n
	return m
}

func addLabels(dst, src map[string]int64) map[string]int64 {
	for k, v := range src {
		dst = addLabel(dst, k, v)
	}
	return dst
}

// addText keeps the first text of kind, cut to maxFailureText, while the
// map has room; kinds folded into OtherLabel keep no text.
func addText(m map[string]string, kind, text string) map[string]string {
	if text == "" {
		return m
	}
	if _, ok := m[kind]; ok || len(m) >= maxLabels || kind == OtherLabel {
		return m
	}
	if m == nil {
		m = make(map[string]string)
	}
	m[kind] = truncate(text, maxFailureText)
	return m
}

// addTexts adds the texts of src whose kind is counted in kinds, so that a
// kind folded into OtherLabel keeps no text.
func addTexts(dst, src map[string]string, kinds map[string]int64) map[string]string {
	for _, k := range slices.Sorted(maps.Keys(src)) {
		if _, ok := kinds[k]; ok {
			dst = addText(dst, k, src[k])
		}
	}
	return dst
}

// truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.ToValidUTF8(s[:cut], "") + "…"
}

// record adds one measured call to c.
func (c *Counts) record(o Outcome) {
	c.Requests++
	failed := o.Error == "" && o.Failure != ""
	switch {
	case o.Error != "":
		c.Errors++
		c.ErrorsBy = addLabel(c.ErrorsBy, o.Error, 1)
	case failed:
		c.Failures++
		c.FailuresBy = addLabel(c.FailuresBy, o.Failure, 1)
		if _, kept := c.FailuresBy[o.Failure]; kept {
			c.FailureTexts = addText(c.FailureTexts, o.Failure, o.FailureText)
		}
	}
	if o.Verdict != "" {
		c.Verdicts = addLabel(c.Verdicts, o.Verdict, 1)
	}
	if o.Changed {
		c.Changed++
	}
	if o.Case >= 0 && o.Case < len(c.Cases) {
		cc := &c.Cases[o.Case]
		cc.Calls++
		if o.Error != "" {
			cc.Errors++
		}
		if failed {
			cc.Failures++
		}
		if o.Changed {
			cc.Changed++
			cc.ChangedTo = addLabel(cc.ChangedTo, o.Verdict, 1)
		}
	}
}

// Interval is what the run measured between Start and End. Run sends one
// per reporting interval; the last one has Final set.
type Interval struct {
	Start, End time.Time
	// Corrected holds latencies from each call's intended start (its send
	// slot); Uncorrected from its actual start. In a closed loop there is
	// no schedule and the two are equal.
	Corrected, Uncorrected *hdr.Histogram
	Counts
	// Final marks the run's last interval, which carries the fields below.
	Final bool
	// Stop says why the run ended.
	Stop StopReason
	// Unsent counts the send slots of an open-loop run that were due
	// before the end but never sent because the generator was behind.
	Unsent uint64
	// MaxInFlight is the most calls that were in flight at once: in an
	// open loop, what the plugin needed (or the cap); in a closed loop,
	// the number of callers.
	MaxInFlight int
	// MeasureStart and MeasureEnd bound the measured part of the run: from
	// the end of the warm-up to the completion of the last measured call.
	MeasureStart, MeasureEnd time.Time
}

// Metrics accumulates the intervals of a run, or of several runs to merge.
// Its memory does not grow with the number of calls.
type Metrics struct {
	Corrected, Uncorrected *hdr.Histogram
	Counts
	Unsent uint64
	// MaxInFlight is the most calls in flight at once; merged runs add
	// theirs, as their concurrencies add.
	MaxInFlight              int
	MeasureStart, MeasureEnd time.Time
	Stop                     StopReason
	// Dropped counts histogram values that could not be merged (values
	// outside the bounds of a histogram from another version).
	Dropped int64
	// timeline is the calls per interval, for Result.Timeline.
	timeline timeline
}

// NewMetrics returns empty metrics.
func NewMetrics() *Metrics {
	return &Metrics{Corrected: NewHistogram(), Uncorrected: NewHistogram()}
}

// Add adds an interval to m.
func (m *Metrics) Add(iv *Interval) {
	m.Dropped += m.Corrected.Merge(iv.Corrected)
	m.Dropped += m.Uncorrected.Merge(iv.Uncorrected)
	m.Counts.Add(&iv.Counts)
	m.timeline.add(tick{end: iv.End, calls: iv.Requests, errors: iv.Errors, failures: iv.Failures})
	if iv.Final {
		m.Unsent += iv.Unsent
		m.MaxInFlight = max(m.MaxInFlight, iv.MaxInFlight)
		m.Stop = iv.Stop
		m.widen(iv.MeasureStart, iv.MeasureEnd)
	}
}

// Merge adds the metrics of another run (another machine) to m. Histograms
// and counters add exactly; the measured window becomes the union of both.
func (m *Metrics) Merge(o *Metrics) {
	m.Dropped += m.Corrected.Merge(o.Corrected) + o.Dropped
	m.Dropped += m.Uncorrected.Merge(o.Uncorrected)
	m.Counts.Add(&o.Counts)
	m.timeline.merge(&o.timeline)
	m.Unsent += o.Unsent
	m.MaxInFlight += o.MaxInFlight
	m.widen(o.MeasureStart, o.MeasureEnd)
	if m.Stop == ReasonNone || o.Stop > m.Stop {
		m.Stop = o.Stop
	}
}

func (m *Metrics) widen(start, end time.Time) {
	if !start.IsZero() && (m.MeasureStart.IsZero() || start.Before(m.MeasureStart)) {
		m.MeasureStart = start
	}
	if end.After(m.MeasureEnd) {
		m.MeasureEnd = end
	}
}

// Elapsed is the length of the measured window.
func (m *Metrics) Elapsed() time.Duration {
	if m.MeasureStart.IsZero() || m.MeasureEnd.Before(m.MeasureStart) {
		return 0
	}
	return m.MeasureEnd.Sub(m.MeasureStart)
}

// RPS is the achieved rate: measured calls over the measured window.
func (m *Metrics) RPS() float64 {
	el := m.Elapsed()
	if el <= 0 {
		return 0
	}
	return float64(m.Requests) / el.Seconds()
}

// ErrorRate is the fraction of measured calls that got no reply.
func (m *Metrics) ErrorRate() float64 { return m.rate(m.Errors) }

// FailureRate is the fraction of measured calls whose reply counted as
// failed.
func (m *Metrics) FailureRate() float64 { return m.rate(m.Failures) }

func (m *Metrics) rate(n int64) float64 {
	if m.Requests == 0 {
		return 0
	}
	return float64(n) / float64(m.Requests)
}
