package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Schema names of the JSON lines of -o jsonl (docs/report-schema.md).
const (
	// CaseLineSchema names a line holding one finished case.
	CaseLineSchema = "plugincheck.case/v1"
	// SummaryLineSchema names the last line, with the totals.
	SummaryLineSchema = "plugincheck.summary/v1"
)

// LineRun says which run a case line's case belongs to.
type LineRun struct {
	Module    string `json:"module"`
	Transport string `json:"transport"`
	// Addr is the run's target address, redacted as in the report.
	Addr string `json:"addr"`
	// Plugin names the config's plugin block (plugincheck config only).
	Plugin string `json:"plugin,omitempty"`
}

// CaseLine is one line of -o jsonl: a case as it finished, in the JSON
// shape of the report's cases, so that a tool reading a long run as it
// goes needs no other parser than for the report.
type CaseLine struct {
	Schema string  `json:"schema"`
	Run    LineRun `json:"run"`
	Case   *Case   `json:"case"`
}

// SummaryLine is the last line of -o jsonl: the report's totals and the
// status the exit code follows.
type SummaryLine struct {
	Schema   string   `json:"schema"`
	Tool     Tool     `json:"tool"`
	Duration Duration `json:"durationMs"`
	Totals   Totals   `json:"totals"`
	// Status is the worst status of the runs (fail, warn or pass), run
	// causes and diagnoses included; skip when nothing ran.
	Status Status `json:"status"`
}

// NewCaseLine is the line of case c of run.
func NewCaseLine(run *Run, c *Case) CaseLine {
	return CaseLine{
		Schema: CaseLineSchema,
		Run:    LineRun{Module: run.Module, Transport: run.Transport, Addr: run.Target.Addr, Plugin: run.Plugin},
		Case:   caseForJSON(c),
	}
}

// NewSummaryLine is the summary line of finished report r (Finish done).
func NewSummaryLine(r *Report) SummaryLine {
	status := Skip
	for _, run := range r.Runs {
		if status == Skip {
			status = run.Status
			continue
		}
		status = status.Worse(run.Status)
	}
	return SummaryLine{Schema: SummaryLineSchema, Tool: r.Tool, Duration: r.Duration, Totals: r.Totals, Status: status}
}

// WriteLine writes v as one line of compact JSON, HTML characters not
// escaped (as in the JSON report), in one Write so that a reader never
// sees half a line.
func WriteLine(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("json line: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// JSONL writes finished report r as the lines -o jsonl streams: one case
// line per case, in report order, then the summary line. The CLI streams
// the case lines as cases finish instead; this renders a report after the
// fact, in the same format.
func JSONL(w io.Writer, r *Report) error {
	r = orEmpty(r)
	for _, run := range r.Runs {
		for _, c := range run.Cases {
			if err := WriteLine(w, NewCaseLine(run, c)); err != nil {
				return err
			}
		}
	}
	return WriteLine(w, NewSummaryLine(r))
}
