package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/report"
)

// jsonlStream writes -o jsonl[=FILE] as the run goes: a line per case as
// the case finishes (suites.RunOptions.OnCase), flushed with the line, and
// the summary line once the report is finished. A long run can so be
// followed, and a run cut short leaves every finished case behind. The
// report's other formats are written at the end as before; the registry's
// jsonl renderer (report.JSONL) writes the same lines for a report after
// the fact, and render leaves this output to the stream.
type jsonlStream struct {
	// mu orders lines of runs checked at once (plugincheck demo).
	mu     sync.Mutex
	out    output
	stdout io.Writer
	w      io.Writer
	f      *os.File
	err    error // the first write error; later lines are dropped
	show   bool  // --show-token
}

// startJSONL starts the stream of checks' -o jsonl output, if any, and
// keeps it in checks for checkOptions and render. The file is created on
// the first line, so a run that fails before any case leaves none.
func startJSONL(ios *iostreams.IOStreams, checks *CheckOptions) error {
	outs, err := checks.outputs()
	if err != nil {
		return err
	}
	i := slices.IndexFunc(outs, func(o output) bool { return o.format == "jsonl" })
	if i < 0 {
		return nil
	}
	checks.jsonl = &jsonlStream{out: outs[i], stdout: ios.Out, show: checks.ShowToken}
	return nil
}

// onCase is the OnCase of a run: plugin names the config's plugin block
// ("" for a module or demo run), token is the run's token, redacted from
// every line unless --show-token. A nil stream gives nil.
func (s *jsonlStream) onCase(plugin, token string) func(*report.Run, *report.Case) {
	if s == nil {
		return nil
	}
	return func(run *report.Run, c *report.Case) {
		line := report.NewCaseLine(run, c)
		line.Run.Plugin = plugin
		s.write(s.redacted(line, token))
	}
}

// redacted returns line with the token redacted, as package check's last
// pass redacts the report: through a copy, since the case still belongs
// to the run.
func (s *jsonlStream) redacted(line report.CaseLine, token string) any {
	if s.show || token == "" {
		return line
	}
	b, err := json.Marshal(line)
	if err != nil {
		return line
	}
	var cp report.CaseLine
	if err := json.Unmarshal(b, &cp); err != nil {
		// Never print what could not be redacted field by field.
		return json.RawMessage(clip.Redact(string(b), token))
	}
	clip.RedactAll(&cp, token)
	return cp
}

// write writes one line; the first error is kept for finish.
func (s *jsonlStream) write(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return
	}
	if s.w == nil {
		s.w = s.stdout
		if s.out.file != "" {
			f, err := os.Create(s.out.file)
			if err != nil {
				s.err = err
				return
			}
			s.f, s.w = f, f
		}
	}
	s.err = report.WriteLine(s.w, v)
}

// finish writes the summary line of finished report rep and closes the
// file; the error is the stream's first.
func (s *jsonlStream) finish(rep *report.Report) error {
	s.write(report.NewSummaryLine(rep))
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		if err := s.f.Close(); err != nil && s.err == nil {
			s.err = err
		}
		s.f = nil
	}
	if s.err != nil {
		return fmt.Errorf("write jsonl report: %w", s.err)
	}
	return nil
}

// close closes the file of a stream that did not finish (the run failed
// before its report); nil-safe.
func (s *jsonlStream) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f != nil {
		_ = s.f.Close()
		s.f = nil
	}
}

// withoutStreamed drops from outs the output the stream wrote.
func (s *jsonlStream) withoutStreamed(outs []output) []output {
	if s == nil {
		return outs
	}
	return slices.DeleteFunc(outs, func(o output) bool { return o.format == "jsonl" })
}
