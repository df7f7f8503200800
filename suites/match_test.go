package suites

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFilterSelected(t *testing.T) {
	t.Parallel()
	const id = "auth-request-shapes/grpc/http-proxy-basic"
	tests := []struct {
		name   string
		filter Filter
		want   bool
	}{
		{name: "no patterns", filter: Filter{}, want: true},
		{name: "exact", filter: Filter{Run: []string{id}}, want: true},
		{name: "case name only", filter: Filter{Run: []string{"http-proxy-*"}}, want: true},
		{name: "star component", filter: Filter{Run: []string{"auth-request-shapes/*/http-proxy-basic"}}, want: true},
		{name: "double star", filter: Filter{Run: []string{"**/http-proxy-basic"}}, want: true},
		{name: "suite prefix with double star", filter: Filter{Run: []string{"auth-request-shapes/**"}}, want: true},
		{name: "transport only", filter: Filter{Run: []string{"*/http/*"}}, want: false},
		{name: "star does not span components", filter: Filter{Run: []string{"auth-*"}}, want: false},
		{name: "skip wins", filter: Filter{Run: []string{"**"}, Skip: []string{"*/grpc/**"}}, want: false},
		{name: "skip unrelated", filter: Filter{Skip: []string{"other/**"}}, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.want, tt.filter.Selected(id))
		})
	}
}

func TestFilterValidate(t *testing.T) {
	t.Parallel()
	assert.NoError(t, Filter{Run: []string{"a/**/b*"}}.Validate())
	err := Filter{Skip: []string{"a/[b"}}.Validate()
	var pe *PatternError
	assert.ErrorAs(t, err, &pe)
	assert.Equal(t, "a/[b", pe.Pattern)
}
