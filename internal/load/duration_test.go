package load

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDuration pins the JSON and text forms of a duration, which merge
// reads back and which must stay those of plugincheck's reports.
func TestDuration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		d        time.Duration
		wantJSON string
		wantText string
	}{
		{name: "zero", d: 0, wantJSON: "0", wantText: "0s"},
		{name: "microseconds", d: 1500 * time.Nanosecond, wantJSON: "0.002", wantText: "2µs"},
		{name: "milliseconds", d: 12345678 * time.Nanosecond, wantJSON: "12.346", wantText: "12.35ms"},
		{name: "seconds", d: 1500*time.Millisecond + 400*time.Microsecond, wantJSON: "1500.4", wantText: "1.5s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := json.Marshal(Duration(tt.d))
			require.NoError(t, err)
			assert.Equal(t, tt.wantJSON, string(b))
			assert.Equal(t, tt.wantText, Duration(tt.d).String())
			var back Duration
			require.NoError(t, json.Unmarshal(b, &back))
			assert.InDelta(t, float64(tt.d), float64(back), float64(time.Microsecond))
		})
	}
	var d Duration
	assert.ErrorContains(t, json.Unmarshal([]byte(`"1s"`), &d), "duration: ")
}
