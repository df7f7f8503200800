package gostconfig

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/plugincheck/plugincheck/clip"
)

// MaxConfigSize caps a config's size in bytes. Real configs are a few KiB;
// the node tree holds several copies of the input.
const MaxConfigSize = 16 << 20

// maxNodes bounds the nodes walked, aliases expanded, so a billion-laughs
// config costs a bounded amount of work.
const maxNodes = 1 << 20

// maxDepth bounds nesting, so a hostile config cannot exhaust the stack.
const maxDepth = 100

// ErrTooLarge is wrapped by the error of a config over MaxConfigSize.
var ErrTooLarge = errors.New("config too large")

// ErrConfig is wrapped by every *ConfigError: GOST would refuse the config
// or plugincheck cannot read it as GOST does.
var ErrConfig = errors.New("bad GOST config")

// ConfigError is a problem in a GOST config, located by source, line and
// field, in the style of suites.ParseError.
type ConfigError struct {
	Source string
	Line   int
	// Field is the config path, e.g. "authers[0].plugin.timeout".
	Field string
	Err   error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		fmt.Fprintf(&b, ": %s", clip.Text(e.Field, 200))
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConfig) hold for every ConfigError.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// kind is the shape of a value as viper hands it to mapstructure.
type kind int

const (
	kNull kind = iota
	kScalar
	kMap
	kSeq
)

// value is one config value as viper holds it after reading: keys
// lower-cased (viper's insensitiviseMap), scalars decoded by the same codec
// viper uses (yaml.v3 for YAML, encoding/json for JSON), plus its line.
type value struct {
	kind   kind
	line   int
	scalar any // string, int, int64, uint64, float64, bool; kScalar only
	keys   []entry
	items  []*value
}

type entry struct {
	key  string // as written
	line int
	val  *value
}

// reader turns yaml nodes into values within the node budget.
type reader struct {
	source string
	json   bool
	// yaml.v3's alias accounting (see count).
	decodeCount, aliasCount, aliasDepth int
	anchors                             map[*yaml.Node]anchored
	reading                             map[*yaml.Node]bool
}

func (r *reader) errorf(line int, field, format string, args ...any) error {
	return &ConfigError{Source: r.source, Line: line, Field: field, Err: fmt.Errorf(format, args...)}
}

// codecOf says how GOST reads data: as JSON or YAML, and whether the name
// decided it. GOST picks the codec from the file's extension
// (Config.ReadFile) and its API serves JSON; for stdin and other names the
// content decides, and a text that is not JSON is read as YAML.
func codecOf(source string, data []byte) (json, byName bool) {
	switch strings.ToLower(path.Ext(source)) {
	case ".json":
		return true, true
	case ".yaml", ".yml":
		return false, true
	}
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && (t[0] == '{' || t[0] == '['), false
}

// fromAPI reports whether source is a URL, as FetchAPI names it: the API's
// JSON is one line, so its lines say nothing.
func fromAPI(source string) bool {
	return strings.HasPrefix(source, "http://") || strings.HasPrefix(source, "https://")
}

// read parses data into a value tree.
func (r *reader) read(data []byte) (*value, error) {
	source := r.source
	isJSON, byName := codecOf(source, data)
	r.json = isJSON
	if r.json {
		// encoding/json is the codec viper uses for JSON: check the text
		// with it, so what it refuses is refused here too.
		var probe map[string]any
		if err := json.Unmarshal(data, &probe); err != nil {
			if byName || fromAPI(source) {
				return nil, r.jsonError(data, err)
			}
			r.json = false // a YAML flow mapping, such as {authers: [...]}
		}
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &value{kind: kMap}, nil
		}
		return nil, r.yamlError(err)
	}
	// viper's yaml codec (yaml.Unmarshal) reads the first document only.
	root := &doc
	if root.Kind == yaml.DocumentNode {
		if len(root.Content) == 0 {
			return &value{kind: kMap}, nil
		}
		root = root.Content[0]
	}
	r.anchors, r.reading = map[*yaml.Node]anchored{}, map[*yaml.Node]bool{}
	v, err := r.node(root, nil, 0)
	if err != nil {
		return nil, err
	}
	switch v.kind {
	case kNull:
		return &value{kind: kMap, line: v.line}, nil
	case kMap:
		return prune(v), nil
	}
	return nil, r.errorf(v.line, "", "the config must be a mapping of sections (services:, authers:, …), got %s", v.describe())
}

func (r *reader) jsonError(data []byte, err error) error {
	line := 0
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line = 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
	case errors.As(err, &te):
		line = 1 + bytes.Count(data[:min(int(te.Offset), len(data))], []byte("\n"))
		return r.errorf(line, "", "the config must be a JSON object of sections, got %s", te.Value)
	}
	return r.errorf(line, "", "not valid JSON: %s", clip.Text(err.Error(), 200))
}

func (r *reader) yamlError(err error) error {
	msg := err.Error()
	line := 0
	// yaml.v3 says "yaml: line N: …".
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if n, tail, ok := strings.Cut(rest, ":"); ok {
			if l, err := strconv.Atoi(n); err == nil {
				line, msg = l, strings.TrimSpace(tail)
			}
		}
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	return r.errorf(line, "", "not valid YAML: %s", clip.Text(msg, 200))
}

// nodePath is where a node sits, built only when an error needs it: a config
// of a million values would otherwise format a million paths.
type nodePath struct {
	parent *nodePath
	key    string
	index  int // a list item's, when item is set
	item   bool
}

func (p *nodePath) child(k string) *nodePath { return &nodePath{parent: p, key: k} }
func (p *nodePath) at(i int) *nodePath       { return &nodePath{parent: p, index: i, item: true} }

func (p *nodePath) String() string {
	if p == nil {
		return ""
	}
	if p.item {
		return fmt.Sprintf("%s[%d]", p.parent.String(), p.index)
	}
	return join(p.parent.String(), p.key)
}

// count mirrors yaml.v3's guard against alias bombs, which viper's codec
// runs for GOST: once more than 100 of more than 1000 values decoded came
// from alias expansion and their share passes the allowed ratio, the
// document is refused ("document contains excessive aliasing").
func (r *reader) count(n, aliased int, line int, at *nodePath) error {
	r.decodeCount += n
	r.aliasCount += aliased
	switch {
	case r.decodeCount > maxNodes:
		return r.errorf(line, at.String(), "more than %d values (aliases expanded): refusing to read further", maxNodes)
	case r.aliasCount > 100 && r.decodeCount > 1000 && float64(r.aliasCount)/float64(r.decodeCount) > allowedAliasRatio(r.decodeCount):
		return r.errorf(line, at.String(), "document contains excessive aliasing (GOST's YAML decoder refuses it)")
	}
	return nil
}

// allowedAliasRatio is yaml.v3's: 99% of values may come from aliases up
// to 400,000 values, then less, down to 10% at 4,000,000.
func allowedAliasRatio(decodeCount int) float64 {
	const low, high = 400000, 4000000
	switch {
	case decodeCount <= low:
		return 0.99
	case decodeCount >= high:
		return 0.10
	}
	return 0.99 - 0.89*(float64(decodeCount-low)/float64(high-low))
}

// anchored is a node with an anchor, read once: an alias to it reuses the
// value and counts its size, as yaml.v3 decodes it again.
type anchored struct {
	v    *value
	size int
}

func (r *reader) node(n *yaml.Node, at *nodePath, depth int) (*value, error) {
	aliased := 0
	if r.aliasDepth > 0 {
		aliased = 1
	}
	if err := r.count(1, aliased, n.Line, at); err != nil {
		return nil, err
	}
	if depth > maxDepth {
		return nil, r.errorf(n.Line, at.String(), "nested deeper than %d levels", maxDepth)
	}
	if n.Kind == yaml.AliasNode {
		t := n.Alias
		if t == nil {
			return nil, r.errorf(n.Line, at.String(), "unknown alias")
		}
		a, ok := r.anchors[t]
		if !ok {
			if r.reading[t] {
				return nil, r.errorf(n.Line, at.String(), "anchor '%s' value contains itself", clip.Text(n.Value, 60))
			}
			// An alias to a node not read yet (yaml.v3 allows none, but
			// keep reading it as GOST's decoder would).
			r.aliasDepth++
			v, err := r.node(t, at, depth+1)
			r.aliasDepth--
			if err != nil {
				return nil, err
			}
			a = anchored{v: v}
		} else if err := r.count(a.size, a.size, n.Line, at); err != nil {
			return nil, err
		}
		cp := *a.v
		cp.line = n.Line
		return &cp, nil
	}
	if n.Anchor != "" {
		r.reading[n] = true
		before := r.decodeCount
		v, err := r.plain(n, at, depth)
		delete(r.reading, n)
		if err != nil {
			return nil, err
		}
		r.anchors[n] = anchored{v: v, size: r.decodeCount - before + 1}
		return v, nil
	}
	return r.plain(n, at, depth)
}

// plain reads a node that is not an alias.
func (r *reader) plain(n *yaml.Node, at *nodePath, depth int) (*value, error) {
	switch n.Kind {
	case yaml.ScalarNode:
		return r.scalar(n, at)
	case yaml.SequenceNode:
		v := &value{kind: kSeq, line: n.Line, items: make([]*value, 0, len(n.Content))}
		for i, c := range n.Content {
			item, err := r.node(c, at.at(i), depth+1)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		return v, nil
	case yaml.MappingNode:
		return r.mapping(n, at, depth)
	}
	return nil, r.errorf(n.Line, at.String(), "unexpected YAML node")
}

func (r *reader) scalar(n *yaml.Node, at *nodePath) (*value, error) {
	if n.ShortTag() == "!!null" {
		return &value{kind: kNull, line: n.Line}, nil
	}
	var s any
	if r.json {
		// encoding/json gives float64 for every number.
		switch n.ShortTag() {
		case "!!int", "!!float":
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				return nil, r.errorf(n.Line, at.String(), "number %s out of range", clip.Text(n.Value, 40))
			}
			s = f
		case "!!bool":
			s = n.Value == "true"
		default:
			s = n.Value
		}
		return &value{kind: kScalar, line: n.Line, scalar: s}, nil
	}
	if err := n.Decode(&s); err != nil {
		// yaml.v3's message quotes the value, which may be a token.
		return nil, r.errorf(n.Line, at.String(), "the value does not read as its tag %s", clip.Text(n.ShortTag(), 40))
	}
	if s == nil {
		return &value{kind: kNull, line: n.Line}, nil
	}
	return &value{kind: kScalar, line: n.Line, scalar: s}, nil
}

func (r *reader) mapping(n *yaml.Node, at *nodePath, depth int) (*value, error) {
	v := &value{kind: kMap, line: n.Line}
	seen := map[string]int{} // exact key → index in v.keys
	add := func(k *yaml.Node, val *value, merged bool) error {
		key := k.Value
		if i, ok := seen[key]; ok {
			if merged {
				return nil // a key of the mapping itself wins over a merged one
			}
			if !r.json {
				return r.errorf(k.Line, at.child(key).String(), "mapping key %q already defined at line %d", clip.Text(key, 80), v.keys[i].line)
			}
			v.keys[i] = entry{key: key, line: k.Line, val: val} // encoding/json: the last one wins
			return nil
		}
		seen[key] = len(v.keys)
		v.keys = append(v.keys, entry{key: key, line: k.Line, val: val})
		return nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, c := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return nil, r.errorf(k.Line, at.String(), "a mapping key must be a plain value")
		}
		if !r.json && k.ShortTag() == "!!merge" {
			merges = append(merges, c)
			continue
		}
		if err := r.count(1, min(r.aliasDepth, 1), k.Line, at); err != nil { // yaml.v3 decodes the key too
			return nil, err
		}
		val, err := r.node(c, at.child(k.Value), depth+1)
		if err != nil {
			return nil, err
		}
		if err := add(k, val, false); err != nil {
			return nil, err
		}
	}
	for _, m := range merges {
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, s := range srcs {
			mv, err := r.node(s, at, depth+1)
			if err != nil {
				return nil, err
			}
			if mv.kind != kMap {
				return nil, r.errorf(s.Line, at.String(), "map merge requires map or sequence of maps as the value")
			}
			for _, e := range mv.keys {
				if err := add(&yaml.Node{Value: e.key, Line: e.line}, e.val, true); err != nil {
					return nil, err
				}
			}
		}
	}
	return v, nil
}

// prune drops the empty mappings nested in mappings from the top of the
// config down, as viper does: Unmarshal decodes AllSettings, which rebuilds
// the config from its flattened keys, and an empty mapping has none (so
// `api: {auther: {}}` has no auther). Lists are leaves to viper and keep
// everything.
func prune(v *value) *value {
	if v.kind != kMap {
		return v
	}
	out := &value{kind: kMap, line: v.line}
	for _, e := range v.keys {
		if e.val.kind == kMap {
			pv := prune(e.val)
			if len(pv.keys) == 0 {
				continue
			}
			e.val = pv
		}
		out.keys = append(out.keys, e)
	}
	return out
}

func join(field, key string) string {
	key = clip.Text(key, 60)
	if field == "" {
		return key
	}
	return field + "." + key
}

func (v *value) describe() string {
	if v == nil {
		return "nothing"
	}
	switch v.kind {
	case kNull:
		return "null"
	case kMap:
		return "a mapping"
	case kSeq:
		return "a list"
	}
	switch s := v.scalar.(type) {
	case string:
		return fmt.Sprintf("%q", clip.Text(s, 40))
	case bool:
		return fmt.Sprintf("%t", s)
	default:
		return fmt.Sprintf("%v", s)
	}
}

// field finds the value mapstructure would decode into the struct field
// called name: the key equal to it ignoring case (viper lower-cases keys,
// mapstructure then matches with strings.EqualFold). Two keys that both
// match are an error: viper and mapstructure keep one at random.
func (r *reader) field(v *value, path, name string) (*value, error) {
	if v == nil || v.kind != kMap {
		return nil, nil
	}
	var found *entry
	for i := range v.keys {
		e := &v.keys[i]
		if strings.EqualFold(strings.ToLower(e.key), name) {
			if found != nil {
				return nil, r.errorf(e.line, join(path, strings.ToLower(name)),
					"keys %q (line %d) and %q both mean %s: GOST lower-cases keys and keeps one of them at random",
					clip.Text(found.key, 60), found.line, clip.Text(e.key, 60), strings.ToLower(name))
			}
			found = e
		}
	}
	if found == nil || found.val.kind == kNull {
		return nil, nil
	}
	return found.val, nil
}

// keyLine is the line of the key of field name in v, 0 when absent.
func keyLine(v *value, name string) int {
	if v == nil {
		return 0
	}
	for _, e := range v.keys {
		if strings.EqualFold(strings.ToLower(e.key), name) {
			return e.line
		}
	}
	return 0
}

// str decodes v as mapstructure's weakly typed string: numbers and bools
// are formatted, null is empty.
func (r *reader) str(v *value, field string) (string, error) {
	if v == nil {
		return "", nil
	}
	if v.kind != kScalar {
		return "", r.errorf(v.line, field, "want a string, got %s", v.describe())
	}
	switch s := v.scalar.(type) {
	case string:
		return s, nil
	case bool:
		if s {
			return "1", nil
		}
		return "0", nil
	case int:
		return strconv.FormatInt(int64(s), 10), nil
	case int64:
		return strconv.FormatInt(s, 10), nil
	case uint64:
		return strconv.FormatUint(s, 10), nil
	case float64:
		return strconv.FormatFloat(s, 'f', -1, 64), nil
	}
	return "", r.errorf(v.line, field, "want a string, got %s", v.describe())
}

// boolean decodes v as mapstructure's weakly typed bool.
func (r *reader) boolean(v *value, field string) (bool, error) {
	if v == nil {
		return false, nil
	}
	if v.kind != kScalar {
		return false, r.errorf(v.line, field, "want true or false, got %s", v.describe())
	}
	switch s := v.scalar.(type) {
	case bool:
		return s, nil
	case int:
		return s != 0, nil
	case int64:
		return s != 0, nil
	case uint64:
		return s != 0, nil
	case float64:
		return s != 0, nil
	case string:
		if s == "" {
			return false, nil
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return false, r.errorf(v.line, field, "want true or false, got %s", v.describe())
		}
		return b, nil
	}
	return false, r.errorf(v.line, field, "want true or false, got %s", v.describe())
}

// duration decodes v as GOST's decode hook and mapstructure do: a string
// goes through time.ParseDuration ("10s"; "10" has no unit and fails), a
// number is nanoseconds (a fraction is cut), a bool is 1ns or 0.
func (r *reader) duration(v *value, field string) (time.Duration, error) {
	if v == nil {
		return 0, nil
	}
	if v.kind != kScalar {
		return 0, r.errorf(v.line, field, "want a duration such as 10s, got %s", v.describe())
	}
	switch s := v.scalar.(type) {
	case string:
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, r.errorf(v.line, field, "want a duration such as 10s, got %s (GOST refuses the config)", v.describe())
		}
		return d, nil
	case bool:
		if s {
			return 1, nil
		}
		return 0, nil
	case int:
		return time.Duration(s), nil
	case int64:
		return time.Duration(s), nil
	case uint64:
		return time.Duration(int64(s)), nil
	case float64:
		return time.Duration(floatToInt64(s)), nil
	}
	return 0, r.errorf(v.line, field, "want a duration such as 10s, got %s", v.describe())
}

// floatToInt64 is Go's int64(f) conversion made defined for every input,
// as it is on amd64 for the values a config holds.
func floatToInt64(f float64) int64 {
	if math.IsNaN(f) || f >= math.MaxInt64 || f < math.MinInt64 {
		return math.MinInt64
	}
	return int64(f)
}

// list decodes v as mapstructure's weakly typed slice: a list stays a
// list, an empty mapping is an empty list, and any other value becomes a
// list of one.
func list(v *value) []*value {
	switch {
	case v == nil:
		return nil
	case v.kind == kSeq:
		return v.items
	case v.kind == kMap && len(v.keys) == 0:
		return nil
	}
	return []*value{v}
}

// strs decodes v as a []string.
func (r *reader) strs(v *value, field string) ([]string, error) {
	var out []string
	for i, it := range list(v) {
		if it.kind == kNull {
			out = append(out, "")
			continue
		}
		s, err := r.str(it, fmt.Sprintf("%s[%d]", field, i))
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// object checks that v decodes into a struct: a mapping or nothing.
func (r *reader) object(v *value, field string) (*value, error) {
	if v == nil || v.kind == kMap {
		return v, nil
	}
	return nil, r.errorf(v.line, field, "want a mapping, got %s", v.describe())
}
