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
// other renderers bound theirs.
func htmlText(s string) string { return clip.Text(s, clip.Size) }

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

func htmlRunView(i int, run *Run) htmlRun {
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
		Notes:      st.Notes,
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
