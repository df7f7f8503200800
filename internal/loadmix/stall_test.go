package loadmix

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// roundTrip is an HTTP plugin in memory: no socket, so the whole call runs
// on a synctest bubble's clock.
type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestMixCorrectsStalls runs what `plugincheck load auth --rate 40
// --requests 60 -c 1` runs, mix and engine, against an HTTP auth plugin
// whose every 10th call stalls 200 ms, on the bubble's fake clock. The
// load engine's test (TestResultCorrectsStalls) works out the figures;
// here they must come out the same through mockclient and the mix, with
// every call a usable reply and its verdict unchanged.
func TestMixCorrectsStalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		plugin := roundTrip(func(r *http.Request) (*http.Response, error) {
			d := time.Millisecond
			if calls.Add(1)%10 == 0 {
				d = 200 * time.Millisecond
			}
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
			return &http.Response{
				StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
				Body: io.NopCloser(strings.NewReader(`{"ok":true,"id":"gost"}`)), Request: r,
			}, nil
		})
		cl, err := mockclient.NewHTTP(&http.Client{Transport: plugin}, mockclient.Config{Addr: "http://plugin.test/auth", Module: mockclient.Auth, CallTimeout: 10 * time.Second})
		require.NoError(t, err)
		op, err := mockclient.LookupOperation(mockclient.Auth, "")
		require.NoError(t, err)
		req := &mockclient.AuthRequest{Username: "gost", Password: "gost", Client: "127.0.0.1:1"}
		c, err := New([]suites.MixCase{{ID: "auth/ok", Weight: 1, Stable: true, Step: &suites.Step{Op: op, Request: req}}}, []*mockclient.Client{cl})
		require.NoError(t, err)

		// The baseline call is the plugin's first call, as in the CLI, so
		// the stalls fall on measured calls 9, 19, …, 59.
		c.Baseline(t.Context(), BaselineOptions{})
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		ivs, err := load.Run(ctx, c.Call, load.ConstantPacer{Rate: 40},
			load.WithConcurrency(1), load.WithRequests(60), load.WithCases(1), load.WithGoTimers())
		require.NoError(t, err)
		m := load.NewMetrics()
		for iv := range ivs {
			m.Add(iv)
		}
		res, err := load.NewResult(load.Info{Mode: "open", Mix: c.Info()}, m)
		require.NoError(t, err)

		assert.EqualValues(t, 60, res.Requests)
		assert.Zero(t, res.Errors, "errors: %v", res.ErrorsBy)
		assert.Zero(t, res.Failures, "GOST-level failures: %v", res.FailuresBy)
		require.Len(t, res.Cases, 1)
		assert.Zero(t, res.Cases[0].Changed, "the verdict held under load")
		// Stalls on measured calls 9, …, 59 (six), each holding back the
		// next eight slots but the last, which holds back only one.
		assert.EqualValues(t, 41, res.Late)
		c50, u50 := time.Duration(res.Latency.Corrected.P50), time.Duration(res.Latency.Uncorrected.P50)
		assert.InDelta(t, float64(time.Millisecond), float64(u50), float64(10*time.Microsecond), "uncorrected p50 %s", u50)
		assert.Greater(t, c50, 40*time.Millisecond, "corrected p50")
		assert.Greater(t, res.Latency.Corrected.Mean, 2*res.Latency.Uncorrected.Mean)
		assert.Equal(t, 200*time.Millisecond, time.Duration(res.Latency.Uncorrected.Max).Round(time.Millisecond))
	})
}
