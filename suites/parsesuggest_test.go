package suites

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSuggest(t *testing.T) {
	fields := []string{"name", "module", "description", "transports", "checks", "cases"}
	tests := []struct {
		word, want string
	}{
		{"kases", "cases"},
		{"modul", "module"},
		{"Module", "module"},
		{"descripton", "description"},
		{"transport", "transports"},
		{"zzz", ""},
		{"x", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			assert.Equal(t, tt.want, Suggest(tt.word, fields))
		})
	}
}

func TestParseModuleSuggests(t *testing.T) {
	_, err := ParseModule("autth")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unknown module "autth": did you mean "auth"?`)
	_, err = ParseModule("qqqqqq")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "did you mean")
	m, err := ParseModule("bypass")
	require.NoError(t, err)
	assert.Equal(t, "bypass", string(m))
}

func TestParseFixtureModuleSuggests(t *testing.T) {
	_, err := ParseBytes("f.yaml", []byte("name: A\nmodule: autth\ncases: []\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `f.yaml:2: module: `)
	assert.Contains(t, err.Error(), `unknown module "autth": did you mean "auth"?`)
}

// FuzzSuggest checks the edit distance's metric properties and that a
// suggestion is always one of the candidates and within the limit.
func FuzzSuggest(f *testing.F) {
	f.Add("kases", "cases")
	f.Add("", "module")
	f.Add("transports", "transport")
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 64 || len(b) > 64 {
			return
		}
		d := editDistance(a, b)
		assert.Equal(t, d, editDistance(b, a))
		assert.LessOrEqual(t, d, max(len(a), len(b)))
		assert.GreaterOrEqual(t, d, max(len(a), len(b))-min(len(a), len(b)))
		assert.Equal(t, d == 0, a == b)
		if s := Suggest(a, []string{b, "name"}); s != "" {
			assert.Contains(t, []string{b, "name"}, s)
		}
	})
}
