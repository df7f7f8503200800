package load

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorCode(t *testing.T) {
	tests := []struct{ label, want string }{
		{"grpc Unavailable", "unavailable"},
		{"grpc DeadlineExceeded", "deadline_exceeded"},
		{"grpc Code(99)", "other"},
		{"http 503", "http_status_5xx"},
		{"http 404", "http_status_4xx"},
		{"http 9999", "other"},
		{"http abc", "other"},
		{"timeout (plugincheck's --call-timeout)", "timeout"},
		{"transport failure", "transport_error"},
		{"decode failure", "decode_error"},
		{"request failure", "request_error"},
		{"decode", "decode_error"},
		{"status", "status_error"},
		{"not-delivered", "not_delivered"},
		{OtherLabel, "other"},
		{"token s3cr3t rejected", "other"},
		{"", "other"},
	}
	for _, tt := range tests {
		t.Run(tt.label, func(t *testing.T) {
			assert.Equal(t, tt.want, ErrorCode(tt.label))
		})
	}
}

func TestCountsJSONShape(t *testing.T) {
	c := Counts{
		Requests: 10, Errors: 3, Failures: 2,
		ErrorsBy:   KindCounts{"grpc Unavailable": 2, "timeout (plugincheck's --call-timeout)": 1},
		FailuresBy: KindCounts{"http 500": 2},
		Verdicts:   VerdictCounts{`{"ok":true}`: 4, `{"id":"a","ok":false}`: 4, `{"ok":false}`: 2, OtherLabel: 1, `{"cut":"ab…`: 1},
		Cases:      []CaseCounts{{Calls: 10, ChangedTo: VerdictCounts{`{"ok":false}`: 3}}},
	}
	b, err := json.Marshal(&c)
	require.NoError(t, err)
	var raw map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(b, &raw))
	assert.JSONEq(t, `[
		{"code":"unavailable","message":"grpc Unavailable","count":2},
		{"code":"timeout","message":"timeout (plugincheck's --call-timeout)","count":1}]`, string(raw["errorsBy"]))
	assert.JSONEq(t, `[{"code":"http_status_5xx","message":"http 500","count":2}]`, string(raw["gostFailuresBy"]))
	// Count descending, then the verdict's JSON; labels that are not
	// JSON are kept as labels.
	assert.Equal(t, `[{"verdict":{"id":"a","ok":false},"count":4},{"verdict":{"ok":true},"count":4},{"verdict":{"ok":false},"count":2},{"label":"(other)","count":1},{"label":"{\"cut\":\"ab…","count":1}]`,
		string(raw["verdicts"]))
	assert.Contains(t, string(raw["cases"]), `"changedTo":[{"verdict":{"ok":false},"count":3}]`)

	var back Counts
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, c, back, "the arrays read back as the maps they came from")
}

func TestVerdictCountsReadAddsEqualVerdicts(t *testing.T) {
	var v VerdictCounts
	// The same verdict written with other spacing is one verdict.
	require.NoError(t, json.Unmarshal([]byte(`[{"verdict":{"ok":true},"count":2},{"verdict":{ "ok" : true },"count":3}]`), &v))
	assert.Equal(t, VerdictCounts{`{"ok":true}`: 5}, v)

	var k KindCounts
	require.Error(t, json.Unmarshal([]byte(`{"grpc Unavailable":2}`), &k), "the old object shape is refused")
}

func TestMergeAddsEqualVerdicts(t *testing.T) {
	a := Counts{Verdicts: VerdictCounts{`{"ok":true}`: 2}, ErrorsBy: KindCounts{"http 500": 1}}
	b := Counts{Verdicts: VerdictCounts{`{"ok":true}`: 3, `{"ok":false}`: 1}, ErrorsBy: KindCounts{"http 500": 4}}
	a.Add(&b)
	assert.Equal(t, VerdictCounts{`{"ok":true}`: 5, `{"ok":false}`: 1}, a.Verdicts)
	assert.Equal(t, KindCounts{"http 500": 5}, a.ErrorsBy)
}

// TestCountsJSONNotHTMLEscaped keeps "<redacted>" greppable in the arrays,
// as in the rest of the result.
func TestCountsJSONNotHTMLEscaped(t *testing.T) {
	r := &Result{Counts: Counts{
		Verdicts: VerdictCounts{`{"id":"<redacted>"}`: 1},
		ErrorsBy: KindCounts{"token <redacted> & more": 1},
	}}
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, r))
	assert.Contains(t, buf.String(), `"verdict": {`)
	assert.Contains(t, buf.String(), `"id": "<redacted>"`)
	assert.Contains(t, buf.String(), `"message": "token <redacted> & more"`)
}
