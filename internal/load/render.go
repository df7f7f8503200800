package load

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// WriteJSON writes r as indented JSON.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

func fmtDuration(d time.Duration) string { return Duration(d).String() }

// WriteText writes r for people.
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }

	if r.Module == "" {
		// Merged from histogram logs, which hold latencies only.
		p("plugincheck load: %d HDR histogram %s merged\n\n", r.Machines, plural(r.Machines, "log", "logs"))
		p("calls        %d\n\n", r.Requests)
		writeLatency(&b, r)
		for _, n := range r.Notes {
			p("\nnote: %s\n", n)
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	p("plugincheck load: %s over %s at %s", r.Module, r.Transport, r.Target)
	if r.Machines > 1 {
		p(" (%d machines merged)", r.Machines)
	}
	p("\n")
	switch {
	case r.Mode == "open" && r.AutoConcurrency:
		p("open loop at %.6g rps, in flight as many as the plugin needs up to %d", r.TargetRPS, r.Concurrency)
	case r.Mode == "open":
		p("open loop at %.6g rps, up to %d in flight", r.TargetRPS, r.Concurrency)
	default:
		p("closed loop, %d callers", r.Concurrency)
	}
	p(", %d %s", r.Connections, plural(r.Connections, "connection", "connections"))
	if r.WarmupTime > 0 {
		p(", after %s warm-up (%d calls not measured)", r.WarmupTime, r.Counts.Warmup)
	}
	p("; stopped: %s\n", r.Stop)
	p("mix: %d %s\n\n", len(r.Mix), plural(len(r.Mix), "case", "cases"))

	p("requests     %d in %s\n", r.Requests, r.Elapsed)
	if r.Mode == "open" && r.TargetRPS > 0 {
		p("rate         %.1f rps achieved of %.6g target (%.1f%%)\n", r.AchievedRPS, r.TargetRPS, 100*r.AchievedRPS/r.TargetRPS)
	} else {
		p("rate         %.1f rps achieved\n", r.AchievedRPS)
	}
	p("errors       %d (%.2f%%) without a reply\n", r.Errors, 100*r.ErrorRate)
	p("GOST-level   %d (%.2f%%) replies GOST treats as failed calls\n", r.Failures, 100*r.FailureRate)
	if r.Mode == "open" {
		p("send slots   %d late by more than %s (max lag %s), %d unsent", r.Late, fmtDuration(DefaultLateTolerance), r.MaxLag, r.Unsent)
		if r.Late > 0 || r.Unsent > 0 {
			p(": the generator fell behind; corrected latency counts the delay")
		}
		p("\n")
		writeInFlight(&b, r)
	}
	if r.Abandoned > 0 {
		p("interrupted  %d calls in flight were cancelled and are not counted\n", r.Abandoned)
	}
	p("\n")

	writeLatency(&b, r)
	if r.Mode != "open" {
		p("(closed loop: each call starts when the previous one returns, so there is no schedule to correct against)\n")
	}

	if len(r.ErrorsBy) > 0 {
		p("\nerrors by code\n")
		for _, kv := range sortedCounts(r.ErrorsBy) {
			p("  %-40s %d\n", kv.k, kv.v)
		}
	}
	writeFailures(&b, r)
	if len(r.Verdicts) > 0 {
		p("\nGOST verdicts\n")
		for _, kv := range sortedCounts(r.Verdicts) {
			p("  %-40s %d\n", kv.k, kv.v)
		}
	}
	p("\nverdict changes under load: ")
	changed := 0
	for i, cc := range r.Cases {
		if cc.Changed > 0 && i < len(r.Mix) {
			changed++
		}
	}
	if changed == 0 {
		p("none\n")
	} else {
		p("%d %s FAILED\n", changed, plural(changed, "case", "cases"))
		for i, cc := range r.Cases {
			if cc.Changed == 0 || i >= len(r.Mix) {
				continue
			}
			ci := r.Mix[i]
			p("  FAIL %s: %d of %d calls changed verdict from %s to", ci.ID, cc.Changed, cc.Calls, ci.Baseline)
			for j, kv := range sortedCounts(cc.ChangedTo) {
				if j > 0 {
					p(",")
				}
				p(" %s (×%d)", kv.k, kv.v)
			}
			p("\n")
		}
	}
	if len(r.Gates) > 0 {
		p("\ngates\n")
		for _, g := range r.Gates {
			status := "PASS"
			if g.Breached {
				status = "FAIL"
			}
			p("  %s %s\n", status, g)
		}
	}
	for _, n := range r.Notes {
		p("\nnote: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeInFlight says how many calls an open loop had in flight and, when
// its cap held it back, the cap to use instead.
func writeInFlight(b *strings.Builder, r *Result) {
	fmt.Fprintf(b, "in flight    at most %d %s at once", r.MaxInFlight, plural(r.MaxInFlight, "call", "calls"))
	switch {
	case r.MaxInFlight >= r.Concurrency && r.Concurrency > 0:
		fmt.Fprintf(b, ": the cap of %d was reached\n", r.Concurrency)
	case r.AutoConcurrency:
		fmt.Fprintf(b, ", of a cap that grows as needed up to %d\n", r.Concurrency)
	default:
		fmt.Fprintf(b, ", of a cap of %d\n", r.Concurrency)
	}
	if r.SuggestedConcurrency > 0 {
		mean := time.Duration(r.Latency.Uncorrected.Mean)
		fmt.Fprintf(b, "suggestion   --concurrency ≥ %d: by Little's law, %.6g rps × %s mean uncorrected latency = %.1f calls in flight on average, ×%.3g for bursts\n",
			r.SuggestedConcurrency, r.TargetRPS, Duration(mean), r.TargetRPS*mean.Seconds(), BurstFactor)
	}
}

// writeFailures lists the GOST-level failures by kind, each with its share
// of the calls and what GOST does.
func writeFailures(b *strings.Builder, r *Result) {
	if len(r.FailuresBy) == 0 || r.Requests == 0 {
		return
	}
	kinds := sortedCounts(r.FailuresBy)
	line := func(kv labelCount) string {
		s := fmt.Sprintf("%.4g%% %s (×%d)", 100*float64(kv.v)/float64(r.Requests), kv.k, kv.v)
		if text := r.FailureTexts[kv.k]; text != "" {
			s += " — " + text
		}
		return s
	}
	if len(kinds) == 1 {
		fmt.Fprintf(b, "\nGOST-level failures: %s\n", line(kinds[0]))
		return
	}
	b.WriteString("\nGOST-level failures\n")
	for _, kv := range kinds {
		fmt.Fprintf(b, "  %s\n", line(kv))
	}
}

func writeLatency(b *strings.Builder, r *Result) {
	c, u := r.Latency.Corrected, r.Latency.Uncorrected
	if r.Mode == "open" {
		fmt.Fprintf(b, "%-10s %12s %12s\n", "latency", "corrected", "uncorrected")
		for _, row := range latencyRows(c, u) {
			fmt.Fprintf(b, "  %-8s %12s %12s\n", row.name, row.c, row.u)
		}
		return
	}
	b.WriteString("latency\n")
	for _, row := range latencyRows(c, u) {
		fmt.Fprintf(b, "  %-8s %12s\n", row.name, row.c)
	}
}

type latencyRow struct{ name, c, u string }

func latencyRows(c, u Percentiles) []latencyRow {
	return []latencyRow{
		{"p50", c.P50.String(), u.P50.String()},
		{"p90", c.P90.String(), u.P90.String()},
		{"p99", c.P99.String(), u.P99.String()},
		{"p99.9", c.P999.String(), u.P999.String()},
		{"p99.99", c.P9999.String(), u.P9999.String()},
		{"max", c.Max.String(), u.Max.String()},
		{"mean", c.Mean.String(), u.Mean.String()},
	}
}

type labelCount struct {
	k string
	v int64
}

func sortedCounts(m map[string]int64) []labelCount {
	out := make([]labelCount, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, labelCount{k, m[k]})
	}
	slices.SortStableFunc(out, func(a, b labelCount) int { return cmp.Compare(b.v, a.v) })
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
