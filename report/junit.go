package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// JUnit writes r as JUnit XML for CI test reporters (Jenkins, GitLab,
// GitHub actions), as a run without --strict sees it; NewJUnit chooses.
func JUnit(w io.Writer, r *Report) error {
	return NewJUnit(JUnitOptions{})(w, r)
}

// JUnitOptions are the choices of the JUnit renderer.
type JUnitOptions struct {
	// Strict renders a warning as a failure of type "warning", because
	// under --strict a warning fails the run and CI should say which.
	Strict bool
}

// NewJUnit returns the JUnit renderer: one testsuite per run, one testcase
// per case, valid against Jenkins' junit-10.xsd (report/testdata/junit10.xsd
// restates it). A testcase from a fixture carries file and line, which
// GitHub's and GitLab's annotators use to point at the fixture. A failed
// case carries a <failure> whose body is the text report's explanation of
// it; a skipped case carries <skipped message="reason">. A warned case is
// named with a "[WARN] " prefix and status="warn" (see junitWarn for why).
func NewJUnit(opts JUnitOptions) Renderer {
	return func(w io.Writer, r *Report) error { return junit(w, r, opts) }
}

func junit(w io.Writer, r *Report, opts JUnitOptions) error {
	r = orEmpty(r)
	// <testsuites> has no skipped attribute in junit-10.xsd: the skipped
	// counts stay on each <testsuite>, where the schema allows them.
	doc := junitSuites{Name: "plugincheck", Time: seconds(r.Duration)}
	for _, run := range r.Runs {
		s := junitSuiteFor(run, r.StartedAt, opts)
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Suites = append(doc.Suites, s)
	}
	if s, ok := junitFindings(r, opts); ok {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Suites = append(doc.Suites, s)
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
	SystemOut  *junitText      `xml:"system-out,omitempty"`
	SystemErr  *junitText      `xml:"system-err,omitempty"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string `xml:"name,attr"`
	Classname string `xml:"classname,attr"`
	Time      string `xml:"time,attr"`
	// Status is the case's status word (pass, warn, fail, skip): Jenkins
	// shows it, and junit-10.xsd allows it on <testcase>.
	Status    string        `xml:"status,attr,omitempty"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
	SystemOut *junitText    `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"`
}

// junitText is element text kept in CDATA, so multi-line details stay
// readable in the raw XML; text() has already made it safe for CDATA.
type junitText struct {
	Text string `xml:",cdata"`
}

// text returns s as CDATA content, or nil to leave the element out.
func text(s string) *junitText {
	if s == "" {
		return nil
	}
	return &junitText{Text: s}
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func junitSuiteFor(run *Run, started time.Time, opts JUnitOptions) junitSuite {
	s := junitSuite{
		Name: run.Module + "/" + run.Transport,
		Properties: []junitProperty{
			{Name: "addr", Value: run.Target.Addr},
			{Name: "transport", Value: run.Transport},
			{Name: "module", Value: run.Module},
		},
	}
	if run.Plugin != "" {
		s.Name = clean(run.Plugin) + " " + s.Name
		s.Properties = append(s.Properties, junitProperty{Name: "plugin", Value: clean(run.Plugin)})
		for _, sv := range run.Services {
			s.Properties = append(s.Properties, junitProperty{Name: "service", Value: clean(sv)})
		}
	}
	if ok, _ := run.TLS.Connects(); len(run.TLS.Matrix) > 0 {
		s.Properties = append(s.Properties, junitProperty{Name: "tls.gost-connects", Value: strconv.FormatBool(ok)})
	}
	for _, c := range run.Causes {
		s.Properties = append(s.Properties, junitProperty{Name: "cause", Value: causeLine(c)})
	}
	if len(run.Notes) > 0 || run.TLS.Endpoint != nil || len(run.Causes) > 0 {
		p := &printer{}
		p.causes(run.Causes, 0)
		if run.TLS.Endpoint != nil {
			p.b.WriteString("TLS\n")
			p.tls(&run.TLS)
		}
		for _, n := range run.Notes {
			p.field(0, "note:", "", n)
		}
		s.SystemOut = text(p.b.String())
	}
	if !started.IsZero() {
		// JUnit's XSD timestamp has no zone; UTC is the only safe reading.
		s.Timestamp = started.UTC().Format("2006-01-02T15:04:05")
	}
	if run.Diagnosis != "" {
		s.SystemErr = text("diagnosis: " + clean(run.Diagnosis))
	}
	var total time.Duration
	for _, c := range run.Cases {
		d := caseTime(c)
		total += d
		jc := junitCase{
			Name:      c.ID,
			Classname: run.Module + "." + run.Transport + "." + suiteSlug(c),
			Time:      seconds(Duration(d)),
			Status:    clean(string(c.Status)),
			File:      fixturePath(c.File),
		}
		if jc.File != "" {
			jc.Line = max(c.Line, 0)
		}
		s.Tests++
		switch c.Status {
		case Pass:
		case Skip:
			s.Skipped++
			reason := c.SkipReason
			if reason == "" {
				reason = "skipped"
			}
			jc.Skipped = &junitSkipped{Message: reason}
		case Warn:
			body := causesOf(run.Causes, c.ID, "") + details(c)
			if junitWarn(&jc, warnMessage(run.Causes, c), body, opts) {
				s.Failures++
			}
		default:
			// Fail, and any status this version does not know: a gate
			// must not pass what it cannot read.
			s.Failures++
			name, msg := firstFailure(c)
			for _, cause := range run.Causes {
				// CI reporters show the message; the run's cause says
				// more than the first failed check of one case.
				if cause.Status == Fail && slices.Contains(cause.Cases, c.ID) {
					msg = causeLine(cause)
					break
				}
			}
			jc.Failure = &junitFailure{Message: msg, Type: name, Body: causesOf(run.Causes, c.ID, Fail) + details(c)}
		}
		if c.Status == Pass {
			// A warning about the whole run (an admission plugin that
			// denies everything) shows on the cases that prove it.
			jc.SystemOut = text(causesOf(run.Causes, c.ID, ""))
		}
		s.Cases = append(s.Cases, jc)
	}
	s.Time = seconds(Duration(total))
	return s
}

// junitWarn marks jc as warned and reports whether it now counts as a
// failure. JUnit has no warning status, and what CI shows differs:
// <system-out> and <properties> appear in no summary of GitHub's
// annotators (mikepenz/action-junit-report, dorny/test-reporter) nor of
// GitLab's test report, which list test names and failures. So the name
// carries a "[WARN] " prefix, which every summary and test list shows
// (at the price of a separate history for the case while it warns), and
// status="warn" says it to tools that read the attribute (Jenkins). The
// case passes: without --strict a warning does not fail the run, and a
// <failure> would make every annotator fail the check. Under --strict a
// warning fails the run, so it becomes <failure type="warning">, which the
// annotators turn into a failure annotation at the fixture's file and line.
func junitWarn(jc *junitCase, msg, body string, opts JUnitOptions) bool {
	jc.Name = "[WARN] " + jc.Name
	if opts.Strict {
		jc.Failure = &junitFailure{Message: msg, Type: "warning", Body: body}
		return true
	}
	jc.SystemOut = text(body)
	return false
}

// warnMessage is the one-line reason of a warned case: its first warning
// cause, else its first warning check.
func warnMessage(cs []Cause, c *Case) string {
	for _, cause := range cs {
		if cause.Status == Warn && slices.Contains(cause.Cases, c.ID) {
			return causeLine(cause)
		}
	}
	for _, st := range c.Steps {
		for _, ch := range st.Checks {
			if ch.Status == Warn {
				if ch.Message == "" {
					return truncate(clean(ch.Name+" check warned"), maxCauseText)
				}
				return truncate(clean(ch.Message), maxCauseText)
			}
		}
	}
	return "case warned"
}

// fixturePath is file as CI annotators want it: relative to the working
// directory (which CI sets to the repository root) when it lies below it,
// with forward slashes. Built-in cases keep their embedded fixture path
// (builtin/auth.yaml): it names where the case is defined, and docs/ci.md
// says it is not a file of the user's repository.
func fixturePath(file string) string {
	if file == "" {
		return ""
	}
	if filepath.IsAbs(file) {
		if wd, err := os.Getwd(); err == nil {
			if rel, err := filepath.Rel(wd, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				file = rel
			}
		}
	}
	return clean(filepath.ToSlash(file))
}

// causeLine is a cause on one line: status, code and headline.
func causeLine(c Cause) string {
	return truncate(clean(string(c.Status)+" "+c.Code+": "+c.Text), maxCauseText)
}

// causesOf renders the causes that name case id, only those of status
// want unless want is empty, as the text report prints them.
func causesOf(cs []Cause, id string, want Status) string {
	var mine []Cause
	for _, c := range cs {
		if slices.Contains(c.Cases, id) && (want == "" || c.Status == want) {
			mine = append(mine, c)
		}
	}
	if len(mine) == 0 {
		return ""
	}
	p := &printer{}
	p.causes(mine, 0)
	return p.b.String()
}

// caseTime is the wall time of the case's calls as observed.
func caseTime(c *Case) time.Duration {
	var d time.Duration
	for _, st := range c.Steps {
		d += time.Duration(st.Observation.Latency)
	}
	return d
}

// suiteSlug is the suite part of the case ID, the same slug --run matches.
func suiteSlug(c *Case) string {
	if slug, _, ok := strings.Cut(c.ID, "/"); ok && slug != "" {
		return slug
	}
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(c.Suite)), " ", "-")
}

// firstFailure names the first failing check and its message, which CI
// reporters show as the one-line reason.
func firstFailure(c *Case) (check, message string) {
	for _, st := range c.Steps {
		for _, ch := range st.Checks {
			if ch.Status != Fail {
				continue
			}
			if ch.Message == "" {
				return ch.Name, ch.Name + " check failed"
			}
			return ch.Name, ch.Message
		}
	}
	if c.Status == Fail {
		return string(Fail), "case failed"
	}
	return "status", "unknown case status " + strconv.Quote(string(c.Status))
}

// details is the plain-text explanation of a case, the same lines the text
// report prints under it.
func details(c *Case) string {
	p := &printer{}
	p.caseDetails(c, 0)
	return p.b.String()
}

// seconds formats d as JUnit's decimal seconds.
func seconds(d Duration) string {
	return strconv.FormatFloat(time.Duration(d).Seconds(), 'f', 3, 64)
}
