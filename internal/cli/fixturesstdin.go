package cli

import (
	"io"

	"github.com/plugincheck/plugincheck/suites"
)

// parseFixtures parses the --fixtures paths; "-" reads one fixture from in
// (standard input), so a generated fixture can be piped in. One "-" at
// most: standard input can be read only once.
func parseFixtures(in io.Reader, paths []string) ([]*suites.Suite, error) {
	var files []string
	stdin := false
	for _, p := range paths {
		if p != "-" {
			files = append(files, p)
			continue
		}
		if stdin {
			return nil, flagErrorf("--fixtures -: standard input can be given only once")
		}
		stdin = true
	}
	if stdin && in == nil {
		return nil, flagErrorf("--fixtures -: this command cannot read standard input")
	}
	ss, err := suites.ParseFiles(files...)
	if err != nil {
		return nil, err
	}
	if stdin {
		s, err := suites.ParseReader(in)
		if err != nil {
			return nil, err
		}
		ss = append(ss, s)
	}
	return ss, nil
}
