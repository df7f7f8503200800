package load

import (
	"bytes"
	"encoding/json"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResultCorrectsStalls is the load command's stall scenario on the
// bubble's fake clock: 40 calls/s, one caller, 60 requests, every 10th
// call stalling 200 ms. The result, read back from its JSON as merge and
// the CLI's tests read it, carries the corrected and uncorrected latencies
// exactly; no real time passes, so a loaded machine changes nothing.
//
// Each stall (calls 10, 20, …, 60) holds back the next eight slots, 25 ms
// apart, which then start 175, 151, …, 7 ms late and take 1 ms: five
// such runs of eight (the last stall ends the run). Corrected, sorted: 14
// calls of 1 ms, five each of 8, 32, 56, 80, 104, 128, 152 and 176 ms, six
// of 200 ms, so p50 (the 30th) is 80 ms and the mean 4894/60 ms.
// Uncorrected: 54 calls of 1 ms and six of 200 ms.
func TestResultCorrectsStalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		ivs, err := Run(t.Context(), stallEvery10th(&calls), ConstantPacer{Rate: 40},
			WithConcurrency(1), WithRequests(60), WithCases(1), WithGoTimers())
		require.NoError(t, err)
		m, _ := drain(t, ivs)
		res, err := NewResult(Info{Mode: "open", TargetRPS: 40, Concurrency: 1, RequestLimit: 60}, m)
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, WriteJSON(&buf, res))
		var got Result
		require.NoError(t, json.Unmarshal(buf.Bytes(), &got))

		assert.EqualValues(t, 60, got.Requests)
		assert.Equal(t, ReasonRequests, got.Stop)
		assert.EqualValues(t, 40, got.Late, "eight late starts after each of five stalls")
		assert.Equal(t, 175*time.Millisecond, time.Duration(got.MaxLag))
		c, u := got.Latency.Corrected, got.Latency.Uncorrected
		tests := []struct {
			name   string
			got    Duration
			wantMS float64
		}{
			{name: "uncorrected p50", got: u.P50, wantMS: 1},
			{name: "uncorrected p90", got: u.P90, wantMS: 1},
			{name: "uncorrected p99", got: u.P99, wantMS: 200},
			{name: "uncorrected max", got: u.Max, wantMS: 200},
			{name: "uncorrected mean", got: u.Mean, wantMS: 1254.0 / 60},
			{name: "corrected p50", got: c.P50, wantMS: 80},
			{name: "corrected p90", got: c.P90, wantMS: 176},
			{name: "corrected max", got: c.Max, wantMS: 200},
			{name: "corrected mean", got: c.Mean, wantMS: 4894.0 / 60},
		}
		for _, tt := range tests {
			// HDR histograms keep three significant digits.
			assert.InDelta(t, tt.wantMS, ms(time.Duration(tt.got)), tt.wantMS/500+0.001, tt.name)
		}
	})
}
