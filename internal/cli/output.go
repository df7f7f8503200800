package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/internal/loadreport"
	"github.com/plugincheck/plugincheck/report"
)

// loadResults are the formats of a load result, in report's registry so
// that load results and reports share one output path: text, and the JSON
// that `plugincheck merge` reads back. They live here, not in report, so
// that report's importers do not build the load engine.
var loadResults = report.NewRegistry(
	report.Plain("text", load.WriteText),
	report.Plain("json", load.WriteJSON),
	report.Plain("html", loadreport.HTML),
)

// output is one requested rendering of a result.
type output struct {
	format string
	file   string // "" means standard output
}

// parseOutputs reads -o FORMAT[=FILE] specs against the formats of reg;
// example shows how to send a format to a file. Every command that writes
// a report or a load result parses its outputs here.
func parseOutputs[T any](specs []string, reg *report.Registry[T], example string) ([]output, error) {
	var out []output
	stdout := 0
	for _, spec := range specs {
		format, file, _ := strings.Cut(spec, "=")
		if _, err := reg.For(format, report.TextOptions{}); err != nil {
			return nil, flagErrorf("--output %q: %v", spec, err)
		}
		if file == "" || file == "-" {
			file = ""
			stdout++
		}
		out = append(out, output{format: format, file: file})
	}
	if stdout > 1 {
		return nil, flagErrorf("--output: only one format can go to standard output; give the others a file (%s)", example)
	}
	return out, nil
}

// writeOutputs renders v to each of outs with reg's renderers, made for
// the options opts gives each output (nil: none); what names v in errors
// ("report", "result"). Every command writes its outputs here, after
// checkOutputFiles has checked them before the run.
func writeOutputs[T any](ios *iostreams.IOStreams, outs []output, reg *report.Registry[T], v T, what string, opts func(output) report.TextOptions) error {
	writeProtosets(ios, outs, any(v), func(o output) bool { return opts != nil && opts(o).Verbose })
	for _, o := range outs {
		var to report.TextOptions
		if opts != nil {
			to = opts(o)
		}
		r, err := reg.For(o.format, to)
		if err != nil {
			return &FlagError{Err: err}
		}
		if o.file == "" {
			if err := r(ios.Out, v); err != nil {
				return fmt.Errorf("write %s %s: %w", o.format, what, err)
			}
			continue
		}
		if err := writeFile(o.file, func(f *os.File) error { return r(f, v) }); err != nil {
			return fmt.Errorf("write %s %s: %w", o.format, what, err)
		}
	}
	return nil
}

// writeFile creates name and writes it with write, reporting the first of
// the write's and the close's errors.
func writeFile(name string, write func(*os.File) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
