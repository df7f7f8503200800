package load

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResultRedact(t *testing.T) {
	t.Parallel()
	const token = "s3cr3t"
	r := &Result{
		Info: Info{Target: "http://127.0.0.1:1/?t=" + token, Mix: []CaseInfo{{ID: "a", Baseline: `{"id":"s3cr3t"}`}}},
		Counts: Counts{
			Requests:     4,
			ErrorsBy:     map[string]int64{"http 500": 1},
			FailuresBy:   map[string]int64{"token s3cr3t rejected": 1},
			FailureTexts: map[string]string{"token s3cr3t rejected": "Bearer s3cr3t was refused"},
			Verdicts:     map[string]int64{`{"id":"s3cr3t"}`: 2, `{"id":"<redacted>"}`: 1},
			Cases:        []CaseCounts{{ChangedTo: map[string]int64{`{"id":"s3cr3t"}`: 1}}},
		},
		Gates: []Gate{{Name: "max-error-rate", Cause: "most often: token s3cr3t rejected"}},
		Notes: []string{"s3cr3t"},
	}
	r.Redact(func(s string) string { return strings.ReplaceAll(s, token, "<redacted>") })
	assert.Equal(t, int64(3), r.Verdicts[`{"id":"<redacted>"}`], "labels that become the same add up")
	for format, render := range map[string]func(io.Writer, *Result) error{"text": WriteText, "json": WriteJSON} {
		var out bytes.Buffer
		require.NoError(t, render(&out, r))
		assert.NotContains(t, out.String(), token, format)
		assert.Contains(t, out.String(), "<redacted>", format)
	}
}
