package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
	"github.com/plugincheck/plugincheck/mockclient"
)

// stallingPlugin is an HTTP auth plugin in memory whose every 10th call
// stalls 200 ms and every other call takes 1 ms, on the clock of the
// synctest bubble it runs in.
func stallingPlugin(calls *atomic.Int64) *http.Client {
	return &http.Client{Transport: pluginFunc(func(r *http.Request) (*http.Response, error) {
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
	})}
}

// TestLoadRunConcurrencyFollowsThePluginSynctest is issue 11's done-when
// on synctest's fake clock: `plugincheck load auth --rate 2000 -d 10s`
// against a plugin whose every 10th call stalls 200 ms. Without -c the
// in-flight cap grows to what the plugin needs (about 42 calls: 2000/s ×
// 20.9 ms), every slot is sent on time and the corrected p99 is the
// plugin's 200 ms; with -c 16 the slots queue and go unsent, and the
// result suggests --concurrency ≥ 63 by Little's law.
func TestLoadRunConcurrencyFollowsThePluginSynctest(t *testing.T) {
	t.Parallel()
	fx := filepath.Join(t.TempDir(), "stall.yaml")
	require.NoError(t, os.WriteFile(fx, []byte(stallFixture), 0o600))
	tests := []struct {
		name  string
		auto  bool
		check func(t *testing.T, res *load.Result, text string)
	}{
		{
			name: "no -c",
			auto: true,
			check: func(t *testing.T, res *load.Result, text string) {
				assert.GreaterOrEqual(t, res.AchievedRPS, 1990.0)
				assert.Zero(t, res.Unsent)
				c := res.Latency.Corrected
				assert.GreaterOrEqual(t, msOf(c.P99), 200.0, "corrected p99")
				assert.LessOrEqual(t, msOf(c.P99), 260.0, "corrected p99")
				assert.True(t, res.AutoConcurrency)
				assert.Equal(t, load.MaxGrowingConcurrency, res.Concurrency)
				assert.GreaterOrEqual(t, res.MaxInFlight, 40)
				assert.Less(t, res.MaxInFlight, 100)
				assert.Zero(t, res.SuggestedConcurrency)
				assert.Contains(t, text, "open loop at 2000 rps, in flight as many as the plugin needs up to 1000, ")
				assert.NotContains(t, text, "suggestion")
			},
		},
		{
			name: "-c 16",
			check: func(t *testing.T, res *load.Result, text string) {
				assert.Positive(t, res.Unsent)
				assert.Less(t, res.AchievedRPS, 1990.0)
				assert.False(t, res.AutoConcurrency)
				assert.Equal(t, 16, res.Concurrency)
				assert.Equal(t, 16, res.MaxInFlight)
				assert.GreaterOrEqual(t, res.SuggestedConcurrency, 40)
				assert.Contains(t, text, "in flight    at most 16 calls at once: the cap of 16 was reached\n")
				assert.Regexp(t, `suggestion   --concurrency ≥ \d+: by Little's law, 2000 rps × `, text)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				var calls atomic.Int64
				ios, _, out, errOut := iostreams.Test()
				jsonFile := filepath.Join(t.TempDir(), "load.json")
				opts := &LoadOptions{
					IO: ios, Now: time.Now, Module: mockclient.Auth,
					Conn:     ConnOptions{Addr: "http://plugin.test/auth", CallTimeout: 10 * time.Second},
					Fixtures: []string{fx}, Concurrency: 16, AutoConcurrency: tt.auto,
					Rate: 2000, Duration: 10 * time.Second, Progress: "off",
					Out:        LoadOutputs{Outputs: []string{"text", "json=" + jsonFile}},
					httpClient: stallingPlugin(&calls),
					engine:     []load.Option{load.WithGoTimers()},
				}
				require.NoError(t, loadRun(t.Context(), opts), errOut.String())
				b, err := os.ReadFile(jsonFile)
				require.NoError(t, err)
				var res load.Result
				require.NoError(t, json.Unmarshal(b, &res))
				assert.Zero(t, res.Errors, "errors: %v", res.ErrorsBy)
				tt.check(t, &res, out.String())
			})
		})
	}
}
