package cli

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
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

// stallFixture is a one-case auth mix for the stall test.
const stallFixture = `name: Stall
module: auth
cases:
  - {name: gost, request: {username: gost, password: gost, client: "127.0.0.1:1"}}
`

// pluginFunc is an HTTP plugin in memory, so that a load run over it keeps
// to a testing/synctest bubble's clock.
type pluginFunc func(*http.Request) (*http.Response, error)

func (f pluginFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestLoadRunCorrectsStallsSynctest is `plugincheck load auth --rate 40
// --requests 60 -c 1 -o json` against an HTTP auth plugin whose every 10th
// call stalls 200 ms, run on synctest's fake clock: the figures are exact
// and no real time passes, where a real plugin's sleep would make them
// depend on the machine's load. The baseline call is the plugin's first,
// so the stalls fall on measured calls 9, 19, …, 59: each holds back the
// next eight slots (25 ms apart), the last only one.
func TestLoadRunCorrectsStallsSynctest(t *testing.T) {
	t.Parallel()
	fx := filepath.Join(t.TempDir(), "stall.yaml")
	require.NoError(t, os.WriteFile(fx, []byte(stallFixture), 0o600))
	synctest.Test(t, func(t *testing.T) {
		var calls atomic.Int64
		ios, _, out, errOut := iostreams.Test()
		opts := &LoadOptions{
			IO: ios, Now: time.Now, Module: mockclient.Auth,
			Conn:     ConnOptions{Addr: "http://plugin.test/auth", CallTimeout: 10 * time.Second},
			Fixtures: []string{fx}, Concurrency: 1, Rate: 40, Requests: 60, Progress: "off",
			Out:        LoadOutputs{Outputs: []string{"json"}},
			httpClient: stallingPlugin(&calls),
			engine:     []load.Option{load.WithGoTimers()},
		}
		require.NoError(t, loadRun(t.Context(), opts), errOut.String())
		var res load.Result
		require.NoError(t, json.Unmarshal(out.Bytes(), &res))

		assert.EqualValues(t, 61, calls.Load(), "the baseline call and 60 measured calls")
		assert.EqualValues(t, 60, res.Requests)
		assert.Equal(t, "open", res.Mode)
		assert.Zero(t, res.Errors, "errors: %v", res.ErrorsBy)
		assert.EqualValues(t, 41, res.Late, "late starts")
		c, u := res.Latency.Corrected, res.Latency.Uncorrected
		// Uncorrected, as ghz reports it: 54 calls of 1 ms, six of 200 ms.
		assert.InDelta(t, 1, msOf(u.P50), 0.01, "uncorrected p50")
		assert.InDelta(t, 200, msOf(u.Max), 0.5, "uncorrected max")
		// Corrected: the calls queued behind each stall count their wait,
		// 176, 152, …, 8 ms, so p50 (the 30th of 60) is 80 ms.
		assert.InDelta(t, 80, msOf(c.P50), 0.5, "corrected p50")
		assert.InDelta(t, 200, msOf(c.Max), 0.5, "corrected max")
		assert.Greater(t, c.Mean, 2*u.Mean, "corrected mean %s; uncorrected %s", c.Mean, u.Mean)
	})
}

func msOf(d load.Duration) float64 { return float64(d) / float64(time.Millisecond) }
