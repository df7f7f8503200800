package report_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

// xmllint returns the path of xmllint, skipping the test when it is
// missing outside CI; in CI (.ci/run installs libxml2-utils) a missing
// xmllint fails, so the schema check cannot silently stop running.
func xmllint(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("xmllint is required in CI (apt-get install libxml2-utils): %v", err)
		}
		t.Skip("xmllint not installed; CI runs this test")
	}
	return path
}

// junitSchemas are the schemas every JUnit report must satisfy: the
// restatement of Jenkins' junit-10.xsd kept in testdata, and the upstream
// file itself when $JUNIT_XSD names it (it may not be committed here).
func junitSchemas(t *testing.T) []string {
	t.Helper()
	schemas := []string{filepath.Join("testdata", "junit10.xsd")}
	if p := os.Getenv("JUNIT_XSD"); p != "" {
		_, err := os.Stat(p)
		require.NoError(t, err, "JUNIT_XSD names no readable file")
		schemas = append(schemas, p)
	}
	return schemas
}

// validate runs the real xmllint on doc against schema and returns its
// verdict and output.
func validate(t *testing.T, lint, schema string, doc []byte) (bool, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "junit.xml")
	require.NoError(t, os.WriteFile(file, doc, 0o600))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, lint, "--noout", "--schema", schema, file).CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "xmllint did not run: %s", out)
	}
	return err == nil, string(out)
}

// setStatus gives every case of r status st, as a run whose cases all
// ended so would, and recounts the totals.
func setStatus(r *report.Report, st report.Status, reason string) *report.Report {
	for _, run := range r.Runs {
		run.Causes = nil
		for _, c := range run.Cases {
			c.Status = st
			c.SkipReason = ""
			if st == report.Skip {
				c.SkipReason = reason
				c.Steps = nil
			}
			for _, step := range c.Steps {
				step.Status = st
				for i := range step.Checks {
					step.Checks[i].Status = st
				}
			}
		}
	}
	r.Finish()
	return r
}

// hostileReport puts control characters, invalid UTF-8 and a CDATA end
// into every string JUnit prints, including file and finding texts.
func hostileReport() *report.Report {
	const nasty = "]]><x>&amp;\x00\x01\xff\x1b[2J\u202e\r\nsecond ]]> line\ufffe"
	r := fixtureReport()
	for _, run := range r.Runs {
		run.Notes = append(run.Notes, nasty)
		run.Diagnosis = nasty
		run.Plugin = nasty
		for _, c := range run.Cases {
			c.ID += nasty
			c.File = nasty + ".yaml"
			c.SkipReason = nasty
			for _, st := range c.Steps {
				st.Observation.Error = nasty
				st.Reproducer = nasty
				for i := range st.Checks {
					st.Checks[i].Message = nasty
				}
			}
		}
	}
	d := deploymentReport()
	r.Source = nasty
	r.Findings = d.Findings
	for i := range r.Findings {
		r.Findings[i].Message = nasty
		r.Findings[i].File = nasty
		r.Findings[i].Code = nasty
	}
	r.Finish()
	return r
}

// TestJUnitXSD renders reports of every shape and checks each against
// junit-10.xsd with xmllint, without and with --strict.
func TestJUnitXSD(t *testing.T) {
	t.Parallel()
	lint := xmllint(t)
	reports := []struct {
		name string
		r    func() *report.Report
	}{
		{name: "empty", r: emptyReport},
		{name: "all pass", r: func() *report.Report { return setStatus(fixtureReport(), report.Pass, "") }},
		{name: "failure and warning", r: fixtureReport},
		{name: "all skipped by --skip", r: func() *report.Report { return setStatus(fixtureReport(), report.Skip, "--skip **") }},
		{name: "deployment with findings", r: deploymentReport},
		{name: "hostile strings", r: hostileReport},
	}
	for _, tt := range reports {
		for _, strict := range []bool{false, true} {
			name := tt.name
			if strict {
				name += " strict"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				var buf bytes.Buffer
				require.NoError(t, report.NewJUnit(report.JUnitOptions{Strict: strict})(&buf, tt.r()))
				for _, schema := range junitSchemas(t) {
					ok, out := validate(t, lint, schema, buf.Bytes())
					assert.True(t, ok, "%s: %s\n%s", schema, out, buf.String())
				}
			})
		}
	}
}

// TestJUnitXSDRejects shows the schema constrains what matters: documents
// Jenkins rejects fail it, among them the skipped attribute on
// <testsuites> that plugincheck once wrote.
func TestJUnitXSDRejects(t *testing.T) {
	t.Parallel()
	lint := xmllint(t)
	const valid = `<testsuites name="x" tests="1"><testsuite name="s" tests="1" skipped="0">` +
		`<testcase name="c" file="f.yaml" line="3" status="warn"><skipped message="m"/><system-out>o</system-out></testcase>` +
		`</testsuite></testsuites>`
	tests := []struct {
		name  string
		doc   string
		valid bool
	}{
		{name: "valid", doc: valid, valid: true},
		{name: "skipped on testsuites", doc: strings.Replace(valid, `<testsuites name="x"`, `<testsuites skipped="1" name="x"`, 1)},
		{name: "testcase without name", doc: strings.Replace(valid, `<testcase name="c"`, `<testcase`, 1)},
		{name: "testsuite without tests", doc: strings.Replace(valid, ` tests="1" skipped="0"`, ``, 1)},
		{name: "unknown testcase attribute", doc: strings.Replace(valid, `status="warn"`, `severity="warn"`, 1)},
		{name: "testcase under testsuites", doc: `<testsuites><testcase name="c"/></testsuites>`},
		{name: "unknown element in testcase", doc: strings.Replace(valid, `<system-out>o</system-out>`, `<warning/>`, 1)},
		{name: "property without value", doc: strings.Replace(valid, `<testcase`, `<properties><property name="p"/></properties><testcase`, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, schema := range junitSchemas(t) {
				ok, out := validate(t, lint, schema, []byte(tt.doc))
				assert.Equal(t, tt.valid, ok, "%s: %s", schema, out)
			}
		})
	}
}
