package check

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/plugincheck/plugincheck/report"
)

// TestReconcileAudit pins that the run's own calls, made as GOST makes
// them, overrule the audit's single probe only when the plugin replied.
func TestReconcileAudit(t *testing.T) {
	t.Parallel()
	probeMissed := "no answer from 127.0.0.1:8000 within 3s"
	tests := []struct {
		name      string
		obs       report.Observation
		connects  bool
		reachable bool
	}{
		{"a decoded HTTP reply", report.Observation{Sent: true, HTTPStatus: 200}, true, true},
		{"a gRPC status from the server", report.Observation{Sent: true, Code: "Internal", Failure: "status"}, true, true},
		{"a 200 GOST cannot decode", report.Observation{Sent: true, HTTPStatus: 200, Failure: "decode"}, true, true},
		{"an HTTPS server's 400 to plaintext is no reply", report.Observation{Sent: true, HTTPStatus: 400, Failure: "status"}, false, false},
		{"no reply at all", report.Observation{Sent: true, Failure: "transport"}, false, false},
		{"a call GOST never sends", report.Observation{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := &report.Run{
				Cases: []*report.Case{{Steps: []*report.Step{{Observation: tt.obs}}}},
				TLS: report.TLS{
					Endpoint: &report.Endpoint{Address: "127.0.0.1:8000"},
					Matrix: []report.Verdict{
						{ID: "plain", Configured: true, Reason: probeMissed},
						{ID: "tls", Reason: probeMissed},
					},
				},
			}
			reconcileAudit(run)
			ok, reason := run.TLS.Connects()
			assert.Equal(t, tt.connects, ok)
			if tt.connects {
				assert.Empty(t, reason, "no caveat of GOST's: nothing to warn about")
				if assert.Len(t, run.Notes, 1) {
					assert.Contains(t, run.Notes[0], probeMissed, "the probe's own finding stays visible")
				}
			} else {
				assert.Equal(t, probeMissed, reason)
				assert.Empty(t, run.Notes)
			}
			assert.Equal(t, tt.reachable, run.TLS.Endpoint.Reachable)
			assert.False(t, run.TLS.Matrix[1].Connects, "rows of other settings keep the probe's verdict")
		})
	}
}
