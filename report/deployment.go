package report

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Finding is one problem of a GOST config, in GOST's terms, at its line
// in the config: a plugin no service uses, an HTTP plugin without a
// timeout. `plugincheck config` reports them beside the runs, and they
// count in its exit code by status.
type Finding struct {
	// Code is stable, for scripts: "unused-plugin", "http-no-timeout", ….
	Code string `json:"code"`
	// Status is fail or warn; pass marks information.
	Status Status `json:"status"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
	// Plugin is the plugin block ("authers/auth-0") the finding is about.
	Plugin  string `json:"plugin,omitempty"`
	Message string `json:"message"`
}

// Where is "file:line", "file" or "" for the finding's place.
func (f *Finding) Where() string {
	switch {
	case f.File == "":
		return ""
	case f.Line > 0:
		return f.File + ":" + strconv.Itoa(f.Line)
	}
	return f.File
}

// Deployment reports whether r checked a whole deployment (a GOST config)
// rather than one plugin, so renderers add the summary table and findings.
func (r *Report) Deployment() bool {
	if r.Source != "" || len(r.Findings) > 0 {
		return true
	}
	for _, run := range r.Runs {
		if run.Plugin != "" {
			return true
		}
	}
	return false
}

// FindingsStatus is the worst status of the findings: pass when there are
// none or only information.
func (r *Report) FindingsStatus() Status {
	s := Pass
	for _, f := range r.Findings {
		if f.Status == Warn || f.Status == Fail {
			s = s.Worse(f.Status)
		}
	}
	return s
}

// Bounds of the deployment summary: a config names its plugins and
// services, and one long name must not push the table off screen.
const (
	maxTableCell   = 40
	maxServiceList = 8
	maxFindingText = 1024
)

// TLSVerdict says in a few words how GOST will talk to the run's plugin:
// "plaintext", the TLS version negotiated, or that GOST will not connect
// with the settings given.
func TLSVerdict(run *Run) string {
	if ok, _ := run.TLS.Connects(); !ok {
		return "will not connect"
	}
	switch {
	case run.TLS.Enabled && run.Target.TLS != nil && run.Target.TLS.Secure:
		return run.TLS.Version + " verified"
	case run.TLS.Enabled && run.TLS.Version != "":
		return run.TLS.Version
	case run.TLS.Enabled:
		return "TLS"
	case run.Target.TLS != nil:
		return "tls configured"
	}
	return "plaintext"
}

// serviceList is run.Services for one line, bounded.
func serviceList(ss []string) string {
	shown := ss
	if len(shown) > maxServiceList {
		shown = shown[:maxServiceList]
	}
	out := make([]string, 0, len(shown)+1)
	for _, s := range shown {
		out = append(out, cell(s))
	}
	if n := len(ss) - len(shown); n > 0 {
		out = append(out, fmt.Sprintf("and %d more", n))
	}
	return strings.Join(out, ", ")
}

// cell is s cleaned and cut to a table cell.
func cell(s string) string {
	s = clean(s)
	if utf8.RuneCountInString(s) <= maxTableCell {
		return s
	}
	r := []rune(s)
	return string(r[:maxTableCell-1]) + "…"
}

// deploymentHead prints the head of a deployment report: the source, the
// summary table of the runs and the config findings; the short report
// leaves out the findings that are only information.
func (p *printer) deploymentHead(r *Report, verbose bool) {
	head := "Deployment"
	if r.Source != "" {
		head += " " + clean(r.Source)
	}
	fmt.Fprintf(&p.b, "%s: %s, %s\n", p.paint(ansiBold, head), plural(len(r.Runs), "plugin run"), plural(len(r.Findings), "config finding"))
	if len(r.Runs) > 0 {
		rows := [][]string{{"PLUGIN", "MODULE", "ADDR", "TRANSPORT", "TLS", "RESULT"}}
		for _, run := range r.Runs {
			name := run.Plugin
			if name == "" {
				name = run.Module
			}
			rows = append(rows, []string{cell(name), cell(run.Module), cell(run.Target.Addr), cell(run.Transport), cell(TLSVerdict(run)), ""})
		}
		widths := make([]int, len(rows[0]))
		for _, row := range rows {
			for i, c := range row {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
		for i, row := range rows {
			p.indent(sectionIndent)
			for j, c := range row[:len(row)-1] {
				p.b.WriteString(c)
				p.b.WriteString(strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c)+2))
			}
			if i == 0 {
				p.b.WriteString(row[len(row)-1])
			} else {
				p.b.WriteString(strings.TrimRight(p.runBadge(r.Runs[i-1]), " "))
			}
			p.b.WriteByte('\n')
		}
	}
	info := 0
	if len(r.Findings) > 0 {
		p.section("Config findings")
		for i := range r.Findings {
			f := &r.Findings[i]
			if !verbose && f.Status != Fail && f.Status != Warn {
				info++
				continue
			}
			p.finding(f)
		}
	}
	if info > 0 {
		p.linef(bodyIndent, "and %s (-v)", plural(info, "informational finding"))
	}
	p.b.WriteByte('\n')
}

// finding prints one config finding: status, place, code, plugin, message.
func (p *printer) finding(f *Finding) {
	st := f.Status
	if st != Fail && st != Warn {
		st = "info"
	}
	label := p.badge(st) + " "
	line := ""
	if w := f.Where(); w != "" {
		line = clean(w) + "  "
	}
	line += clean(f.Code)
	if f.Plugin != "" {
		line += "  " + clean(f.Plugin)
	}
	p.field(bodyIndent, label, "", line)
	p.field(bodyIndent+6, "", "", truncate(clean(f.Message), maxFindingText))
}

// runName is the run header's name: its plugin block, if any, before
// module/transport.
func runName(run *Run) string {
	if run.Plugin == "" {
		return clean(run.Module) + "/" + clean(run.Transport)
	}
	return cell(run.Plugin) + "  " + clean(run.Module) + "/" + clean(run.Transport)
}

// findingsSummary is "3 config findings (1 fail, 2 warn)" for the summary
// line, whose badge counts them.
func findingsSummary(fs []Finding) string {
	s := plural(len(fs), "config finding")
	var fail, warn int
	for _, f := range fs {
		switch f.Status {
		case Fail:
			fail++
		case Warn:
			warn++
		}
	}
	if fail+warn > 0 {
		s += fmt.Sprintf(" (%d fail, %d warn)", fail, warn)
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// junitFindings is the config findings as one JUnit testsuite: a failing
// finding fails its testcase, a warning is marked as warned cases are
// (junitWarn), and each carries the file and line of the config it is about.
func junitFindings(r *Report, opts JUnitOptions) (junitSuite, bool) {
	if len(r.Findings) == 0 {
		return junitSuite{}, false
	}
	s := junitSuite{Name: "config", Time: "0.000"}
	if r.Source != "" {
		s.Properties = append(s.Properties, junitProperty{Name: "source", Value: clean(r.Source)})
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		name := clean(f.Code)
		if w := f.Where(); w != "" {
			name = clean(w) + " " + name
		}
		msg := truncate(clean(f.Message), maxFindingText)
		if f.Plugin != "" {
			msg = clean(f.Plugin) + ": " + msg
		}
		jc := junitCase{Name: name, Classname: "config." + clean(f.Code), Time: "0.000",
			Status: clean(string(f.Status)), File: fixturePath(f.File)}
		if jc.File != "" {
			jc.Line = max(f.Line, 0)
		}
		s.Tests++
		switch f.Status {
		case Fail:
			s.Failures++
			jc.Failure = &junitFailure{Message: msg, Type: "config-finding", Body: msg}
		case Warn:
			if junitWarn(&jc, msg, msg, opts) {
				s.Failures++
			}
		default:
			jc.SystemOut = text(string(f.Status) + ": " + msg)
		}
		s.Cases = append(s.Cases, jc)
	}
	return s, true
}
