package suites

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// TestRunOnCase checks the streaming hook: every case of the report is
// shown once, one call at a time, with its status set, whatever the
// workers; skipped cases (gRPC-only cases over HTTP, interrupted ones)
// too.
func TestRunOnCase(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		transport mockclient.Transport
		workers   int
		cancel    bool
	}{
		{name: "grpc serial", transport: mockclient.GRPC, workers: 1},
		{name: "grpc parallel", transport: mockclient.GRPC},
		{name: "http parallel with skips", transport: mockclient.HTTP},
		{name: "interrupted", transport: mockclient.GRPC, workers: 1, cancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ss := largeAuthSuites(t, 60)
			c := refClient(t, tt.transport, mockclient.Auth)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			seen := map[*report.Case]int{}
			busy := false
			opts := RunOptions{Concurrency: 2, Workers: tt.workers, OnCase: func(run *report.Run, rc *report.Case) {
				assert.False(t, busy, "OnCase is called one at a time")
				busy = true
				defer func() { busy = false }()
				assert.Equal(t, string(tt.transport), run.Transport)
				assert.Equal(t, "auth", run.Module)
				assert.NotEmpty(t, rc.Status, "%s has its status", rc.ID)
				seen[rc]++
				if tt.cancel && len(seen) == 5 {
					cancel()
				}
			}}
			run, err := Run(ctx, c, mockclient.Auth, ss, opts)
			if tt.cancel {
				require.ErrorIs(t, err, context.Canceled)
			} else {
				require.NoError(t, err)
			}
			require.Len(t, seen, len(run.Cases), "every case is shown")
			skips := 0
			for _, rc := range run.Cases {
				assert.Equal(t, 1, seen[rc], "%s shown once", rc.ID)
				if rc.Status == report.Skip {
					skips++
				}
			}
			if tt.cancel || tt.transport == mockclient.HTTP {
				assert.Positive(t, skips)
			}
		})
	}
}
