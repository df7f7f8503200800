package probe

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/mockclient"
)

// TestTimingJudgesMeasure checks that the audit judges a connection by the
// time its timing measures, not by the wall clock: the same quick server
// gets GOST's slow-connect caveat when the measure says 2 s.
func TestTimingJudgesMeasure(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	tests := []struct {
		name        string
		took        time.Duration
		wantFinding string
		wantReason  string
	}{
		{name: "10 ms", took: 10 * time.Millisecond},
		{name: "2 s", took: 2 * time.Second, wantFinding: "grpc-slow-connect", wantReason: "took 2s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			addr := startServer(t, certs, mockclient.GRPC, valid)
			tm := timing{timeout: time.Minute, since: func(time.Time) time.Duration { return tt.took }}
			got := Audit(t.Context(), mockclient.Config{Addr: addr, TLS: &mockclient.TLSConfig{}}, AuditOptions{timing: tm, roots: certs.CA.Pool})
			row := configuredRow(t, got)
			assert.True(t, row.Connects, row.Reason)
			if tt.wantFinding == "" {
				assert.Empty(t, row.Reason)
				assert.Empty(t, got.Findings)
				return
			}
			assert.Contains(t, row.Reason, tt.wantReason)
			require.NotEmpty(t, got.Findings)
			assert.Equal(t, tt.wantFinding, got.Findings[0].Code)
		})
	}
}
