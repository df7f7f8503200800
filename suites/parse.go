package suites

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/plugincheck/plugincheck/mockclient"
)

// ParseError is a problem in a fixture file, located by file, line and field.
type ParseError struct {
	File  string
	Line  int
	Field string
	Err   error
}

func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", e.Field)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *ParseError) Unwrap() error { return e.Err }

// ErrNoSuites is returned when a directory holds no fixture files.
var ErrNoSuites = errors.New("no .yaml or .yml fixture files")

// MaxFixtureSize caps the size of a fixture file, in bytes. Real suites
// are a few KiB; parsing holds several copies of the file as YAML nodes,
// so a 100 MB file took 1.6 GB.
const MaxFixtureSize = 8 << 20

// ErrFixtureTooLarge is wrapped by the error of a fixture file larger than
// MaxFixtureSize.
var ErrFixtureTooLarge = errors.New("fixture file too large")

// ErrMultipleDocuments is wrapped by the error of a fixture file with more
// than one YAML document: a file holds one suite.
var ErrMultipleDocuments = errors.New("a second YAML document")

// Parse reads fixture files from fsys. A name that is a directory contributes
// every .yaml/.yml file in it, in lexical order.
func Parse(fsys fs.FS, names ...string) ([]*Suite, error) {
	var out []*Suite
	for _, name := range names {
		files, err := expand(fsys, name)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			data, err := readCapped(fsys, f)
			if err != nil {
				return nil, err
			}
			s, err := ParseBytes(f, data)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
	}
	return out, nil
}

// readCapped reads fixture file f, refusing one larger than
// MaxFixtureSize before reading it, and never reading more than the cap
// from a file whose size was not known (a pipe, a device, a file that grew).
func readCapped(fsys fs.FS, f string) ([]byte, error) {
	file, err := fsys.Open(f)
	if err != nil {
		return nil, &ParseError{File: f, Err: unwrapPathError(err)}
	}
	defer file.Close()
	tooLarge := func(size string) error {
		return &ParseError{File: f, Err: fmt.Errorf("%w: %s, the cap is %d MiB", ErrFixtureTooLarge, size, MaxFixtureSize>>20)}
	}
	if info, err := file.Stat(); err == nil && info.Size() > MaxFixtureSize {
		return nil, tooLarge(fmt.Sprintf("%d bytes", info.Size()))
	}
	data, err := io.ReadAll(io.LimitReader(file, MaxFixtureSize+1))
	if err != nil {
		return nil, &ParseError{File: f, Err: unwrapPathError(err)}
	}
	if len(data) > MaxFixtureSize {
		return nil, tooLarge("more than that")
	}
	return data, nil
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func expand(fsys fs.FS, name string) ([]string, error) {
	info, err := fs.Stat(fsys, name)
	if err != nil {
		return nil, &ParseError{File: name, Err: unwrapPathError(err)}
	}
	if !info.IsDir() {
		return []string{name}, nil
	}
	entries, err := fs.ReadDir(fsys, name)
	if err != nil {
		return nil, &ParseError{File: name, Err: unwrapPathError(err)}
	}
	var files []string
	for _, e := range entries {
		if ext := path.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, path.Join(name, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, &ParseError{File: name, Err: ErrNoSuites}
	}
	return files, nil
}

// ParseBytes parses one fixture file; file names it in errors. The file
// holds one YAML document: a leading "---" is fine, and so is a trailing
// one with nothing after it, but a second document with content is an
// error, never silently ignored.
func ParseBytes(file string, data []byte) (*Suite, error) {
	if len(data) > MaxFixtureSize {
		return nil, &ParseError{File: file, Err: fmt.Errorf("%w: %d bytes, the cap is %d MiB", ErrFixtureTooLarge, len(data), MaxFixtureSize>>20)}
	}
	if s, ok := parseApart(file, data); ok {
		return s, nil
	}
	return parseWhole(file, data)
}

// parseWhole is ParseBytes with the whole document held as nodes.
func parseWhole(file string, data []byte) (*Suite, error) {
	p := &parser{file: file}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, &ParseError{File: file, Err: err}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &ParseError{File: file, Err: errors.New("empty fixture file")}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, &ParseError{File: file, Err: err}
	case !emptyDocument(&next):
		return nil, &ParseError{File: file, Line: next.Line, Err: fmt.Errorf(
			"%w (after ---): a fixture file holds one suite; put each suite in a file of its own", ErrMultipleDocuments)}
	}
	return p.suite(doc.Content[0])
}

// emptyDocument reports a document with nothing in it, as a trailing "---"
// makes.
func emptyDocument(n *yaml.Node) bool {
	if n.Kind != yaml.DocumentNode || len(n.Content) == 0 {
		return true
	}
	c := n.Content[0]
	return len(n.Content) == 1 && c.Kind == yaml.ScalarNode && c.Tag == "!!null" && c.Value == ""
}

type parser struct {
	file string
	// casesApart: the document's cases are parsed apart (parseApart), so
	// suite leaves its cases field alone.
	casesApart bool
	// patterns are the file's expect and warn_if blocks by their JSON, so
	// that steps with equal blocks share one map (see sharedPattern).
	patterns map[string]map[string]any
	// requests are the file's requests by their JSON (sharedRequest).
	requests map[string]any
}

// maxSharedPatterns bounds the distinct expect and warn_if blocks, and the
// distinct requests, a file's steps share; maxSharedPattern bounds the
// JSON of one.
const (
	maxSharedPatterns = 4096
	maxSharedPattern  = 1 << 10
)

// sharedPattern returns a map equal to m that earlier steps of the file
// already hold, or m. A large suite repeats a few blocks ({ok: true})
// thousands of times, and each step kept its own map for as long as the
// suite and its report live. Sharing is safe because nothing changes a
// pattern once parsed: the runner and the renderers only read it, and
// clip.RedactAll replaces a map rather than writing into it.
func (p *parser) sharedPattern(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil || len(b) > maxSharedPattern {
		return m
	}
	// Canonical values that render the same JSON are equal: json.Marshal
	// sorts keys, and every value is a map, list, float64, string, bool
	// or nil.
	if s, ok := p.patterns[string(b)]; ok {
		return s
	}
	if p.patterns == nil {
		p.patterns = make(map[string]map[string]any)
	}
	if len(p.patterns) < maxSharedPatterns {
		p.patterns[string(b)] = m
	}
	return m
}

// sharedRequest returns a request equal to req that an earlier step of the
// file already holds, or req. Requests are values to the code that reads
// them: a run or a load makes calls from them, and a derived case
// (ForServices) gets a copy before anything changes. A suite that repeats
// a request thousands of times then keeps it, and its decoded strings,
// once.
func (p *parser) sharedRequest(req any) any {
	b, err := json.Marshal(req)
	if err != nil || len(b) > maxSharedPattern {
		return req
	}
	// Equal JSON means equal requests: fixtures can only set the fields
	// JSON names (decode), and each renders as it was set.
	if s, ok := p.requests[string(b)]; ok && reflect.TypeOf(s) == reflect.TypeOf(req) {
		return s
	}
	if p.requests == nil {
		p.requests = make(map[string]any)
	}
	if len(p.requests) < maxSharedPatterns {
		p.requests[string(b)] = req
	}
	return req
}

func (p *parser) errorf(n *yaml.Node, field, format string, args ...any) error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return &ParseError{File: p.file, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
}

// fields checks that n is a mapping whose keys are all in allowed, and
// returns the value node of each key.
func (p *parser) fields(n *yaml.Node, field string, allowed ...string) (map[string]*yaml.Node, error) {
	n = resolve(n)
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, field, "want a mapping, got %s", kindName(n))
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			return nil, p.errorf(k, join(field, k.Value), "unknown field%s (want one of %s)", didYouMean(k.Value, allowed), strings.Join(allowed, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.errorf(k, join(field, k.Value), "field given twice")
		}
		out[k.Value] = v
	}
	return out, nil
}

func (p *parser) str(n *yaml.Node, field string) (string, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errorf(n, field, "want a string, got %s", kindName(n))
	}
	return n.Value, nil
}

func (p *parser) strings(n *yaml.Node, field string) ([]string, error) {
	n = resolve(n)
	if n.Kind != yaml.SequenceNode {
		return nil, p.errorf(n, field, "want a list, got %s", kindName(n))
	}
	out := make([]string, 0, len(n.Content))
	for i, c := range n.Content {
		s, err := p.str(c, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) transports(n *yaml.Node, field string) ([]mockclient.Transport, error) {
	names, err := p.strings(n, field)
	if err != nil {
		return nil, err
	}
	out := make([]mockclient.Transport, 0, len(names))
	for i, name := range names {
		t, err := mockclient.ParseTransport(name)
		if err != nil || t == "" {
			return nil, p.errorf(resolve(n).Content[i], fmt.Sprintf("%s[%d]", field, i), "unknown transport %q (want grpc or http)", name)
		}
		out = append(out, t)
	}
	return out, nil
}

// weight reads a case's load-mix weight: a finite number ≥ 0.
func (p *parser) weight(n *yaml.Node, field string) (float64, error) {
	n = resolve(n)
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") {
		return 0, p.errorf(n, field, "want a number ≥ 0, got %s", kindName(n))
	}
	w, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
	if err != nil || math.IsNaN(w) || math.IsInf(w, 0) {
		return 0, p.errorf(n, field, "want a finite number ≥ 0, got %s", n.Value)
	}
	if w < 0 {
		return 0, p.errorf(n, field, "weight %s is negative (want ≥ 0; 0 leaves the case out of load tests)", n.Value)
	}
	return w, nil
}

func (p *parser) checks(n *yaml.Node, field string) ([]string, error) {
	names, err := p.strings(n, field)
	if err != nil {
		return nil, err
	}
	for i, name := range names {
		if !slices.Contains(selectableChecks, name) {
			return nil, p.errorf(resolve(n).Content[i], fmt.Sprintf("%s[%d]", field, i), "unknown check %q (want one of %s)", name, strings.Join(selectableChecks, ", "))
		}
	}
	return names, nil
}

func (p *parser) suite(root *yaml.Node) (*Suite, error) {
	f, err := p.fields(root, "", "name", "module", "description", "transports", "checks", "cases")
	if err != nil {
		return nil, err
	}
	s := &Suite{File: p.file}
	for _, req := range []string{"name", "module", "cases"} {
		if f[req] == nil {
			return nil, p.errorf(root, req, "required field is missing")
		}
	}
	if s.Name, err = p.str(f["name"], "name"); err != nil {
		return nil, err
	}
	if s.Slug() == "" {
		return nil, p.errorf(f["name"], "name", "must contain a letter or digit")
	}
	moduleName, err := p.str(f["module"], "module")
	if err != nil {
		return nil, err
	}
	if s.Module, err = ParseModule(moduleName); err != nil {
		return nil, p.errorf(f["module"], "module", "%w", err)
	}
	if n := f["description"]; n != nil {
		if s.Description, err = p.str(n, "description"); err != nil {
			return nil, err
		}
	}
	if n := f["transports"]; n != nil {
		if s.Transports, err = p.transports(n, "transports"); err != nil {
			return nil, err
		}
	}
	if n := f["checks"]; n != nil {
		if s.Checks, err = p.checks(n, "checks"); err != nil {
			return nil, err
		}
	}
	if p.casesApart {
		return s, nil
	}
	cases := resolve(f["cases"])
	if cases.Kind != yaml.SequenceNode || len(cases.Content) == 0 {
		return nil, p.errorf(cases, "cases", "want a non-empty list of cases")
	}
	if err := p.addCases(s, cases.Content, 0, map[string]int{}); err != nil {
		return nil, err
	}
	return s, nil
}

// addCases parses the case nodes ns, the first of which is cases[first],
// into s; seen holds the lines of the case names already parsed.
func (p *parser) addCases(s *Suite, ns []*yaml.Node, first int, seen map[string]int) error {
	for k, cn := range ns {
		i := first + k
		c, err := p.caseNode(s, cn, fmt.Sprintf("cases[%d]", i))
		if err != nil {
			return err
		}
		if line, dup := seen[c.Name]; dup {
			return p.errorf(cn, fmt.Sprintf("cases[%d].name", i), "case %q already defined on line %d", c.Name, line)
		}
		seen[c.Name] = c.Line
		s.Cases = append(s.Cases, c)
	}
	return nil
}

var stepFields = []string{"op", "request", "expect", "warn_if", "warning", "checks"}

func (p *parser) caseNode(s *Suite, n *yaml.Node, field string) (*Case, error) {
	allowed := append([]string{"name", "doc", "transports", "weight", "steps"}, stepFields...)
	f, err := p.fields(n, field, allowed...)
	if err != nil {
		return nil, err
	}
	c := &Case{Line: resolve(n).Line, Weight: 1}
	if f["name"] == nil {
		return nil, p.errorf(n, join(field, "name"), "required field is missing")
	}
	if c.Name, err = p.str(f["name"], join(field, "name")); err != nil {
		return nil, err
	}
	if c.Name == "" || strings.ContainsAny(c.Name, "/ \t") {
		return nil, p.errorf(f["name"], join(field, "name"), "case names are non-empty and contain no '/' or spaces (got %q)", c.Name)
	}
	if nd := f["doc"]; nd != nil {
		if c.Doc, err = p.str(nd, join(field, "doc")); err != nil {
			return nil, err
		}
	}
	if nd := f["transports"]; nd != nil {
		if c.Transports, err = p.transports(nd, join(field, "transports")); err != nil {
			return nil, err
		}
	}
	if nd := f["weight"]; nd != nil {
		if c.Weight, err = p.weight(nd, join(field, "weight")); err != nil {
			return nil, err
		}
	}

	if steps := f["steps"]; steps != nil {
		for _, k := range stepFields {
			if f[k] != nil {
				return nil, p.errorf(f[k], join(field, k), "a case has either steps or a single call (%s), not both", k)
			}
		}
		steps = resolve(steps)
		if steps.Kind != yaml.SequenceNode || len(steps.Content) == 0 {
			return nil, p.errorf(steps, join(field, "steps"), "want a non-empty list of steps")
		}
		for i, sn := range steps.Content {
			sf, err := p.fields(sn, fmt.Sprintf("%s.steps[%d]", field, i), stepFields...)
			if err != nil {
				return nil, err
			}
			st, err := p.step(s, sn, sf, fmt.Sprintf("%s.steps[%d]", field, i))
			if err != nil {
				return nil, err
			}
			c.Steps = append(c.Steps, st)
		}
		return c, nil
	}
	st, err := p.step(s, n, f, field)
	if err != nil {
		return nil, err
	}
	c.Steps = []*Step{st}
	return c, nil
}

func (p *parser) step(s *Suite, n *yaml.Node, f map[string]*yaml.Node, field string) (*Step, error) {
	st := &Step{Line: resolve(n).Line}
	var opName string
	var err error
	if on := f["op"]; on != nil {
		if opName, err = p.str(on, join(field, "op")); err != nil {
			return nil, err
		}
	}
	if st.Op, err = mockclient.LookupOperation(s.Module, opName); err != nil {
		return nil, p.errorf(orNode(f["op"], n), join(field, "op"), "%w", err)
	}
	rn := f["request"]
	if rn == nil {
		return nil, p.errorf(n, join(field, "request"), "required field is missing")
	}
	st.Request = st.Op.NewRequest()
	if err := p.decode(rn, reflect.ValueOf(st.Request).Elem(), join(field, "request")); err != nil {
		return nil, err
	}
	st.Request = p.sharedRequest(st.Request)
	if en := f["expect"]; en != nil {
		if st.Expect, err = p.verdictPattern(en, st.Op, join(field, "expect")); err != nil {
			return nil, err
		}
	}
	if wn := f["warn_if"]; wn != nil {
		if st.WarnIf, err = p.verdictPattern(wn, st.Op, join(field, "warn_if")); err != nil {
			return nil, err
		}
		if f["warning"] == nil {
			return nil, p.errorf(wn, join(field, "warning"), "warn_if needs a warning message")
		}
	}
	if wn := f["warning"]; wn != nil {
		if f["warn_if"] == nil {
			return nil, p.errorf(wn, join(field, "warning"), "warning needs a warn_if condition")
		}
		if st.Warning, err = p.str(wn, join(field, "warning")); err != nil {
			return nil, err
		}
	}
	st.Checks = defaultChecks(st.Op)
	if len(s.Checks) > 0 {
		st.Checks = s.Checks
	}
	if cn := f["checks"]; cn != nil {
		if st.Checks, err = p.checks(cn, join(field, "checks")); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// verdictPattern reads an expect or warn_if block: a partial verdict whose
// fields must exist in the operation's verdict type and have its types.
func (p *parser) verdictPattern(n *yaml.Node, op mockclient.Operation, field string) (map[string]any, error) {
	probe := reflect.New(op.VerdictType)
	if err := p.decode(n, probe.Elem(), field); err != nil {
		return nil, err
	}
	var raw any
	if err := n.Decode(&raw); err != nil {
		return nil, p.errorf(n, field, "%w", err)
	}
	canon, err := canonical(raw)
	if err != nil {
		return nil, p.errorf(n, field, "%w", err)
	}
	m, ok := canon.(map[string]any)
	if !ok {
		return nil, p.errorf(n, field, "want a mapping of verdict fields")
	}
	return p.sharedPattern(m), nil
}

// decode fills v from n by the JSON field names of v's type, rejecting
// unknown fields and wrong types with the line and field path. Strings are
// taken as text for []byte fields unless tagged !!binary (base64).
func (p *parser) decode(n *yaml.Node, v reflect.Value, field string) error {
	n = resolve(n)
	isNull := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	switch v.Kind() {
	case reflect.Pointer:
		if isNull {
			return nil
		}
		v.Set(reflect.New(v.Type().Elem()))
		return p.decode(n, v.Elem(), field)
	case reflect.Struct:
		names, allowed := structFields(v.Type())
		if isNull {
			return nil
		}
		f, err := p.fields(n, field, allowed...)
		if err != nil {
			return err
		}
		for name, vn := range f {
			if err := p.decode(vn, v.FieldByIndex(names[name]), join(field, name)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if isNull {
			return nil
		}
		if n.Kind != yaml.ScalarNode {
			return p.errorf(n, field, "want a string, got %s", kindName(n))
		}
		v.SetString(n.Value)
		return nil
	case reflect.Bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || err != nil {
			return p.errorf(n, field, "want true or false, got %s", kindName(n))
		}
		v.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(n.Value, 0, v.Type().Bits())
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			return p.errorf(n, field, "want an integer, got %s", kindName(n))
		}
		v.SetInt(i)
		return nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(n.Value, 0, v.Type().Bits())
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || err != nil {
			return p.errorf(n, field, "want a non-negative integer, got %s", kindName(n))
		}
		v.SetUint(u)
		return nil
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return p.decodeBytes(n, v, field)
		}
		if isNull {
			return nil
		}
		if n.Kind != yaml.SequenceNode {
			return p.errorf(n, field, "want a list, got %s", kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			if err := p.decode(c, s.Index(i), fmt.Sprintf("%s[%d]", field, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map, reflect.Interface:
		if isNull {
			return nil
		}
		if v.Kind() == reflect.Map && n.Kind != yaml.MappingNode {
			return p.errorf(n, field, "want a mapping, got %s", kindName(n))
		}
		var raw any
		if err := n.Decode(&raw); err != nil {
			return p.errorf(n, field, "%w", err)
		}
		canon, err := canonical(raw)
		if err != nil {
			return p.errorf(n, field, "%w", err)
		}
		target := reflect.New(v.Type())
		b, _ := json.Marshal(canon)
		if err := json.Unmarshal(b, target.Interface()); err != nil {
			return p.errorf(n, field, "%w", err)
		}
		v.Set(target.Elem())
		return nil
	}
	return p.errorf(n, field, "unsupported field type %s", v.Type())
}

func (p *parser) decodeBytes(n *yaml.Node, v reflect.Value, field string) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return p.errorf(n, field, "want text, or base64 tagged !!binary, got %s", kindName(n))
	}
	if n.Tag == "!!binary" {
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(n.Value), ""))
		if err != nil {
			return p.errorf(n, field, "invalid !!binary base64: %w", err)
		}
		v.SetBytes(b)
		return nil
	}
	v.SetBytes([]byte(n.Value))
	return nil
}

// fieldsCache holds structFields' answer per request type: a fixture of
// ten thousand cases decodes the same few types ten thousand times, and
// walking their fields each time was a quarter of the parse.
var fieldsCache sync.Map // reflect.Type → *typeFields

type typeFields struct {
	names   map[string][]int
	allowed []string
}

// structFields is jsonFields(t) and its names sorted, computed once per
// type; callers only read them.
func structFields(t reflect.Type) (names map[string][]int, allowed []string) {
	if tf, ok := fieldsCache.Load(t); ok {
		return tf.(*typeFields).names, tf.(*typeFields).allowed
	}
	tf := &typeFields{names: jsonFields(t)}
	tf.allowed = make([]string, 0, len(tf.names))
	for name := range tf.names {
		tf.allowed = append(tf.allowed, name)
	}
	slices.Sort(tf.allowed)
	fieldsCache.Store(t, tf)
	return tf.names, tf.allowed
}

// jsonFields maps JSON field names of struct type t to field indexes.
func jsonFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	for _, f := range reflect.VisibleFields(t) {
		if !f.IsExported() || f.Anonymous {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Index
	}
	return out
}

// canonical converts YAML-decoded values to the shapes encoding/json
// produces (map[string]any, []any, float64, string, bool, nil), so that
// expectations compare equal to marshalled verdicts. It converts the maps
// and lists of v in place and returns them: v is the parser's own freshly
// decoded value, and a copy of every expect block cost a large suite a map
// per case for as long as the suite lives.
func canonical(v any) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c, err := canonical(e)
			if err != nil {
				return nil, err
			}
			x[k] = c // an existing key: no growth, and allowed during range
		}
		return v, nil
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("mapping key %v is not a string", k)
			}
			c, err := canonical(e)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case []any:
		for i, e := range x {
			c, err := canonical(e)
			if err != nil {
				return nil, err
			}
			x[i] = c
		}
		return v, nil // v already holds x: boxing x again would copy its header
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case float64, string, bool, nil:
		return x, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("value %v: %w", v, err)
	}
	var out any
	err = json.Unmarshal(b, &out)
	return out, err
}

func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

func orNode(a, b *yaml.Node) *yaml.Node {
	if a != nil {
		return a
	}
	return b
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("the string %q", n.Value)
		}
		return fmt.Sprintf("%s %s", strings.TrimPrefix(n.Tag, "!!"), n.Value)
	}
	return "nothing"
}

func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

// ParseFiles reads fixture files or directories from the operating system;
// errors name each path as given.
func ParseFiles(paths ...string) ([]*Suite, error) {
	var out []*Suite
	for _, p := range paths {
		dir, name := filepath.Split(filepath.Clean(p))
		if dir == "" {
			dir = "."
		}
		ss, err := Parse(os.DirFS(dir), name)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				pe.File = filepath.Join(dir, pe.File)
				if !filepath.IsAbs(p) && dir == "." {
					pe.File = filepath.Clean(pe.File)
				}
			}
			return nil, err
		}
		for _, s := range ss {
			s.File = filepath.Join(dir, s.File)
		}
		out = append(out, ss...)
	}
	return out, nil
}
