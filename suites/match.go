package suites

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// ErrNoMatch is returned when --run or --skip patterns leave no case to run.
var ErrNoMatch = errors.New("no case matches")

// PatternError reports a malformed --run or --skip pattern.
type PatternError struct {
	Pattern string
	Err     error
}

func (e *PatternError) Error() string { return fmt.Sprintf("pattern %q: %v", e.Pattern, e.Err) }

func (e *PatternError) Unwrap() error { return e.Err }

// Filter selects case IDs ("suite/transport/case") by --run and --skip
// patterns. A pattern is matched component by component with path.Match
// globbing; "**" matches any number of components. A pattern without "/"
// matches the case name alone, so --run 'rejects-*' works without a suite.
type Filter struct {
	Run  []string
	Skip []string
}

// Validate reports the first malformed pattern.
func (f Filter) Validate() error {
	for _, p := range append(append([]string{}, f.Run...), f.Skip...) {
		for _, part := range strings.Split(p, "/") {
			if part == "**" {
				continue
			}
			if _, err := path.Match(part, ""); err != nil {
				return &PatternError{Pattern: p, Err: err}
			}
		}
	}
	return nil
}

// Selected reports whether id passes the filter.
func (f Filter) Selected(id string) bool {
	if len(f.Run) > 0 && !matchAny(f.Run, id) {
		return false
	}
	return !matchAny(f.Skip, id)
}

func matchAny(patterns []string, id string) bool {
	for _, p := range patterns {
		if matchID(p, id) {
			return true
		}
	}
	return false
}

func matchID(pattern, id string) bool {
	parts := strings.Split(id, "/")
	if !strings.Contains(pattern, "/") {
		ok, _ := path.Match(pattern, parts[len(parts)-1])
		return ok
	}
	return matchParts(strings.Split(pattern, "/"), parts)
}

func matchParts(pat, parts []string) bool {
	if len(pat) == 0 {
		return len(parts) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(parts); i++ {
			if matchParts(pat[1:], parts[i:]) {
				return true
			}
		}
		return false
	}
	if len(parts) == 0 {
		return false
	}
	ok, _ := path.Match(pat[0], parts[0])
	return ok && matchParts(pat[1:], parts[1:])
}
