package report

import (
	"errors"
	"io"
)

// Renderer writes a report in one format. Renderers only read the report,
// so one report can be rendered to several outputs.
type Renderer func(w io.Writer, r *Report) error

// ErrUnknownFormat is returned by RendererFor for a format it does not know,
// so the CLI can treat it as a usage error.
var ErrUnknownFormat = errors.New("report: unknown format")

// Formats are the names RendererFor accepts, in the order help text lists them.
var Formats = Reports.Names()

var (
	_ Renderer = JSON
	_ Renderer = JUnit
	_ Renderer = NewText(TextOptions{})
)

// RendererFor maps a --format value to its renderer. opts only affects text.
func RendererFor(format string, opts TextOptions) (Renderer, error) {
	fn, err := Reports.For(format, opts)
	if err != nil {
		return nil, err
	}
	return fn, nil
}

// orEmpty lets renderers accept a nil report instead of panicking after a
// long run.
func orEmpty(r *Report) *Report {
	if r == nil {
		return &Report{}
	}
	return r
}
