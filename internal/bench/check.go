package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// check is one goal of issue 11 and how this run fared against it.
type check struct {
	section string
	name    string
	figure  string // the measured figure, e.g. "2.40×"
	target  string // e.g. "≥ 2×"
	detail  string // the figures behind a ratio
	ok      bool
	// skipped says why the check could not be made; it is neither met
	// nor missed.
	skipped string
}

func (c check) verdict() string {
	switch {
	case c.skipped != "":
		return "SKIPPED"
	case c.ok:
		return "met"
	}
	return "MISSED"
}

// ratioCheck checks num/den against limit: at least limit when atLeast,
// else at most. A missing figure (den or num zero) misses.
func ratioCheck(section, name string, num, den, limit float64, atLeast bool, detail string) check {
	c := check{section: section, name: name, detail: detail}
	if atLeast {
		c.target = "≥ " + fmtRatio(limit)
	} else {
		c.target = "≤ " + fmtRatio(limit)
	}
	if num <= 0 || den <= 0 {
		c.figure = "n/a"
		c.detail = "no figure: " + detail
		return c
	}
	r := num / den
	c.figure = fmt.Sprintf("%.2f×", r)
	if fmt.Sprintf("%.2f", r) == fmt.Sprintf("%.2f", limit) && r != limit {
		// A figure that rounds to the target shows the digit that decides.
		c.figure = fmt.Sprintf("%.4f×", r)
	}
	if atLeast {
		c.ok = r >= limit
	} else {
		c.ok = r <= limit
	}
	return c
}

func fmtRatio(f float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", f), "0"), ".") + "×"
}

// durationRatio is ratioCheck for two latencies.
func durationRatio(section, name string, num, den time.Duration, limit float64) check {
	return ratioCheck(section, name, float64(num), float64(den), limit, false,
		fmt.Sprintf("%s vs %s", fmtDur(num), fmtDur(den)))
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d >= 100*time.Microsecond:
		return d.Round(time.Microsecond).String()
	}
	return d.Round(100 * time.Nanosecond).String()
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// printChecks prints every check, one line each, and a summary; it reports
// whether none was missed.
func printChecks(w io.Writer, cs []check) bool {
	fmt.Fprintf(w, "\ngoals (issue 11)\n")
	var met, missed, skipped int
	for _, c := range cs {
		fmt.Fprintf(w, "  %-6s %-44s %9s  target %-13s %-7s %s\n", c.section, c.name, c.figure, c.target, c.verdict(), c.detail)
		switch c.verdict() {
		case "met":
			met++
		case "MISSED":
			missed++
		default:
			skipped++
		}
	}
	fmt.Fprintf(w, "%d checks: %d met, %d MISSED", len(cs), met, missed)
	if skipped > 0 {
		fmt.Fprintf(w, ", %d SKIPPED (not checked: see above)", skipped)
	}
	fmt.Fprintln(w)
	return missed == 0
}

// printTable prints measurements, one row each.
func printTable(w io.Writer, title string, ms []measurement, cols ...column) {
	fmt.Fprintf(w, "%-30s", title)
	for _, c := range cols {
		fmt.Fprintf(w, " %*s", c.width, c.name)
	}
	fmt.Fprintln(w)
	for _, m := range ms {
		fmt.Fprintf(w, "%-30s", m.tool)
		for _, c := range cols {
			fmt.Fprintf(w, " %*s", c.width, c.value(m))
		}
		if m.extra != "" {
			fmt.Fprintf(w, "  %s", m.extra)
		}
		fmt.Fprintln(w)
	}
}

// column is one figure of a measurement table.
type column struct {
	name  string
	width int
	value func(measurement) string
}

var (
	colRequests = column{"requests", 10, func(m measurement) string { return fmt.Sprint(m.requests) }}
	colErrors   = column{"errors", 7, func(m measurement) string { return fmt.Sprint(m.errors) }}
	colRPS      = column{"calls/s", 10, func(m measurement) string { return fmt.Sprintf("%.1f", m.rps) }}
	colP50      = column{"p50", 9, func(m measurement) string { return fmtDur(m.p50) }}
	colP99      = column{"p99", 9, func(m measurement) string { return fmtDur(m.p99) }}
	colCP50     = column{"corr p50", 9, func(m measurement) string { return fmtDur(m.cp50) }}
	colCP99     = column{"corr p99", 9, func(m measurement) string { return fmtDur(m.cp99) }}
	colUnsent   = column{"unsent", 7, func(m measurement) string { return fmt.Sprint(m.unsent) }}
	colCPU      = column{"CPU/call", 9, func(m measurement) string { return fmtDur(m.cpuPerCall()) }}
	colRSS      = column{"peak RSS", 10, func(m measurement) string { return mib(m.maxRSS) }}
	colElapsed  = column{"wall", 7, func(m measurement) string { return m.elapsed.Round(time.Second).String() }}
)
