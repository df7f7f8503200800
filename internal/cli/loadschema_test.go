package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
)

// TestLoadJSONMatchesSchema validates what `plugincheck load -o json`
// writes for a real short run, and what merge writes of two of them,
// against docs/load.schema.json, with a full JSON Schema validator (see
// internal/load's schema test for why that library).
func TestLoadJSONMatchesSchema(t *testing.T) {
	t.Parallel()
	f, err := os.Open("../../docs/load.schema.json")
	require.NoError(t, err)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	require.NoError(t, c.AddResource("load.schema.json", doc))
	sch, err := c.Compile("load.schema.json")
	require.NoError(t, err)

	validate := func(t *testing.T, name string) []byte {
		t.Helper()
		data, err := os.ReadFile(name)
		require.NoError(t, err)
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		require.NoError(t, err)
		assert.NoError(t, sch.Validate(v), "%s", data)
		return data
	}

	srv := refServer(t, "tok", nil)
	dir := t.TempDir()
	var outs []string
	for i, addr := range []string{srv.GRPCAddr(), srv.GRPCAddr()} {
		out := filepath.Join(dir, "run"+string(rune('a'+i))+".json")
		ios, _, _, errOut := iostreams.Test()
		code := Main(t.Context(), []string{"load", "auth", "--addr", addr, "--token", "tok", "-n", "200", "-c", "2",
			"--max-error-rate", "0", "-o", "json=" + out}, ios)
		require.Equal(t, ExitOK, code, errOut.String())
		data := validate(t, out)
		assert.Contains(t, string(data), `"schema": "plugincheck.load/v1"`)
		assert.Contains(t, string(data), `"verdict": {`)
		assert.NotContains(t, string(data), "tok\"", "the token is redacted")
		outs = append(outs, out)
	}
	merged := filepath.Join(dir, "merged.json")
	ios, _, _, errOut := iostreams.Test()
	code := Main(t.Context(), append([]string{"merge", "--allow-gaps", "-o", "json=" + merged}, outs...), ios)
	require.Equal(t, ExitOK, code, errOut.String())
	validate(t, merged)
}
