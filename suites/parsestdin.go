package suites

import (
	"fmt"
	"io"
)

// StdinName names standard input in errors and reports, as `--fixtures -`
// reads it.
const StdinName = "<stdin>"

// ParseReader parses one fixture document read from r (standard input for
// `--fixtures -`), under the same size cap as a file; errors name the file
// StdinName with line numbers.
func ParseReader(r io.Reader) (*Suite, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFixtureSize+1))
	if err != nil {
		return nil, &ParseError{File: StdinName, Err: err}
	}
	if len(data) > MaxFixtureSize {
		return nil, &ParseError{File: StdinName, Err: fmt.Errorf("%w: more than %d MiB", ErrFixtureTooLarge, MaxFixtureSize>>20)}
	}
	return ParseBytes(StdinName, data)
}
