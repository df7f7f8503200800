package report_test

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

// schemaChecker walks a decoded JSON document alongside the subset of JSON
// Schema docs/report.schema.json uses ($ref, type, const, enum, required,
// properties, items, format date-time). It is no general validator; it
// keeps the published schema honest without a dependency.
type schemaChecker struct {
	t    *testing.T
	defs map[string]any
	// seen holds the schema properties the document used, as pointers.
	seen map[string]bool
}

func (c *schemaChecker) walk(ptr string, node map[string]any, v any, path string) {
	t := c.t
	if ref, ok := node["$ref"].(string); ok {
		name, found := strings.CutPrefix(ref, "#/$defs/")
		require.True(t, found, "%s: unsupported $ref %q", ptr, ref)
		def, ok := c.defs[name].(map[string]any)
		require.True(t, ok, "%s: $ref %q has no definition", ptr, ref)
		ptr, node = "#/$defs/"+name, def
	}
	if want, ok := node["const"]; ok {
		assert.Equal(t, want, v, "%s: const", path)
	}
	if enum, ok := node["enum"].([]any); ok {
		assert.Contains(t, enum, v, "%s: not in enum", path)
	}
	if typ, ok := node["type"]; ok {
		var types []string
		switch typ := typ.(type) {
		case string:
			types = []string{typ}
		case []any:
			for _, x := range typ {
				types = append(types, x.(string))
			}
		}
		got := jsonType(v)
		ok := slices.Contains(types, got) || got == "integer" && slices.Contains(types, "number")
		assert.True(t, ok, "%s: type %s; want %v", path, got, types)
	}
	if node["format"] == "date-time" {
		s, _ := v.(string)
		_, err := time.Parse(time.RFC3339Nano, s)
		assert.NoError(t, err, "%s: date-time", path)
	}
	switch v := v.(type) {
	case map[string]any:
		props, hasProps := node["properties"].(map[string]any)
		if req, ok := node["required"].([]any); ok {
			for _, k := range req {
				assert.Contains(t, v, k, "%s: required property missing", path)
			}
		}
		if !hasProps {
			return // free-form object, such as expected
		}
		for k, x := range v {
			prop, ok := props[k].(map[string]any)
			if !assert.True(t, ok, "%s.%s is emitted but not in docs/report.schema.json", path, k) {
				continue
			}
			p := ptr + "/properties/" + k
			c.seen[p] = true
			c.walk(p, prop, x, path+"."+k)
		}
	case []any:
		items, ok := node["items"].(map[string]any)
		if !ok {
			return
		}
		for i, x := range v {
			c.walk(ptr+"/items", items, x, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}

func jsonType(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if v == math.Trunc(v) {
			return "integer"
		}
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

// declared lists every property the schema declares, as pointers.
func declared(root map[string]any) map[string]string {
	out := map[string]string{}
	add := func(ptr string, node map[string]any) {
		props, _ := node["properties"].(map[string]any)
		for k := range props {
			out[ptr+"/properties/"+k] = k
		}
	}
	add("#", root)
	defs, _ := root["$defs"].(map[string]any)
	for name, d := range defs {
		add("#/$defs/"+name, d.(map[string]any))
	}
	return out
}

func loadSchema(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile("../docs/report.schema.json")
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, json.Unmarshal(b, &schema))
	return schema
}

// TestJSONSchema checks both directions: every key the JSON renderer emits
// for a fully populated report is described in docs/report.schema.json, and
// every property the schema describes is emitted (so the fixture stays
// complete and the schema has no stale fields).
func TestJSONSchema(t *testing.T) {
	t.Parallel()
	schema := loadSchema(t)
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", schema["$schema"])

	defs, _ := schema["$defs"].(map[string]any)
	c := &schemaChecker{t: t, defs: defs, seen: map[string]bool{}}
	// A module run's report, and a deployment's (plugincheck config),
	// which adds the fields the module runs leave out.
	for _, r := range []*report.Report{fixtureReport(), deploymentReport()} {
		var doc any
		require.NoError(t, json.Unmarshal(render(t, report.JSON, r), &doc))
		c.walk("#", schema, doc, "$")
	}

	var unused []string
	for ptr := range declared(schema) {
		if !c.seen[ptr] {
			unused = append(unused, ptr)
		}
	}
	slices.Sort(unused)
	assert.Empty(t, unused, "schema properties the fully populated fixture never emits")
}

func TestJSONSchemaVersion(t *testing.T) {
	t.Parallel()
	props, _ := loadSchema(t)["properties"].(map[string]any)
	schemaProp, _ := props["schema"].(map[string]any)
	assert.Equal(t, report.SchemaVersion, schemaProp["const"], "docs/report.schema.json is for another SchemaVersion")
}

// TestJSONSchemaDoc keeps docs/report-schema.md in step with the schema:
// every property is mentioned there in backquotes.
func TestJSONSchemaDoc(t *testing.T) {
	t.Parallel()
	md, err := os.ReadFile("../docs/report-schema.md")
	require.NoError(t, err)
	names := map[string]bool{}
	for _, k := range declared(loadSchema(t)) {
		names[k] = true
	}
	for k := range names {
		assert.True(t, strings.Contains(string(md), "`"+k+"`"), "docs/report-schema.md does not describe %q", k)
	}
	assert.Contains(t, string(md), report.SchemaVersion)
}
