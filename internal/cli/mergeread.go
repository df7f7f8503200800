package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode"

	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/report"
)

// maxMergeInput caps each file merge reads. A load result is a few KiB to
// a few hundred KiB (two compressed histograms and bounded label maps); an
// HDR log of a long run a few MiB.
const maxMergeInput = 64 << 20

// maxReasonLen bounds the part of a decoder's message quoted in an error:
// it can repeat bytes of the file.
const maxReasonLen = 200

// mergeInput is one file given to merge: a JSON load result, or an HDR
// histogram log added to logs.
type mergeInput struct {
	result *load.Result
	isLog  bool
}

// readMergeInput reads file name for merge. Every error names the file and
// says in one line what is wrong with it.
func readMergeInput(name string, logs *load.Metrics) (mergeInput, error) {
	data, err := readCappedFile(name, maxMergeInput)
	if err != nil {
		return mergeInput{}, err
	}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		r, err := decodeLoadResult(trimmed)
		if err != nil {
			return mergeInput{}, fmt.Errorf("%s: %w", name, err)
		}
		return mergeInput{result: r}, nil
	}
	// Read into a copy, so that a damaged log adds nothing to logs.
	part := load.NewMetrics()
	n, err := load.ReadLog(bufio.NewReader(bytes.NewReader(data)), part)
	switch {
	case err != nil:
		return mergeInput{}, fmt.Errorf("%s: neither a JSON load result (-o json=FILE) nor an HDR histogram log (--hdr-log): %s", name, cut(err.Error()))
	case n == 0:
		return mergeInput{}, fmt.Errorf("%s: neither a JSON load result (-o json=FILE) nor an HDR histogram log (--hdr-log): no histogram in it", name)
	}
	logs.Merge(part)
	return mergeInput{isLog: true}, nil
}

// decodeLoadResult decodes and checks a JSON load result.
func decodeLoadResult(data []byte) (*load.Result, error) {
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not a load result: invalid JSON at byte %d: %s", se.Offset, cut(se.Error()))
		}
		// Valid JSON whose "schema" is not a string.
		return nil, fmt.Errorf("not a plugincheck load result: %s", describeJSONError(err))
	}
	switch head.Schema {
	case load.SchemaVersion:
	case report.SchemaVersion:
		return nil, errors.New("a module report (schema " + report.SchemaVersion + "), not a load result: merge takes the JSON written by `plugincheck load -o json=FILE`")
	case load.OldSchemaVersion:
		return nil, fmt.Errorf("a load result of an older plugincheck (schema %q, want %q): its verdict and error counts have another shape; run the load again with this plugincheck", load.OldSchemaVersion, load.SchemaVersion)
	case "":
		return nil, fmt.Errorf("not a plugincheck load result: no \"schema\" field (want %q, as `plugincheck load -o json=FILE` writes)", load.SchemaVersion)
	default:
		return nil, fmt.Errorf("not a load result this plugincheck reads: schema %q (want %q)", cut(head.Schema), load.SchemaVersion)
	}
	var r load.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("damaged load result: %s", describeJSONError(err))
	}
	if _, err := r.Metrics(); err != nil {
		return nil, fmt.Errorf("damaged load result: %s", cut(err.Error()))
	}
	return &r, nil
}

// describeJSONError says what encoding/json found, without Go type names.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := jsonPath(te.Field)
		if field == "" {
			field = "(top level)"
		}
		return fmt.Sprintf("field %s holds a JSON %s, not the %s it should be", cut(field), te.Value, jsonKind(te.Type.Kind().String()))
	}
	return cut(err.Error())
}

// jsonPath drops the Go names of embedded structs (Counts, Info) from an
// UnmarshalTypeError's field path, leaving the JSON names.
func jsonPath(field string) string {
	var parts []string
	for _, p := range strings.Split(field, ".") {
		if p != "" && unicode.IsUpper(rune(p[0])) {
			continue
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ".")
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "struct", "map":
		return "object"
	}
	return "number"
}

// cut bounds s to maxReasonLen bytes.
func cut(s string) string {
	if len(s) <= maxReasonLen {
		return s
	}
	return fmt.Sprintf("%s… (%d bytes more)", s[:maxReasonLen], len(s)-maxReasonLen)
}

// readCappedFile reads name, refusing a file larger than limit before
// reading it, and reading no more than limit from one whose size is not
// known (a pipe, a device).
func readCappedFile(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, &FlagError{Err: err}
	}
	defer f.Close()
	tooLarge := &FlagError{Err: fmt.Errorf("%s: larger than %d MiB: not a load result or histogram log", name, limit>>20)}
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > limit {
		return nil, tooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &FlagError{Err: fmt.Errorf("%s: %w", name, err)}
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, nil
}
