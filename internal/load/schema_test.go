package load

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	// A full JSON Schema 2020-12 validator, where report's schema test
	// walks a hand-picked subset: this one also checks additionalProperties,
	// oneOf, minimum/maximum, pattern and format, so the published schema
	// cannot drift on a keyword no hand-written checker looked at.
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const loadSchemaFile = "../../docs/load.schema.json"

// compileLoadSchema compiles docs/load.schema.json, asserting formats.
func compileLoadSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(loadSchemaFile)
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource("load.schema.json", doc))
	sch, err := c.Compile("load.schema.json")
	require.NoError(t, err)
	return sch
}

// validateResult marshals r as -o json writes it and validates it.
func validateResult(t *testing.T, sch *jsonschema.Schema, r *Result) any {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, r))
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	require.NoError(t, sch.Validate(doc), "%s", buf.String())
	return doc
}

// usedProperties adds to seen the schema pointers of the properties doc
// uses, following $ref, properties and items.
func usedProperties(schema map[string]any, ptr string, node map[string]any, doc any, seen map[string]bool) {
	if ref, ok := node["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		def, _ := schema["$defs"].(map[string]any)[name].(map[string]any)
		ptr, node = "#/$defs/"+name, def
	}
	switch v := doc.(type) {
	case map[string]any:
		props, _ := node["properties"].(map[string]any)
		for k, x := range v {
			if p, ok := props[k].(map[string]any); ok {
				seen[ptr+"/properties/"+k] = true
				usedProperties(schema, ptr+"/properties/"+k, p, x, seen)
			}
		}
	case []any:
		if items, ok := node["items"].(map[string]any); ok {
			for _, x := range v {
				usedProperties(schema, ptr+"/items", items, x, seen)
			}
		}
	}
}

// declaredProperties lists the pointers of every property the schema
// declares.
func declaredProperties(schema map[string]any) []string {
	var out []string
	var walk func(ptr string, node map[string]any)
	walk = func(ptr string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for k, p := range props {
			out = append(out, ptr+"/properties/"+k)
			walk(ptr+"/properties/"+k, p.(map[string]any))
		}
		if items, ok := node["items"].(map[string]any); ok {
			walk(ptr+"/items", items)
		}
	}
	walk("#", schema)
	for name, d := range schema["$defs"].(map[string]any) {
		walk("#/$defs/"+name, d.(map[string]any))
	}
	slices.Sort(out)
	return out
}

// fullResult is a result with every property of the schema set.
func fullResult(t *testing.T) *Result {
	m, _ := synthetic(0, 300, t0, t0.Add(time.Second))
	m.Errors, m.Failures, m.Changed, m.Late, m.Warmup, m.Abandoned, m.Clamped = 3, 2, 1, 4, 5, 1, 1
	m.ErrorsBy = KindCounts{"grpc Unavailable": 2, "timeout (plugincheck's --call-timeout)": 1}
	m.FailuresBy = KindCounts{"not-delivered": 2}
	m.FailureTexts = map[string]string{"not-delivered": "GOST drops the event"}
	m.Verdicts = VerdictCounts{`{"ok":true}`: 290, `{"ok":false}`: 9, OtherLabel: 1}
	m.Cases = []CaseCounts{{Calls: 300, Errors: 3, Failures: 2, Changed: 1, ChangedTo: VerdictCounts{`{"ok":false}`: 1}}}
	m.Stop = ReasonDuration
	info := Info{Module: "auth", Transport: "grpc", Target: "127.0.0.1:8000", Mode: "open", TargetRPS: 300,
		Concurrency: 8, AutoConcurrency: true, Connections: 1, Duration: Duration(time.Second), RequestLimit: 1000,
		WarmupTime: Duration(time.Second), Machines: 1,
		Mix: []CaseInfo{{ID: "s/grpc/a", Weight: 1, Baseline: `{"ok":true}`}}}
	r, err := NewResult(info, m)
	require.NoError(t, err)
	r.Tool = &Tool{Name: "plugincheck", Version: "v1.2.3", GOST: "v3.2.6", Plugin: "v0.5.0"}
	r.SuggestedConcurrency = 16
	r.MaxInFlight = 8
	limit := 0.0
	Thresholds{MaxP99: time.Millisecond, MaxErrorRate: &limit, MinRPS: 1}.Check(r)
	r.Notes = []string{"a note"}
	fillTimeline(t, r)
	return r
}

// fillTimeline sets the timeline of r when Result has one (the HTML
// report's change adds it), through JSON so this file compiles either way.
func fillTimeline(t *testing.T, r *Result) {
	if _, ok := reflect.TypeOf(*r).FieldByName("Timeline"); !ok {
		return
	}
	require.NoError(t, json.Unmarshal([]byte(`{"timeline":[{"atMs":1000,"calls":300,"errors":3,"gostFailures":2}]}`), r))
}

func TestLoadSchemaFullResult(t *testing.T) {
	t.Parallel()
	sch := compileLoadSchema(t)
	b, err := os.ReadFile(loadSchemaFile)
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(b, &schema))
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", schema["$schema"])
	assert.Equal(t, SchemaVersion, schema["properties"].(map[string]any)["schema"].(map[string]any)["const"])

	doc := validateResult(t, sch, fullResult(t))
	seen := map[string]bool{}
	usedProperties(schema, "#", schema, doc, seen)
	_, hasTimeline := reflect.TypeOf(Result{}).FieldByName("Timeline")
	var unused []string
	for _, p := range declaredProperties(schema) {
		if !seen[p] && (hasTimeline || !strings.Contains(p, "imeline")) {
			unused = append(unused, p)
		}
	}
	assert.Empty(t, unused, "schema properties the fully populated result never emits")
}

func TestLoadSchemaMergedAndEmpty(t *testing.T) {
	t.Parallel()
	sch := compileLoadSchema(t)
	a, b := fullResult(t), fullResult(t)
	merged, err := Merge(a, b)
	require.NoError(t, err)
	validateResult(t, sch, merged)

	// As merge builds a result from HDR histogram logs alone.
	empty, err := NewResult(Info{Mode: "open", Machines: 1, Target: "(histogram logs)"}, NewMetrics())
	require.NoError(t, err)
	validateResult(t, sch, empty)
}

// TestLoadSchemaRefuses checks that the schema is no rubber stamp: the old
// shapes and unknown properties fail.
func TestLoadSchemaRefuses(t *testing.T) {
	t.Parallel()
	sch := compileLoadSchema(t)
	var good map[string]any
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, fullResult(t)))
	require.NoError(t, json.Unmarshal(buf.Bytes(), &good))
	tests := []struct {
		name string
		set  func(m map[string]any)
	}{
		{"old schema name", func(m map[string]any) { m["schema"] = "plugincheck-load/1" }},
		{"tool as a string", func(m map[string]any) { m["tool"] = "plugincheck dev" }},
		{"verdicts keyed by JSON", func(m map[string]any) { m["verdicts"] = map[string]any{`{"ok":true}`: 3} }},
		{"errors keyed by prose", func(m map[string]any) { m["errorsBy"] = map[string]any{"grpc Unavailable": 3} }},
		{"code not snake case", func(m map[string]any) {
			m["errorsBy"] = []any{map[string]any{"code": "Unavailable", "message": "x", "count": 1}}
		}},
		{"unknown property", func(m map[string]any) { m["surprise"] = true }},
		{"rate above 1", func(m map[string]any) { m["errorRate"] = 1.5 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m map[string]any
			require.NoError(t, json.Unmarshal(buf.Bytes(), &m))
			tt.set(m)
			b, err := json.Marshal(m)
			require.NoError(t, err)
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
			require.NoError(t, err)
			assert.Error(t, sch.Validate(doc), fmt.Sprint(tt.name))
		})
	}
}

// TestLoadSchemaDoc keeps docs/load-schema.md in step with the schema:
// every property is mentioned there in backquotes.
func TestLoadSchemaDoc(t *testing.T) {
	t.Parallel()
	md, err := os.ReadFile("../../docs/load-schema.md")
	require.NoError(t, err)
	b, err := os.ReadFile(loadSchemaFile)
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(b, &schema))
	for _, p := range declaredProperties(schema) {
		name := p[strings.LastIndex(p, "/")+1:]
		assert.True(t, strings.Contains(string(md), "`"+name+"`"), "docs/load-schema.md does not describe %s", p)
	}
	assert.Contains(t, string(md), SchemaVersion)
	for _, code := range ErrorCodes {
		if !strings.HasPrefix(code, "http_status_") || code == "http_status_5xx" || code == "http_status_4xx" {
			assert.True(t, strings.Contains(string(md), "`"+code+"`"), "docs/load-schema.md does not list code %s", code)
		}
	}
}
