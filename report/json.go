package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// JSON writes r as indented JSON in the format docs/report-schema.md
// describes. Field order follows the struct definitions and map keys are
// sorted, so equal reports give equal bytes. Lists are [] rather than null,
// times are UTC, and schema is always SchemaVersion, because the bytes are
// this version's format whatever the report was read from. HTML characters
// are not escaped: "<redacted>" stays greppable.
func JSON(w io.Writer, r *Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(forJSON(orEmpty(r))); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// forJSON returns a copy of r normalised for output; r is left untouched.
func forJSON(r *Report) *Report {
	out := *r
	out.Schema = SchemaVersion
	out.StartedAt = r.StartedAt.UTC()
	out.Runs = make([]*Run, 0, len(r.Runs))
	for _, run := range r.Runs {
		rc := *run
		rc.TLS.Peer = nil
		for _, c := range run.TLS.Peer {
			c.NotBefore, c.NotAfter = c.NotBefore.UTC(), c.NotAfter.UTC()
			rc.TLS.Peer = append(rc.TLS.Peer, c)
		}
		rc.Cases = make([]*Case, 0, len(run.Cases))
		for _, c := range run.Cases {
			rc.Cases = append(rc.Cases, caseForJSON(c))
		}
		out.Runs = append(out.Runs, &rc)
	}
	return &out
}

// caseForJSON returns a copy of c normalised for output, as the report and
// the JSON lines of -o jsonl both write it; c is left untouched.
func caseForJSON(c *Case) *Case {
	cc := *c
	cc.Steps = make([]*Step, 0, len(c.Steps))
	for _, st := range c.Steps {
		sc := *st
		if sc.Checks == nil {
			sc.Checks = []Check{}
		}
		if r := sc.Observation.Request; len(r) > 0 && !json.Valid(r) {
			// A RawMessage that is not JSON would fail the whole
			// report; keep the bytes as a string instead.
			q, _ := json.Marshal(string(r))
			sc.Observation.Request = q
		}
		cc.Steps = append(cc.Steps, &sc)
	}
	return &cc
}
