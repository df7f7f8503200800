package suites

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

func TestFilterSkippedBy(t *testing.T) {
	t.Parallel()
	const id = "policy/grpc/accepts"
	tests := []struct {
		name    string
		filter  Filter
		want    string
		skipped bool
	}{
		{name: "no patterns", filter: Filter{}},
		{name: "skip by name", filter: Filter{Skip: []string{"acc*"}}, want: "acc*", skipped: true},
		{name: "first matching pattern", filter: Filter{Skip: []string{"nope", "policy/**", "accepts"}}, want: "policy/**", skipped: true},
		{name: "skip that does not match", filter: Filter{Skip: []string{"rejects"}}},
		{name: "not selected by --run is not listed", filter: Filter{Run: []string{"other"}, Skip: []string{"accepts"}}},
		{name: "selected by --run then skipped", filter: Filter{Run: []string{"policy/**"}, Skip: []string{"accepts"}}, want: "accepts", skipped: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := tt.filter.SkippedBy(id)
			assert.Equal(t, tt.skipped, ok)
			assert.Equal(t, tt.want, got)
			if tt.skipped {
				assert.False(t, tt.filter.Selected(id))
			}
		})
	}
}

// TestRunListsSkipped checks that --skip keeps the case in the report as
// skipped with the pattern as reason, does not run it, and that a run
// --skip empties entirely still says no case matched.
func TestRunListsSkipped(t *testing.T) {
	t.Parallel()
	c := authPlugin(t, mockclient.Config{}, gostPolicy)
	run, err := Run(t.Context(), c, mockclient.Auth, mustParse(t, policySuite), RunOptions{Filter: Filter{Skip: []string{"wrong-*", "warns"}}})
	require.NoError(t, err)
	require.Len(t, run.Cases, 4, "skipped cases stay listed")
	for name, reason := range map[string]string{"wrong-expectation": "--skip wrong-*", "warns": "--skip warns"} {
		cs := caseByName(t, run, name)
		assert.Equal(t, report.Skip, cs.Status, name)
		assert.Equal(t, reason, cs.SkipReason, name)
		assert.Empty(t, cs.Steps, "a skipped case makes no call")
		assert.Positive(t, cs.Line, "the fixture line is kept for reports")
	}
	assert.Equal(t, report.Pass, caseByName(t, run, "accepts").Status)

	_, err = Run(t.Context(), c, mockclient.Auth, mustParse(t, policySuite), RunOptions{Filter: Filter{Skip: []string{"**"}}})
	assert.ErrorIs(t, err, ErrNoMatch, "a run --skip empties has nothing to execute")
}
