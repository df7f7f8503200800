package report

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/plugincheck/plugincheck/clip"
)

// The short report is the default: a line per run, then only what needs a
// reader's attention, as `go test` prints "ok" per package and the output
// of failures only; the failed names come last, where a terminal leaves
// them on screen and a CI log ends.

// Bounds of the short report: a broken plugin fails every case the same
// way, and a screenful of identical blocks hides the one that differs.
const (
	// maxShortCases is how many failed or warned cases one run explains.
	maxShortCases = 10
	// maxShortCauses is how many causes one run prints.
	maxShortCauses = 5
	// maxShortNotes is how many run notes a failed or warned run prints.
	maxShortNotes = 3
	// maxShortChecks is how many check lines one case block prints.
	maxShortChecks = 8
	// maxFailedIDs is how many failed case IDs the closing list names.
	maxFailedIDs = 20
	// expiringDays is when a certificate's end is worth a word on the run
	// line: GOST does not renew it, and the plugin stops working the day it
	// expires.
	expiringDays = 30
)

// auditModule is the module name of the run `plugincheck tls` reports
// (check.TLS).
const auditModule = "tls"

// detailsHint says once where the detail left out of the short report is.
const detailsHint = "every case, the TLS matrix and reproducers: -v, or -o json"

// shortReport renders r for a person reading a terminal or a CI log.
func (p *printer) shortReport(r *Report) {
	if r.Deployment() {
		p.deploymentHead(r, false)
		var troubled []*Run
		for _, run := range r.Runs {
			if needsDetail(run) {
				troubled = append(troubled, run)
			}
		}
		if len(troubled) > 0 {
			p.runLines(troubled, true)
			p.b.WriteByte('\n')
		}
	} else if len(r.Runs) > 0 {
		p.runLines(r.Runs, true)
		p.b.WriteByte('\n')
	}
	p.failedList(r)
	if len(r.Runs) > 0 {
		p.linef(0, "%s", p.paint(ansiDim, detailsHint))
	}
	p.summary(r)
}

// needsDetail reports whether a run gets more than its one line: it failed
// or warned, or carries a cause or diagnosis that says why.
func needsDetail(run *Run) bool {
	return run.Status == Fail || run.Status == Warn || run.Diagnosis != "" || hasTrouble(run.Causes)
}

func hasTrouble(cs []Cause) bool {
	for _, c := range cs {
		if c.Status == Fail || c.Status == Warn {
			return true
		}
	}
	return false
}

// caseTotals counts the run's cases, whether or not Finish has run.
func caseTotals(run *Run) Totals {
	var t Totals
	for _, c := range run.Cases {
		t.Add(c.Status)
	}
	return t
}

// noCaseRan reports a run (or report) whose totals hold no executed case,
// which must not read as a pass.
func noCaseRan(t Totals) bool { return t.Cases-t.Skip <= 0 }

// runLines prints one aligned line per run and, when details is set, the
// failed and warned detail under each run that has any.
func (p *printer) runLines(runs []*Run, details bool) {
	rows := make([][]string, 0, len(runs))
	for _, run := range runs {
		rows = append(rows, runRow(run))
	}
	widths := columnWidths(rows)
	for i, run := range runs {
		if details && run.Module == auditModule {
			// The tls command's report is its audit: the short form
			// would drop the one thing asked for.
			p.run(run)
			continue
		}
		p.b.WriteString(p.runBadge(run))
		for j, c := range rows[i] {
			p.b.WriteString("  ")
			if j == len(rows[i])-1 {
				p.b.WriteString(p.paintTLSWord(run, c))
				break
			}
			p.b.WriteString(c)
			p.b.WriteString(strings.Repeat(" ", widths[j]-utf8.RuneCountInString(c)))
		}
		p.b.WriteByte('\n')
		if details && needsDetail(run) {
			p.runTrouble(run)
			if i < len(runs)-1 {
				p.b.WriteByte('\n') // a block ends before the next run's line
			}
		}
	}
}

// runRow is a run line's cells after the badge: name, addr, counts, p99
// and the TLS word.
func runRow(run *Run) []string {
	name := clean(run.Module) + "/" + clean(run.Transport)
	if run.Plugin != "" {
		name = cell(run.Plugin) + " " + name
	}
	t := caseTotals(run)
	counts := fmt.Sprintf("%d pass  %d warn  %d fail  %d skip", t.Pass, t.Warn, t.Fail, t.Skip)
	if noCaseRan(t) {
		counts = "no case ran"
		if t.Skip > 0 {
			counts += fmt.Sprintf(" (%d skipped)", t.Skip)
		}
	}
	p99 := "p99 -"
	if run.Latency.Count > 0 {
		p99 = "p99 " + run.Latency.P99.String()
	}
	return []string{name, cell(run.Target.Addr), counts, p99, TLSWord(run)}
}

func columnWidths(rows [][]string) []int {
	var widths []int
	for _, row := range rows {
		for len(widths) < len(row) {
			widths = append(widths, 0)
		}
		for i, c := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	return widths
}

// runBadge is the run's status, or NONE when no case ran and nothing
// failed: an empty run is not a pass.
func (p *printer) runBadge(run *Run) string {
	if (run.Status == Pass || run.Status == "") && noCaseRan(caseTotals(run)) {
		return p.paint(ansiYellow, "NONE")
	}
	return p.badge(run.Status)
}

func (p *printer) paintTLSWord(run *Run, word string) string {
	switch {
	case word == "plaintext" || word == "tls ok":
		return word
	case strings.HasPrefix(word, "tls ok"):
		return p.paint(ansiYellow, word)
	}
	if ok, _ := run.TLS.Connects(); !ok || strings.Contains(word, "expired") || word == "unreachable" {
		return p.paint(ansiRed, word)
	}
	return p.paint(ansiYellow, word)
}

// TLSWord says in a word or three how the run's plugin stands on TLS, for
// the one line a passing run gets: "plaintext", "tls ok", "tls: cert
// expires in 5d", "tls: GOST will not connect". The full audit is in -v and
// the JSON report.
func TLSWord(run *Run) string {
	t := &run.TLS
	if ok, _ := t.Connects(); !ok {
		return "tls: GOST will not connect"
	}
	if e := t.Endpoint; e != nil && !e.Reachable {
		return "unreachable"
	}
	if !t.Enabled {
		if run.Target.TLS != nil {
			return "tls: no handshake"
		}
		return "plaintext"
	}
	if len(t.Peer) > 0 && !t.Peer[0].NotBefore.IsZero() {
		switch d := t.Peer[0].DaysLeft; {
		case d < 0:
			return "tls: cert expired"
		case d <= expiringDays:
			return fmt.Sprintf("tls: cert expires in %dd", d)
		}
	}
	switch n := len(t.Findings); n {
	case 0:
		return "tls ok"
	case 1:
		return "tls ok, 1 finding"
	default:
		return fmt.Sprintf("tls ok, %d findings", n)
	}
}

// runTrouble explains a failed or warned run under its line: the causes,
// the diagnosis when no cause says it, the TLS audit when TLS is the
// trouble, the notes, and one block per failed or warned case.
func (p *printer) runTrouble(run *Run) {
	if len(run.Services) > 0 {
		p.field(sectionIndent, "used by", "", serviceList(run.Services))
	}
	// Information causes (a redirect GOST follows) print too: the run is
	// being read already, and they explain what its cases saw.
	shown := run.Causes
	p.causes(shown[:min(len(shown), maxShortCauses)], sectionIndent)
	if n := len(shown) - maxShortCauses; n > 0 {
		p.linef(sectionIndent, "and %s (-v)", plural(n, "more cause"))
	}
	if run.Diagnosis != "" && !causeSays(run.Causes, run.Diagnosis) {
		p.field(sectionIndent, "DIAGNOSIS:", ansiBoldRed, truncate(run.Diagnosis, maxCauseText))
	}
	if tlsTrouble(run) {
		// GOST will not connect, or soon will not: the audit is the cause,
		// and its matrix says which settings would work.
		p.section("TLS")
		p.tls(&run.TLS)
	}
	for i, n := range run.Notes {
		if i == maxShortNotes {
			p.linef(sectionIndent, "and %s (-v)", plural(len(run.Notes)-i, "more note"))
			break
		}
		p.field(sectionIndent, "note:", "", truncate(n, maxCauseText))
	}
	shownCases, more := 0, 0
	for _, c := range run.Cases {
		if c.Status != Fail && c.Status != Warn {
			continue
		}
		if shownCases == maxShortCases {
			more++
			continue
		}
		shownCases++
		p.shortCase(c)
	}
	if more > 0 {
		p.linef(sectionIndent, "and %s failed or warned in this run (-v)", plural(more, "more case"))
	}
}

// tlsTrouble reports whether the run's TLS is why it fails or soon will:
// GOST will not connect with the settings given, or the certificate has
// expired.
func tlsTrouble(run *Run) bool {
	if ok, _ := run.TLS.Connects(); !ok {
		return true
	}
	peer := run.TLS.Peer
	return len(peer) > 0 && !peer[0].NotBefore.IsZero() && peer[0].DaysLeft < 0
}

// shortCase is one failed or warned case: badge, ID and fixture line, then
// each check that did not pass, in the words the check wrote: they say what
// came back and what GOST makes of it.
func (p *printer) shortCase(c *Case) {
	line := p.badge(c.Status) + "  " + clean(c.ID)
	if c.File != "" {
		loc := clean(c.File)
		if c.Line > 0 {
			loc = fmt.Sprintf("%s:%d", loc, c.Line)
		}
		line += "  " + loc
	}
	p.linef(sectionIndent, "%s", line)
	n := sectionIndent + 6
	lines, more := 0, 0
	for i, st := range c.Steps {
		if st.Status == Pass || st.Status == Skip {
			continue
		}
		prefix := ""
		if len(c.Steps) > 1 {
			prefix = fmt.Sprintf("step %d/%d %s: ", i+1, len(c.Steps), clean(st.Op))
		}
		wrote := false
		for _, ch := range st.Checks {
			if ch.Status == Pass {
				continue
			}
			wrote = true
			if lines == maxShortChecks {
				more++
				continue
			}
			lines++
			label, msg := checkWords(ch)
			p.field(n, prefix+clean(label)+":", statusColor(ch.Status), clip.Text(msg, maxCauseText))
		}
		if !wrote && lines < maxShortChecks {
			lines++
			// No check explains the step; what went over the wire does.
			p.observation(&st.Observation, n)
			continue
		}
		if st.Status == Fail {
			// What was sent and what came back, so that a failure reads
			// whole without -v; bounded, as the plugin's reply is its own.
			p.exchange(&st.Observation, n)
		}
	}
	if more > 0 {
		p.linef(n, "and %s (-v)", plural(more, "more check"))
	}
}

// failedList names every failed case, bounded, so the end of a long log
// says what to rerun with --run.
func (p *printer) failedList(r *Report) {
	var ids []string
	total := 0
	for _, run := range r.Runs {
		for _, c := range run.Cases {
			if c.Status != Fail {
				continue
			}
			total++
			if len(ids) < maxFailedIDs {
				ids = append(ids, clean(c.ID))
			}
		}
	}
	if total == 0 {
		return
	}
	p.linef(0, "%s", p.paint(ansiBoldRed, fmt.Sprintf("Failed (%d):", total)))
	for _, id := range ids {
		p.linef(sectionIndent, "%s", id)
	}
	if n := total - len(ids); n > 0 {
		p.linef(sectionIndent, "and %d more", n)
	}
}

// maxExchangeText bounds the sent and got lines of a failed step in the
// short report; -v and -o json keep the whole (bounded) exchange.
const maxExchangeText = 200

// exchange prints the request as it went over the wire and the reply the
// plugin sent; a call with no reply has its error in the failed check.
func (p *printer) exchange(o *Observation, n int) {
	if !o.Sent {
		return
	}
	if len(o.Request) > 0 {
		p.field(n, "sent:", "", clip.Text(compactRaw(o.Request), maxExchangeText))
	}
	if o.Reply != "" {
		p.field(n, "got:", "", clip.Text(o.Reply, maxExchangeText))
	}
}
