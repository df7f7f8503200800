package report

import (
	"fmt"
	"io"
	"strings"
)

// Format is one output format for values of type T: its --output name,
// and how to make its renderer for one output's options.
type Format[T any] struct {
	Name string
	// New makes the renderer; formats that have no options ignore opts.
	New func(opts TextOptions) func(w io.Writer, v T) error
}

// Registry lists the output formats of one kind of result, so that the
// CLI parses, checks and writes conformance reports and load results the
// same way. It is fixed once built and safe for concurrent use.
type Registry[T any] struct {
	formats []Format[T]
}

// NewRegistry returns the registry of formats, in the order help text and
// errors list them.
func NewRegistry[T any](formats ...Format[T]) *Registry[T] {
	return &Registry[T]{formats: formats}
}

// Names lists the format names in order.
func (r *Registry[T]) Names() []string {
	out := make([]string, len(r.formats))
	for i, f := range r.formats {
		out[i] = f.Name
	}
	return out
}

// For returns format's renderer made for opts, or an error wrapping
// ErrUnknownFormat that lists the known formats.
func (r *Registry[T]) For(format string, opts TextOptions) (func(w io.Writer, v T) error, error) {
	for _, f := range r.formats {
		if f.Name == format {
			return f.New(opts), nil
		}
	}
	return nil, fmt.Errorf("%w %q (want %s)", ErrUnknownFormat, format, either(r.Names()))
}

// either lists names as "a, b or c".
func either(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Plain is format name rendered by fn, which takes no options.
func Plain[T any](name string, fn func(io.Writer, T) error) Format[T] {
	return Format[T]{Name: name, New: func(TextOptions) func(io.Writer, T) error { return fn }}
}

// Reports are the formats of a conformance report: text, json, junit and
// jsonl (which the CLI streams as cases finish; JSONL renders it after
// the fact).
var Reports = NewRegistry(
	Format[*Report]{Name: "text", New: func(opts TextOptions) func(io.Writer, *Report) error { return NewText(opts) }},
	Plain("json", JSON),
	Format[*Report]{Name: "junit", New: func(opts TextOptions) func(io.Writer, *Report) error {
		return NewJUnit(JUnitOptions{Strict: opts.Strict})
	}},
	Plain("html", HTML),
	Plain("jsonl", JSONL),
)
