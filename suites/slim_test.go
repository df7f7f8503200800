package suites

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDigestLong(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 1<<20)
	tests := []struct {
		name      string
		a, b      any
		wantEqual bool
	}{
		{name: "short strings stay", a: map[string]any{"id": "x"}, b: map[string]any{"id": "x"}, wantEqual: true},
		{name: "equal long strings stay equal", a: map[string]any{"id": long}, b: map[string]any{"id": long}, wantEqual: true},
		{name: "a difference past the kept start is seen", a: map[string]any{"id": long + "1"}, b: map[string]any{"id": long + "2"}},
		{name: "long strings in lists", a: []any{long}, b: []any{long + "!"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			da, db := digestLong(tt.a), digestLong(tt.b)
			assert.Equal(t, tt.wantEqual, len(diff("", da, db)) == 0)
			assert.Less(t, len(compactJSON(da)), 2*maxCompared, "digested values are small")
			assert.Equal(t, da, digestLong(da), "idempotent")
		})
	}
}
