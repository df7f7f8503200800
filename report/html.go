package report

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/plugincheck/plugincheck/clip"
)

// The HTML report is one self-contained file: CSS, JavaScript and SVG are
// inlined from these embedded assets, so it opens offline and as a CI
// artifact, and fetches nothing. html/template escapes every string that
// came from the plugin.
//
//go:embed html/*.tmpl html/style.css html/app.js
var htmlAssets embed.FS

// htmlTemplates parses the templates with the CSS and JS as templates of
// their own, so they are inlined verbatim in <style> and <script>.
func htmlTemplates(names ...string) *template.Template {
	css, _ := htmlAssets.ReadFile("html/style.css")
	js, _ := htmlAssets.ReadFile("html/app.js")
	t := template.New("html")
	template.Must(t.Parse(`{{define "css"}}` + string(css) + `{{end}}{{define "js"}}` + string(js) + `{{end}}`))
	for _, n := range names {
		b, _ := htmlAssets.ReadFile("html/" + n)
		template.Must(t.Parse(string(b)))
	}
	return t
}

var reportHTML = htmlTemplates("report.html.tmpl")

// htmlText bounds one string from the plugin in the HTML report as the
// other renderers bound theirs, and drops control and bidi characters:
// the template escapes markup, but a right-to-left override would still
// make a reader see text other than what was sent.
func htmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r != '\n' && r != '\t' && unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, clip.Text(s, clip.Size))
}

// HTML writes r as one self-contained HTML page: a summary, the deployment
// findings, each run's causes, TLS audit and latency histogram, and the
// case table with filters and each case's request, reply, verdict and
// reproducer. Nothing in it is fetched from the network.
func HTML(w io.Writer, r *Report) error {
	var buf bytes.Buffer
	if err := reportHTML.ExecuteTemplate(&buf, "report", htmlReportView(orEmpty(r))); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

type htmlReport struct {
	*Report
	Status            Status
	Started, Duration string
	Runs              []htmlRun
	Findings          []Finding
	Cases             []htmlCase
	Statuses          []Status
	Modules           []string
}

type htmlRun struct {
	*Run
	ID, Title, Addr, Latency, P99 string
	Services                      string
	Histogram                     template.HTML
	TLS                           *TLS
}

type htmlCase struct {
	*Case
	Module, Anchor, Where, Latency, Summary string
	Causes                                  []Cause
	Steps                                   []htmlStep
}

type htmlStep struct {
	Op                                 string
	Status                             Status
	Call, Verdict, Expected, Failure   string
	Timing, Request, Reply, Reproducer string
	Checks                             []Check
	Notes                              []Note
}

func htmlReportView(r *Report) htmlReport {
	v := htmlReport{Report: r, Status: r.FindingsStatus(), Duration: r.Duration.String()}
	for _, f := range r.Findings {
		f.Message, f.Plugin = htmlText(f.Message), htmlText(f.Plugin)
		v.Findings = append(v.Findings, f)
	}
	if !r.StartedAt.IsZero() {
		v.Started = r.StartedAt.UTC().Format(time.RFC3339)
	}
	seen := map[Status]bool{}
	for i, run := range r.Runs {
		if run.Status != Skip {
			v.Status = v.Status.Worse(run.Status)
		}
		v.Runs = append(v.Runs, htmlRunView(i, run))
		if !slices.Contains(v.Modules, run.Module) {
			v.Modules = append(v.Modules, run.Module)
		}
		for _, c := range run.Cases {
			v.Cases = append(v.Cases, htmlCaseView(i, run, c))
			seen[c.Status] = true
		}
	}
	for _, s := range []Status{Fail, Warn, Pass, Skip} {
		if seen[s] {
			v.Statuses = append(v.Statuses, s)
		}
	}
	return v
}

// htmlRunCopy returns a copy of run whose free text from the plugin
// (causes, notes, diagnosis, TLS audit) is bounded and cleaned; run itself
// is left untouched, as other renderers may follow.
func htmlRunCopy(run *Run) *Run {
	rc := *run
	rc.Diagnosis = htmlText(run.Diagnosis)
	rc.Notes = htmlTexts(run.Notes)
	rc.Causes = nil
	for _, c := range run.Causes {
		c.Text, c.Sent, c.Got, c.GOST, c.Fix = htmlText(c.Text), htmlText(c.Sent), htmlText(c.Got), htmlText(c.GOST), htmlText(c.Fix)
		rc.Causes = append(rc.Causes, c)
	}
	rc.TLS.Note = htmlText(run.TLS.Note)
	rc.TLS.Findings = htmlNotes(run.TLS.Findings)
	rc.TLS.Matrix = nil
	for _, m := range run.TLS.Matrix {
		m.Reason, m.Addr = htmlText(m.Reason), htmlText(m.Addr)
		rc.TLS.Matrix = append(rc.TLS.Matrix, m)
	}
	rc.TLS.Peer = nil
	for _, c := range run.TLS.Peer {
		c.Subject, c.Issuer = htmlText(c.Subject), htmlText(c.Issuer)
		rc.TLS.Peer = append(rc.TLS.Peer, c)
	}
	return &rc
}

func htmlTexts(ss []string) []string {
	var out []string
	for _, s := range ss {
		out = append(out, htmlText(s))
	}
	return out
}

func htmlNotes(ns []Note) []Note {
	var out []Note
	for _, n := range ns {
		n.Text = htmlText(n.Text)
		out = append(out, n)
	}
	return out
}

func htmlRunView(i int, run *Run) htmlRun {
	run = htmlRunCopy(run)
	v := htmlRun{Run: run, ID: "run-" + strconv.Itoa(i+1), Addr: htmlText(run.Target.Addr)}
	v.Title = run.Module
	if run.Plugin != "" {
		v.Title = run.Plugin + " (" + run.Module + ")"
	}
	v.Services = strings.Join(run.Services, ", ")
	if l := run.Latency; l.Count > 0 {
		v.P99 = "p99 " + l.P99.String()
		v.Latency = fmt.Sprintf("%d calls: p50 %s, p90 %s, p99 %s, max %s (GOST timeout %s)", l.Count, l.P50, l.P90, l.P99, l.Max, l.Budget)
	}
	var samples []time.Duration
	for _, c := range run.Cases {
		for _, st := range c.Steps {
			if st.Observation.Sent {
				samples = append(samples, time.Duration(st.Observation.Latency))
			}
		}
	}
	if len(samples) > 0 {
		v.Histogram = latencyHistogram(v.ID+"-latency", samples, time.Duration(run.Latency.Budget))
	}
	if run.TLS.Enabled || len(run.TLS.Matrix) > 0 || run.TLS.Note != "" || len(run.TLS.Findings) > 0 {
		v.TLS = &run.TLS
	}
	return v
}

func htmlCaseView(i int, run *Run, c *Case) htmlCase {
	v := htmlCase{Case: c, Module: run.Module, Anchor: strconv.Itoa(i+1) + "-" + c.ID}
	if c.File != "" {
		v.Where = c.File
		if c.Line > 0 {
			v.Where += ":" + strconv.Itoa(c.Line)
		}
	}
	var total Duration
	for _, st := range c.Steps {
		total += st.Observation.Latency
		v.Steps = append(v.Steps, htmlStepView(st))
	}
	if total > 0 {
		v.Latency = total.String()
	}
	for _, cause := range run.Causes {
		if slices.Contains(cause.Cases, c.ID) {
			v.Causes = append(v.Causes, cause)
		}
	}
	v.Summary = fmt.Sprintf("%d step", len(c.Steps))
	if len(c.Steps) != 1 {
		v.Summary += "s"
	}
	return v
}

func htmlStepView(st *Step) htmlStep {
	o := st.Observation
	v := htmlStep{
		Op: st.Op, Status: st.Status,
		Call:       htmlText(strings.TrimSpace(o.Method + " " + o.Target)),
		Verdict:    htmlText(htmlJSON(st.Actual)),
		Failure:    htmlText(strings.TrimSpace(o.Failure + " " + o.Error)),
		Timing:     o.Timing.String(),
		Request:    htmlText(indentRaw(o.Request)),
		Reply:      htmlText(o.Reply),
		Reproducer: htmlText(st.Reproducer),
		Notes:      htmlNotes(st.Notes),
	}
	if len(st.Expected) > 0 {
		v.Expected = htmlText(htmlJSON(st.Expected))
	}
	if len(o.Request) == 0 {
		v.Request = htmlText(indentRaw(st.Request))
	}
	if o.Code != "" {
		v.Reply = strings.TrimSpace(o.Code + "\n" + v.Reply)
	} else if o.HTTPStatus != 0 {
		v.Reply = strings.TrimSpace(strconv.Itoa(o.HTTPStatus) + "\n" + v.Reply)
	}
	if !o.Sent && v.Reply == "" {
		v.Reply = "(not sent)"
	}
	for _, ch := range st.Checks {
		ch.Message = htmlText(ch.Message)
		v.Checks = append(v.Checks, ch)
	}
	return v
}

// htmlJSON shows a verdict value the way the JSON report has it.
func htmlJSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// indentRaw pretty-prints a request; bytes that are not JSON are shown as
// they are.
func indentRaw(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
