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
