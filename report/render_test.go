package report_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

func render(t *testing.T, fn report.Renderer, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, fn(&b, r))
	return b.Bytes()
}

func TestText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report func() *report.Report
		opts   report.TextOptions
		// colored is a badge the coloured rendering must paint.
		colored string
	}{
		// A failure and a warning, with the fixture's file:line.
		{name: "plain", report: fixtureReport},
		{name: "color", report: fixtureReport, opts: report.TextOptions{Color: true}, colored: "\x1b[31mFAIL\x1b[0m"},
		{name: "verbose", report: fixtureReport, opts: report.TextOptions{Verbose: true}},
		{name: "color-verbose", report: fixtureReport, opts: report.TextOptions{Color: true, Verbose: true}, colored: "\x1b[32mPASS\x1b[0m"},
		// Every run passes: a line each.
		{name: "pass", report: allPassReport},
		{name: "pass-color", report: allPassReport, opts: report.TextOptions{Color: true}, colored: "\x1b[32mPASS\x1b[0m"},
		{name: "pass-verbose", report: allPassReport, opts: report.TextOptions{Verbose: true}},
		{name: "pass-color-verbose", report: allPassReport, opts: report.TextOptions{Color: true, Verbose: true}, colored: "\x1b[32mPASS\x1b[0m"},
		{name: "empty", report: emptyReport},
		{name: "none-ran", report: noneRanReport},
		{name: "none-ran-color", report: noneRanReport, opts: report.TextOptions{Color: true}, colored: "\x1b[33mNONE\x1b[0m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, report.NewText(tt.opts), tt.report())
			golden(t, got)
			if tt.opts.Color {
				assert.Contains(t, string(got), tt.colored)
			} else {
				assert.NotContains(t, string(got), "\x1b", "ANSI escape without Color")
			}
		})
	}
}

func TestTextEscapesPluginText(t *testing.T) {
	t.Parallel()
	got := string(render(t, report.NewText(report.TextOptions{Verbose: true}), fixtureReport()))
	// The plugin's ANSI codes arrive escaped, its line break indented.
	assert.Contains(t, got, `\x1b[31mgo away\x1b[0m`)
	assert.NotContains(t, got, "\ngo away")
	// The short report quotes a cause with the same escaping.
	short := string(render(t, report.NewText(report.TextOptions{}), fixtureReport()))
	assert.Contains(t, short, `to the new host \x1b[31m`)
	assert.NotContains(t, short, "\x1b")
}

func TestJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report func() *report.Report
	}{
		{name: "full", report: fixtureReport},
		{name: "empty", report: emptyReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			golden(t, render(t, report.JSON, tt.report()))
		})
	}
}

func TestJSONRoundTrip(t *testing.T) {
	t.Parallel()
	want := fixtureReport()
	out := render(t, report.JSON, want)

	var got report.Report
	require.NoError(t, json.Unmarshal(out, &got))
	assert.Equal(t, report.SchemaVersion, got.Schema)
	assert.True(t, got.StartedAt.Equal(want.StartedAt), "startedAt = %v; want %v", got.StartedAt, want.StartedAt)
	assert.Equal(t, want.Duration, got.Duration)
	assert.Equal(t, want.Totals, got.Totals)
	require.Len(t, got.Runs, len(want.Runs))
	for i, run := range got.Runs {
		w := want.Runs[i]
		assert.Equal(t, w.Target, run.Target)
		assert.Equal(t, w.Latency, run.Latency)
		assert.Equal(t, w.Status, run.Status)
		assert.Equal(t, w.Diagnosis, run.Diagnosis)
		assert.Equal(t, w.Causes, run.Causes)
		require.Len(t, run.Cases, len(w.Cases))
		for j, c := range run.Cases {
			assert.Equal(t, w.Cases[j].ID, c.ID)
			assert.Equal(t, w.Cases[j].Status, c.Status)
			require.Len(t, c.Steps, len(w.Cases[j].Steps))
			for k, st := range c.Steps {
				ws := w.Cases[j].Steps[k]
				assert.Equal(t, ws.Expected, st.Expected)
				assert.Equal(t, ws.Actual, st.Actual)
				wo, o := ws.Observation, st.Observation
				if len(wo.Request) > 0 {
					assert.JSONEq(t, string(wo.Request), string(o.Request))
				}
				wo.Request, o.Request = nil, nil
				assert.Equal(t, wo, o)
				assert.Equal(t, ws.Reproducer, st.Reproducer)
				assert.JSONEq(t, string(ws.Request), string(st.Request))
			}
		}
	}
	// The decoded report renders to the same bytes: nothing was lost.
	assert.Equal(t, string(out), string(render(t, report.JSON, &got)))
}

func TestJSONLeavesReportAlone(t *testing.T) {
	t.Parallel()
	r := fixtureReport()
	r.Schema = ""
	_ = render(t, report.JSON, r)
	assert.Equal(t, fixtureReport().Runs, r.Runs)
	assert.Empty(t, r.Schema)
	assert.Equal(t, startedAt.Location(), r.StartedAt.Location())
}

func TestJUnit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		report func() *report.Report
	}{
		{name: "full", report: fixtureReport},
		{name: "empty", report: emptyReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			golden(t, render(t, report.JUnit, tt.report()))
		})
	}
}

// Independent of the renderer's own types, so a wrong tag shows up here.
type parsedSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Name     string        `xml:"name,attr"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name       string `xml:"name,attr"`
	Tests      int    `xml:"tests,attr"`
	Failures   int    `xml:"failures,attr"`
	Skipped    int    `xml:"skipped,attr"`
	Properties []struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	} `xml:"properties>property"`
	Cases []struct {
		Name      string `xml:"name,attr"`
		Classname string `xml:"classname,attr"`
		Status    string `xml:"status,attr"`
		File      string `xml:"file,attr"`
		Line      int    `xml:"line,attr"`
		Failure   *struct {
			Message string `xml:"message,attr"`
			Type    string `xml:"type,attr"`
			Body    string `xml:",chardata"`
		} `xml:"failure"`
		Skipped *struct {
			Message string `xml:"message,attr"`
		} `xml:"skipped"`
		SystemOut string `xml:"system-out"`
	} `xml:"testcase"`
}

func TestJUnitParsesBack(t *testing.T) {
	t.Parallel()
	r := fixtureReport()
	var doc parsedSuites
	require.NoError(t, xml.Unmarshal(render(t, report.JUnit, r), &doc))

	assert.Equal(t, "plugincheck", doc.Name)
	assert.Equal(t, r.Totals.Cases, doc.Tests)
	assert.Equal(t, r.Totals.Fail, doc.Failures)
	require.Len(t, doc.Suites, len(r.Runs))

	var failures, skipped, cases int
	for i, s := range doc.Suites {
		run := r.Runs[i]
		assert.Equal(t, run.Module+"/"+run.Transport, s.Name)
		assert.Equal(t, run.Totals.Cases, s.Tests)
		assert.Equal(t, run.Totals.Fail, s.Failures)
		assert.Equal(t, run.Totals.Skip, s.Skipped)
		props := map[string]string{}
		for _, p := range s.Properties {
			props[p.Name] = p.Value
		}
		want := map[string]string{"addr": run.Target.Addr, "transport": run.Transport, "module": run.Module}
		if len(run.TLS.Matrix) > 0 {
			ok, _ := run.TLS.Connects()
			want["tls.gost-connects"] = strconv.FormatBool(ok)
		}
		if len(run.Causes) > 0 {
			// The headline; a repeated property name keeps the last.
			last := run.Causes[len(run.Causes)-1]
			want["cause"] = string(last.Status) + " " + last.Code + ": " + last.Text
		}
		assert.Equal(t, want, props)
		for j, c := range s.Cases {
			cases++
			rc := run.Cases[j]
			if rc.Status == report.Warn {
				assert.Equal(t, "[WARN] "+rc.ID, c.Name, "a warning shows in the name CI summaries list")
			} else {
				assert.Equal(t, rc.ID, c.Name)
			}
			assert.Equal(t, string(rc.Status), c.Status)
			assert.Equal(t, rc.File, c.File, "%s: file", rc.ID)
			if rc.File != "" {
				assert.Equal(t, rc.Line, c.Line, "%s: line", rc.ID)
			}
			assert.True(t, strings.HasPrefix(c.Classname, run.Module+"."+run.Transport+"."), "classname %q", c.Classname)
			assert.Equal(t, rc.Status == report.Fail, c.Failure != nil, "%s: failure element", rc.ID)
			assert.Equal(t, rc.Status == report.Skip, c.Skipped != nil, "%s: skipped element", rc.ID)
			explained := slices.ContainsFunc(run.Causes, func(cs report.Cause) bool { return slices.Contains(cs.Cases, rc.ID) })
			assert.Equal(t, rc.Status == report.Warn || rc.Status == report.Pass && explained, c.SystemOut != "", "%s: system-out", rc.ID)
			for _, cs := range run.Causes {
				if slices.Contains(cs.Cases, rc.ID) && rc.Status != report.Skip {
					out := c.SystemOut
					if c.Failure != nil {
						out = c.Failure.Body
					}
					assert.Contains(t, out, cs.Code+": ", "%s: cause %s", rc.ID, cs.Code)
				}
			}
			if c.Failure != nil {
				failures++
				assert.NotEmpty(t, c.Failure.Message)
				assert.NotEmpty(t, c.Failure.Type)
				assert.Contains(t, c.Failure.Body, "call:")
			}
			if c.Skipped != nil {
				skipped++
				assert.Equal(t, rc.SkipReason, c.Skipped.Message)
			}
		}
	}
	assert.Equal(t, r.Totals.Cases, cases)
	assert.Equal(t, r.Totals.Fail, failures)
	assert.Equal(t, r.Totals.Skip, skipped)
}

func TestJUnitFailureNamesFirstFailingCheck(t *testing.T) {
	t.Parallel()
	var doc parsedSuites
	require.NoError(t, xml.Unmarshal(render(t, report.JUnit, fixtureReport()), &doc))
	tests := []struct {
		name        string
		suite, tc   int
		wantType    string
		wantMessage string
	}{
		{name: "expect", suite: 0, tc: 1, wantType: "expect", wantMessage: "ok: got true, want false"},
		{name: "multi-step: second step's expect", suite: 1, tc: 0, wantType: "expect", wantMessage: `services: got [], want [{"id":"svc-1"}]`},
		{name: "reply", suite: 2, tc: 0, wantType: "reply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := doc.Suites[tt.suite].Cases[tt.tc].Failure
			require.NotNil(t, f)
			assert.Equal(t, tt.wantType, f.Type)
			if tt.wantMessage != "" {
				assert.Equal(t, tt.wantMessage, f.Message)
			}
		})
	}
}

func TestRedactedToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		renderer report.Renderer
		want     string
	}{
		{name: "text", renderer: report.NewText(report.TextOptions{}), want: "auth/grpc"},
		{name: "text-verbose", renderer: report.NewText(report.TextOptions{Verbose: true}), want: "token <redacted>"},
		{name: "json", renderer: report.JSON, want: `"token": "<redacted>"`},
		{name: "junit", renderer: report.JUnit, want: `token: $PLUGIN_TOKEN`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := string(render(t, tt.renderer, fixtureReport()))
			assert.Contains(t, got, tt.want)
			assert.NotContains(t, got, secretToken)
		})
	}
}

func TestRendererFor(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		format  string
		wantErr error
		// wantPrefix identifies which renderer came back.
		wantPrefix string
	}{
		// happy
		{name: "text", format: "text", wantPrefix: "FAIL  auth/grpc"},
		{name: "json", format: "json", wantPrefix: "{\n  \"schema\""},
		{name: "junit", format: "junit", wantPrefix: xml.Header + "<testsuites"},
		// sad
		{name: "yaml", format: "yaml", wantErr: report.ErrUnknownFormat},
		{name: "empty", format: "", wantErr: report.ErrUnknownFormat},
		{name: "case matters", format: "JSON", wantErr: report.ErrUnknownFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fn, err := report.RendererFor(tt.format, report.TextOptions{})
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.Nil(t, fn)
				assert.Contains(t, err.Error(), `"`+tt.format+`"`)
				return
			}
			require.NoError(t, err)
			assert.True(t, strings.HasPrefix(string(render(t, fn, fixtureReport())), tt.wantPrefix))
		})
	}
}

func TestRenderersNilReport(t *testing.T) {
	t.Parallel()
	for _, format := range report.Formats {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			fn, err := report.RendererFor(format, report.TextOptions{})
			require.NoError(t, err)
			assert.NoError(t, fn(io.Discard, nil))
		})
	}
}

type failingWriter struct{}

var errWrite = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestRenderersReturnWriteErrors(t *testing.T) {
	t.Parallel()
	for _, format := range report.Formats {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			fn, err := report.RendererFor(format, report.TextOptions{})
			require.NoError(t, err)
			assert.ErrorIs(t, fn(failingWriter{}, fixtureReport()), errWrite)
		})
	}
}

// TestHostileText feeds plugin-controlled strings that could break the
// outputs: CDATA terminators, NUL, invalid UTF-8 and terminal escapes.
func TestHostileText(t *testing.T) {
	t.Parallel()
	const nasty = "]]><x>&amp;\x00\xff\x1b[2J\u202e\r\nsecond line"
	r := fixtureReport()
	c := r.Runs[0].Cases[1]
	c.ID += nasty
	c.SkipReason = nasty
	st := c.Steps[0]
	st.Checks[1].Message = nasty
	st.Checks[1].Name = nasty
	st.Observation.Error = nasty
	st.Reproducer = nasty
	r.Runs[0].Notes = append(r.Runs[0].Notes, nasty)
	r.Runs[2].Diagnosis = nasty
	r.Runs[2].Cases[2].SkipReason = nasty

	t.Run("junit", func(t *testing.T) {
		t.Parallel()
		var doc parsedSuites
		require.NoError(t, xml.Unmarshal(render(t, report.JUnit, r), &doc))
		f := doc.Suites[0].Cases[1].Failure
		require.NotNil(t, f)
		assert.Contains(t, f.Body, "]]><x>&amp;")
		assert.Contains(t, f.Message, "]]><x>&amp;")
	})
	t.Run("text", func(t *testing.T) {
		t.Parallel()
		got := string(render(t, report.NewText(report.TextOptions{}), r))
		assert.NotContains(t, got, "\x1b")
		assert.NotContains(t, got, "\x00")
		assert.NotContains(t, got, "\r")
		assert.NotContains(t, got, "\u202e")
		assert.Contains(t, got, `\u202e`)
		assert.True(t, utf8.ValidString(got), "text output is not valid UTF-8")
	})
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		var back report.Report
		require.NoError(t, json.Unmarshal(render(t, report.JSON, r), &back))
		assert.Equal(t, "]]><x>&amp;\x00\ufffd\x1b[2J\u202e\r\nsecond line", back.Runs[0].Cases[1].Steps[0].Observation.Error)
	})
}

func TestTextMatrix(t *testing.T) {
	t.Parallel()
	why := "127.0.0.1:8000 answers in plaintext, but the GOST config has a tls block (--tls)"
	r := &report.Report{Runs: []*report.Run{{
		Module: "tls", Transport: "grpc", Target: report.Target{Addr: "127.0.0.1:8000"},
		TLS: report.TLS{
			Endpoint: &report.Endpoint{Address: "127.0.0.1:8000", Reachable: true, Security: "plaintext"},
			Matrix: []report.Verdict{
				{ID: "no-tls", Config: "no tls block", Connects: true, Configured: true},
				{ID: "tls", Config: "tls: {}", Reason: why},
				{ID: "tls-secure", Config: "tls: {secure: true}", Reason: why},
			},
		},
	}}}
	got := string(render(t, report.NewText(report.TextOptions{Verbose: true}), r))
	assert.Contains(t, got, "    127.0.0.1:8000  reachable, speaks plaintext\n")
	assert.Contains(t, got, "      * yes  no tls block\n        no   tls: {}\n             "+why+"\n        no   tls: {secure: true}\n             (the same reason)\n")
	assert.Contains(t, got, "  Latency\n    not measured\n")
}

// TestTextNoteNotRepeated: a note a failing check already quotes is printed
// once, except in verbose mode, which prints every note.
func TestTextNoteNotRepeated(t *testing.T) {
	t.Parallel()
	const text = "no node: a single-hop chain dials the target directly"
	rep := &report.Report{Runs: []*report.Run{{Module: "hop", Transport: "grpc", Status: report.Warn, Cases: []*report.Case{{
		ID: "s/grpc/c", Name: "c", Status: report.Warn,
		Steps: []*report.Step{{Op: "select", Status: report.Warn,
			Checks: []report.Check{{Name: "sanity", Status: report.Warn, Message: text}},
			Notes:  []report.Note{{Code: "hop-direct", Text: text}, {Code: "other", Text: "something else"}},
		}},
	}}}}}
	for _, verbose := range []bool{false, true} {
		var buf bytes.Buffer
		require.NoError(t, report.NewText(report.TextOptions{Verbose: verbose})(&buf, rep))
		want := 1
		if verbose {
			want = 2
		}
		assert.Equal(t, want, strings.Count(buf.String(), text), "verbose=%v:\n%s", verbose, buf.String())
		if verbose {
			assert.Contains(t, buf.String(), "note other: something else")
		} else {
			assert.NotContains(t, buf.String(), "something else", "the short report leaves step notes to -v")
		}
	}
}
