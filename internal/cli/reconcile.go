package cli

import (
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// reconcileAudit makes the TLS audit agree with the run's own calls. The
// calls were made exactly as GOST makes them, with the settings given, so
// when the plugin replied to any of them GOST connects with those settings,
// whatever the audit's single probe saw: on a busy machine, or against a
// plugin that serves one connection at a time, the probe's bounded connect
// or read can miss an answer that GOST, which sets no such deadline, gets.
func reconcileAudit(run *report.Run) {
	if !repliedOnce(run) {
		return
	}
	for i := range run.TLS.Matrix {
		v := &run.TLS.Matrix[i]
		if !v.Configured || v.Connects {
			continue
		}
		// Not a caveat of GOST's, so not a Reason (which warns): a note.
		run.Notes = append(run.Notes, "the TLS audit's own probe failed ("+v.Reason+"), but the run's calls got replies with the settings given, so GOST connects")
		v.Connects, v.Reason = true, ""
	}
	if e := run.TLS.Endpoint; e != nil && !e.Reachable {
		e.Reachable = true
	}
}

// repliedOnce reports whether any call of the run got a reply from the
// plugin itself: a decoded reply, a 200 that GOST could not decode, or a
// gRPC status the server sent. An HTTP error status is not counted: an
// HTTPS server answers a plaintext request with 400, which is no reply
// from the plugin.
func repliedOnce(run *report.Run) bool {
	for _, c := range run.Cases {
		for _, st := range c.Steps {
			o := &st.Observation
			if !o.Sent {
				continue
			}
			switch mockclient.Failure(o.Failure) {
			case mockclient.FailureNone:
				return true
			case mockclient.FailureDecode:
				if o.HTTPStatus == 200 || o.Code != "" {
					return true
				}
			case mockclient.FailureStatus:
				if o.Code != "" {
					return true
				}
			}
		}
	}
	return false
}
