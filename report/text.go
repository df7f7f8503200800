package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/plugincheck/plugincheck/clip"
)

// TextOptions tune the text renderer.
type TextOptions struct {
	// Color adds ANSI colours; the caller sets it only for a terminal, so CI
	// logs and files stay free of escape codes.
	Color bool
	// Verbose prints every case with its details and reproducer, the full
	// TLS audit and the latency summary of each run; without it the report
	// is one line per run plus what failed or warned.
	Verbose bool
	// Strict says warnings fail the run (--strict); the JUnit renderer
	// then renders them as failures.
	Strict bool
}

// NewText returns the renderer for people. By default it is short: one line
// per run, then each failed or warned case with its cause and fixture line,
// the failed case IDs and a totals line. Verbose gives per run a header,
// then TLS, latency and correctness sections with every case and its
// reproducer, then notes and diagnosis, and the totals line. Strings that came from the plugin are printed
// with control characters escaped, so a hostile reply cannot move the cursor
// or recolour a terminal.
func NewText(opts TextOptions) Renderer {
	return func(w io.Writer, r *Report) error {
		p := &printer{opts: opts}
		p.report(orEmpty(r))
		_, err := io.WriteString(w, p.b.String())
		return err
	}
}

// ANSI SGR sequences.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiDim     = "\x1b[2m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiBoldRed = "\x1b[1;31m"
)

// Layout of the correctness section: badge at bodyIndent, case ID after it,
// details aligned under the ID. IDs are padded to the longest in the run, up
// to maxIDWidth, so latencies form a column without one long ID pushing every
// line off screen.
const (
	sectionIndent = 2
	bodyIndent    = 4
	detailIndent  = bodyIndent + 6
	maxIDWidth    = 64
)

// printer builds text output; JUnit reuses it without colour for failure
// details, so both formats describe a failure with the same words.
type printer struct {
	b    strings.Builder
	opts TextOptions
}

func (p *printer) paint(code, s string) string {
	if !p.opts.Color || code == "" || s == "" {
		return s
	}
	return code + s + ansiReset
}

func statusColor(s Status) string {
	switch s {
	case Pass:
		return ansiGreen
	case Fail:
		return ansiRed
	case Warn:
		return ansiYellow
	case Skip:
		return ansiDim
	}
	return ""
}

// badge is the four-letter status; unknown statuses keep the width so
// columns stay aligned.
func (p *printer) badge(s Status) string {
	return p.paint(statusColor(s), fmt.Sprintf("%-4s", strings.ToUpper(clean(string(s)))))
}

func (p *printer) indent(n int) { p.b.WriteString(strings.Repeat(" ", n)) }

func (p *printer) linef(n int, format string, args ...any) {
	p.indent(n)
	fmt.Fprintf(&p.b, format, args...)
	p.b.WriteByte('\n')
}

// field writes "label value" at indent n. A multi-line value keeps its line
// breaks, each continuation line aligned under the first, so a long error
// or message stays inside its block.
func (p *printer) field(n int, label, color, value string) {
	p.indent(n)
	if label != "" {
		p.b.WriteString(p.paint(color, label))
		p.b.WriteByte(' ')
		n += utf8.RuneCountInString(label) + 1
	}
	for i, l := range strings.Split(strings.TrimRight(value, "\n"), "\n") {
		if i > 0 {
			p.b.WriteByte('\n')
			p.indent(n)
		}
		p.b.WriteString(clean(strings.TrimRight(l, "\r")))
	}
	p.b.WriteByte('\n')
}

func (p *printer) section(title string) {
	p.linef(sectionIndent, "%s", p.paint(ansiBold, title))
}

func (p *printer) report(r *Report) {
	if !p.opts.Verbose {
		p.shortReport(r)
		return
	}
	if r.Deployment() {
		p.deploymentHead(r, true)
	}
	for _, run := range r.Runs {
		p.run(run)
		p.b.WriteByte('\n')
	}
	p.summary(r)
}

func (p *printer) run(run *Run) {
	p.b.WriteString(p.runBadge(run))
	fmt.Fprintf(&p.b, "  %s  addr %s", runName(run), clean(run.Target.Addr))
	if run.Target.Token != "" {
		fmt.Fprintf(&p.b, "  token %s", clean(run.Target.Token))
	}
	p.b.WriteByte('\n')
	if len(run.Services) > 0 {
		p.field(sectionIndent, "used by", "", serviceList(run.Services))
	}
	p.causes(run.Causes, sectionIndent)

	p.section("TLS")
	p.tls(&run.TLS)
	p.section("Latency")
	p.latency(&run.Latency)
	p.section("Correctness")
	p.cases(run.Cases)
	if len(run.Notes) > 0 {
		p.section("Notes")
		for _, n := range run.Notes {
			p.field(bodyIndent, "-", "", n)
		}
	}
	if run.Diagnosis != "" && !causeSays(run.Causes, run.Diagnosis) {
		p.field(sectionIndent, "DIAGNOSIS:", ansiBoldRed, run.Diagnosis)
	}
}

// maxCauseText bounds each part of a cause in text; causes quote the
// plugin, and a cause is meant to be one line a person reads.
const maxCauseText = 512

// causes prints each cause at indent n: the headline, then what was sent,
// what came back, what GOST does and what to change, aligned under it.
func (p *printer) causes(cs []Cause, n int) {
	for _, c := range cs {
		label, color := "CAUSE:", ansiBoldRed
		switch c.Status {
		case Fail:
		case Warn:
			label, color = "WARNING:", ansiYellow
		default:
			label, color = "NOTE:", ""
		}
		p.field(n, label, color, truncate(clean(c.Code)+": "+c.Text, maxCauseText))
		sub := n + utf8.RuneCountInString(label) + 1
		for _, f := range [...]struct{ label, text string }{
			{"sent:", c.Sent}, {"got: ", c.Got}, {"GOST:", c.GOST}, {"fix: ", c.Fix},
		} {
			if f.text != "" {
				p.field(sub, f.label, "", truncate(f.text, maxCauseText))
			}
		}
		if p.opts.Verbose && len(c.Cases) > 0 {
			p.field(sub, "cases:", "", truncate(strings.Join(c.Cases, ", "), maxCauseText))
		}
	}
}

// causeSays reports whether a cause already carries text as its headline,
// so the diagnosis is not printed twice.
func causeSays(cs []Cause, text string) bool {
	for _, c := range cs {
		if c.Text == text {
			return true
		}
	}
	return false
}

func (p *printer) tls(t *TLS) {
	if e := t.Endpoint; e != nil {
		line := clean(e.Address) + "  "
		switch {
		case !e.Reachable:
			line += p.paint(ansiRed, "unreachable")
		case e.Security == "tls":
			line += "reachable, speaks TLS"
		case e.Security == "plaintext":
			line += "reachable, speaks plaintext"
		default:
			line += "reachable"
		}
		if t.ClientAuth != "" {
			line += "  client certificate " + clean(t.ClientAuth)
		}
		p.linef(bodyIndent, "%s", line)
	}
	if t.Enabled {
		alpn, sni := t.ALPN, t.ServerName
		if alpn == "" {
			alpn = "none"
		}
		if sni == "" {
			sni = "none"
		}
		p.linef(bodyIndent, "%s  %s  ALPN %s  SNI %s", clean(t.Version), clean(t.CipherSuite), clean(alpn), clean(sni))
	}
	for i, c := range t.Peer {
		label := "     "
		if i == 0 {
			label = "peer:"
		}
		p.field(bodyIndent, label, "", p.certificate(&c))
	}
	if nc := t.NameCheck; nc != nil {
		verdict := "matches the certificate"
		if !nc.Match {
			verdict = p.paint(ansiRed, "does not match:") + " " + clean(nc.Error)
		}
		p.linef(bodyIndent, "name: %s (%s) %s", clean(nc.Name), clean(nc.Source), verdict)
	}
	for _, v := range t.Verification {
		roots := clean(v.Roots)
		if roots == "system" {
			roots = "system roots"
		}
		verdict := p.paint(ansiGreen, "ok")
		if !v.OK {
			verdict = p.paint(ansiRed, "fails") + ": " + clean(v.Error)
		}
		p.linef(bodyIndent, "verify: %s: %s", roots, verdict)
	}
	note := t.Note
	if note == "" && !t.Enabled && t.Endpoint == nil {
		note = "plaintext"
	}
	if note != "" {
		label := "note:"
		if !t.Enabled && t.Endpoint == nil {
			label = ""
		}
		p.field(bodyIndent, label, "", note)
	}
	if len(t.Matrix) > 0 {
		p.linef(bodyIndent, "GOST would connect with (* the settings given):")
		prev := ""
		for _, v := range t.Matrix {
			mark := " "
			if v.Configured {
				mark = "*"
			}
			verdict := p.paint(ansiGreen, "yes")
			if !v.Connects {
				verdict = p.paint(ansiRed, "no ")
			}
			p.linef(bodyIndent+2, "%s %s  %s", mark, verdict, clean(v.Config))
			switch {
			case v.Reason != "" && v.Reason == prev:
				p.linef(bodyIndent+9, "(the same reason)")
			case v.Reason != "":
				p.field(bodyIndent+9, "", "", v.Reason)
			}
			prev = v.Reason
			if p.opts.Verbose && v.Reproducer != "" {
				p.field(bodyIndent+9, "repro:", "", v.Reproducer)
			}
		}
	}
	for _, f := range t.Findings {
		p.field(bodyIndent, "finding "+clean(f.Code)+":", ansiYellow, f.Text)
	}
}

// certificate describes one certificate of the chain on a few lines.
func (p *printer) certificate(c *Certificate) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s → %s", c.Subject, c.Issuer)
	var names []string
	if len(c.DNSNames) > 0 {
		names = append(names, "DNS "+strings.Join(c.DNSNames, ", "))
	}
	if len(c.IPs) > 0 {
		names = append(names, "IP "+strings.Join(c.IPs, ", "))
	}
	if len(names) > 0 {
		b.WriteString("\n" + strings.Join(names, "  "))
	}
	b.WriteString("\n")
	if !c.NotBefore.IsZero() {
		fmt.Fprintf(&b, "valid %s to ", c.NotBefore.UTC().Format(time.RFC3339))
	} else {
		b.WriteString("not after ")
	}
	b.WriteString(c.NotAfter.UTC().Format(time.RFC3339))
	switch {
	case c.NotBefore.IsZero():
	case c.DaysLeft < 0:
		fmt.Fprintf(&b, " (expired %d days ago)", -c.DaysLeft)
	case c.DaysLeft == 1:
		b.WriteString(" (1 day left)")
	default:
		fmt.Fprintf(&b, " (%d days left)", c.DaysLeft)
	}
	var key []string
	if c.KeyType != "" {
		k := c.KeyType
		if c.KeyBits > 0 {
			k += fmt.Sprintf(" (%d bits)", c.KeyBits)
		}
		key = append(key, k)
	}
	if c.SignatureAlgorithm != "" {
		key = append(key, "signed "+c.SignatureAlgorithm)
	}
	if c.SelfSigned {
		key = append(key, "self-signed")
	}
	if c.IsCA {
		key = append(key, "CA")
	}
	if len(key) > 0 {
		b.WriteString("  " + strings.Join(key, ", "))
	}
	return b.String()
}

func (p *printer) latency(l *Latency) {
	calls := "calls"
	if l.Count == 1 {
		calls = "call"
	}
	if l.Count == 0 && l.Budget == 0 {
		p.linef(bodyIndent, "not measured")
		return
	}
	if l.Count == 0 {
		p.linef(bodyIndent, "no calls measured  budget %s", l.Budget)
		return
	}
	line := fmt.Sprintf("%d %s  p50 %s  p90 %s  p99 %s  max %s  mean %s  budget %s",
		l.Count, calls, l.P50, l.P90, l.P99, l.Max, l.Mean, l.Budget)
	if l.Enforced {
		line += " (given: a step over it fails)"
	}
	if l.OverBudget > 0 {
		line += "  " + p.paint(ansiYellow, fmt.Sprintf("(%d over budget; steps are judged on their median)", l.OverBudget))
	}
	p.linef(bodyIndent, "%s", line)
	if l.SYNRetries > 0 {
		p.field(bodyIndent, "", "", fmt.Sprintf("%d of %d calls spent about 1 s in the TCP handshake: %s", l.SYNRetries, l.Count, ListenBacklogCause))
	}
}

func (p *printer) cases(cs []*Case) {
	if len(cs) == 0 {
		p.linef(bodyIndent, "no cases")
		return
	}
	width := 0
	for _, c := range cs {
		width = max(width, min(utf8.RuneCountInString(clean(c.ID)), maxIDWidth))
	}
	for _, c := range cs {
		id := clean(c.ID)
		pad := strings.Repeat(" ", max(width-utf8.RuneCountInString(id), 0))
		p.indent(bodyIndent)
		fmt.Fprintf(&p.b, "%s  %s%s  %s\n", p.badge(c.Status), id, pad, p.caseColumn(c))
		if c.Status == Fail || c.Status == Warn || p.opts.Verbose {
			p.caseDetails(c, detailIndent)
		}
	}
}

// caseColumn is what follows the case ID: the skip reason, or the latency
// of the first call, the one a single-step case is about.
func (p *printer) caseColumn(c *Case) string {
	switch {
	case c.Status == Skip:
		reason := c.SkipReason
		if reason == "" {
			reason = "skipped"
		}
		return p.paint(ansiDim, clean(reason))
	case len(c.Steps) == 0:
		return "-"
	case !c.Steps[0].Observation.Sent:
		return "not sent"
	}
	return c.Steps[0].Observation.Latency.String()
}

// caseDetails explains a case at indent n: what failed or warned, what was
// expected, what GOST made of it and how to reproduce it.
func (p *printer) caseDetails(c *Case, n int) {
	if c.File != "" {
		loc := c.File
		if c.Line > 0 {
			loc = fmt.Sprintf("%s:%d", c.File, c.Line)
		}
		p.field(n, "fixture:", "", loc)
	}
	if p.opts.Verbose && c.Doc != "" {
		p.field(n, "doc:", "", c.Doc)
	}
	if len(c.Steps) == 1 {
		p.stepDetails(c.Steps[0], n)
		return
	}
	width := 0
	for _, st := range c.Steps {
		width = max(width, utf8.RuneCountInString(clean(st.Op)))
	}
	for i, st := range c.Steps {
		op := clean(st.Op)
		pad := strings.Repeat(" ", width-utf8.RuneCountInString(op))
		lat := "not sent"
		if st.Observation.Sent {
			lat = st.Observation.Latency.String()
		}
		p.linef(n, "step %d/%d %s%s  %s  %s", i+1, len(c.Steps), op, pad, p.badge(st.Status), lat)
		if st.Status != Pass || p.opts.Verbose {
			p.stepDetails(st, n+2)
		}
	}
}

func (p *printer) stepDetails(st *Step, n int) {
	var passed, said []string
	for _, ch := range st.Checks {
		if ch.Status == Pass {
			passed = append(passed, ch.Name)
			if p.opts.Verbose && ch.Name == "latency" && ch.Message != "" {
				// Slow calls the median forgave, and where their time went.
				p.field(n, "latency (pass):", "", ch.Message)
			}
			continue
		}
		label, msg := checkWords(ch)
		p.field(n, clean(label)+":", statusColor(ch.Status), msg)
		said = append(said, msg)
	}
	if st.Expected != nil && (st.Status == Fail || p.opts.Verbose) {
		p.field(n, "expected:", "", compactJSON(st.Expected))
		p.field(n, "actual:  ", "", compactJSON(st.Actual))
	}
	for _, note := range st.Notes {
		if !p.opts.Verbose && mentioned(said, note.Text) {
			continue // a check already says it
		}
		p.field(n, "note "+clean(note.Code)+":", "", note.Text)
	}
	p.observation(&st.Observation, n)
	if p.opts.Verbose {
		if len(passed) > 0 {
			p.field(n, "passed:", "", strings.Join(passed, ", "))
		}
		if len(st.Request) > 0 {
			p.field(n, "request:", "", truncate(compactRaw(st.Request), maxReplyText))
		}
		if sent := st.Observation.Request; len(sent) > 0 && !sameJSON(st.Request, sent) {
			p.field(n, "sent:", "", truncate(compactRaw(sent), maxReplyText))
		}
		if st.Observation.Reply != "" {
			p.field(n, "reply:", "", truncate(st.Observation.Reply, maxReplyText))
		}
	}
	if st.Reproducer != "" {
		p.field(n, "repro:", "", st.Reproducer)
	}
}

// maxReplyText bounds a reply in verbose text; the JSON report has it whole.
const maxReplyText = 512

func (p *printer) observation(o *Observation, n int) {
	call := strings.TrimSpace(o.Method + " " + o.Target)
	if !o.Sent {
		p.field(n, "call:", "", call+" → not sent: GOST makes no call here")
		return
	}
	outcome := "no reply"
	switch {
	case o.Code != "":
		outcome = "code " + o.Code
	case o.HTTPStatus != 0:
		outcome = fmt.Sprintf("HTTP %d", o.HTTPStatus)
	}
	p.field(n, "call:", "", fmt.Sprintf("%s → %s in %s", call, outcome, o.Latency))
	if len(o.Redirects) > 0 {
		hops := make([]string, 0, len(o.Redirects)+1)
		for _, r := range o.Redirects {
			hops = append(hops, fmt.Sprintf("%s %s → %d", r.Method, truncate(r.URL, maxReplyText), r.Status))
		}
		hops = append(hops, "final "+truncate(o.FinalURL, maxReplyText))
		p.field(n, "redirects:", "", strings.Join(hops, " ⇒ "))
	}
	if t := o.Timing.String(); t != "" && p.opts.Verbose {
		p.field(n, "timing:", "", t)
	}
	switch {
	case o.Failure != "" && o.Error != "":
		p.field(n, "failure:", "", o.Failure+": "+o.Error)
	case o.Failure != "":
		p.field(n, "failure:", "", o.Failure)
	case o.Error != "":
		p.field(n, "error:", "", o.Error)
	}
}

func (p *printer) summary(r *Report) {
	t := r.Totals
	if t == (Totals{}) {
		// Finish was not called: count the cases, so that a report with
		// cases does not read "no case ran".
		for _, run := range r.Runs {
			t.Merge(caseTotals(run))
		}
	}
	var extra []string
	if len(r.Runs) == 0 {
		p.b.WriteString("no runs: nothing was checked")
	} else {
		status := Pass
		for _, run := range r.Runs {
			status = status.Worse(run.Status)
		}
		switch {
		case t.Fail > 0:
			status = Fail
		case t.Warn > 0:
			status = status.Worse(Warn)
		}
		status = status.Worse(r.FindingsStatus())
		badge, what := p.badge(status), ""
		if noCaseRan(t) {
			// Nothing executed is not a pass, whatever the exit code.
			what = "no case ran: "
			if status == Pass || status == Skip {
				badge = p.paint(ansiYellow, "NONE")
			}
		}
		fmt.Fprintf(&p.b, "%s  %s%s: %d pass, %d warn, %d fail, %d skip",
			badge, what, plural(t.Cases, "case"), t.Pass, t.Warn, t.Fail, t.Skip)
		runs := fmt.Sprintf("%d runs", len(r.Runs))
		if len(r.Runs) == 1 {
			runs = "1 run"
		}
		extra = append(extra, runs)
	}
	if r.Deployment() {
		extra = append(extra, findingsSummary(r.Findings))
	}
	extra = append(extra, r.Duration.String())
	if !r.StartedAt.IsZero() {
		extra = append(extra, "started "+r.StartedAt.UTC().Format(time.RFC3339))
	}
	fmt.Fprintf(&p.b, "  (%s)\n", strings.Join(extra, ", "))
}

// maxCleanText bounds one plugin-supplied text in the text report, for
// reports built by other code than suites.Run, which already cuts them.
const maxCleanText = 8 << 10

// clean escapes control characters, which plugin-supplied text may carry,
// so they cannot act on the terminal or break a CI log line, replaces
// invalid UTF-8 with U+FFFD, and cuts the text to maxCleanText.
func clean(s string) string {
	s = clip.Text(s, maxCleanText)
	if utf8.ValidString(s) && strings.IndexFunc(s, unsafeRune) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case !unsafeRune(r):
			b.WriteRune(r)
		case r < 0x100:
			fmt.Fprintf(&b, "\\x%02x", r)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// unsafeRune reports control characters other than tab; bidi controls,
// which can make a log line read differently from what it says; and the two
// non-characters XML forbids, so cleaned text is also valid XML CDATA.
func unsafeRune(r rune) bool {
	return r != '\t' && unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == 0xFFFE || r == 0xFFFF
}

// compactJSON renders v on one line without HTML escaping.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func compactRaw(m json.RawMessage) string {
	var b bytes.Buffer
	if err := json.Compact(&b, m); err != nil {
		return string(m)
	}
	return b.String()
}

// sameJSON reports whether a and b are the same JSON value, whatever their
// key order and spacing: the fixture's view of a request and the wire's
// differ in order alone for most calls, and then one line says it all.
func sameJSON(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return compactJSON(x) == compactJSON(y)
}

// truncate shortens s to at most n bytes on a rune boundary and says how
// much was cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:cut], len(s))
}

// mentioned reports whether any message contains text.
func mentioned(messages []string, text string) bool {
	for _, m := range messages {
		if strings.Contains(m, text) {
			return true
		}
	}
	return false
}

// checkWords is how a check that did not pass reads: its name, with its
// status unless it failed, and its message.
func checkWords(ch Check) (label, msg string) {
	label = ch.Name
	if ch.Status != Fail {
		label += " (" + string(ch.Status) + ")"
	}
	msg = ch.Message
	if msg == "" {
		msg = "(no message)"
	}
	return label, msg
}
