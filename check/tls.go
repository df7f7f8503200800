package check

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"time"

	"github.com/plugincheck/plugincheck/internal/probe"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// TLS audits the TLS of the plugin cfg points at, as `plugincheck tls`
// does, and returns a run of one check, gost-tls/<transport>/connects: GOST
// connects with the settings given. The run's TLS section holds the audit
// (what the plugin negotiates, its chain, and for every way GOST can be
// configured whether it would connect); run.Diagnosis says why GOST cannot
// connect, when it cannot. TLS sends no plugin call. It needs an address
// to dial, so opts.Client is not used; opts.Audit replaces the audit.
func TLS(ctx context.Context, cfg mockclient.Config, opts Options) *report.Run {
	opts.Client = nil
	start := opts.now()
	run := &report.Run{
		Module:    "tls",
		Transport: string(cfg.Transport),
		Target:    report.Target{Addr: cfg.Addr, Timeout: report.Duration(cfg.Timeout), CallTimeout: report.Duration(HandshakeTimeout)},
		TLS:       opts.audit()(ctx, cfg),
	}
	if cfg.TLS != nil {
		run.Target.TLS = &report.TargetTLS{Secure: cfg.TLS.Secure, ServerName: cfg.TLS.ServerName}
	}
	run.Cases = []*report.Case{connectsCase(cfg, &run.TLS, opts.now().Sub(start))}
	if ok, reason := run.TLS.Connects(); !ok {
		run.Diagnosis = reason
	}
	finish(run)
	return run
}

// connectsCase is the tls check's one case: GOST connects with the
// settings given. Its reproducer connects the same way.
func connectsCase(cfg mockclient.Config, t *report.TLS, took time.Duration) *report.Case {
	ok, reason := t.Connects()
	var row report.Verdict
	for _, v := range t.Matrix {
		if v.Configured {
			row = v
		}
	}
	req, _ := json.Marshal(struct {
		Addr string            `json:"addr"`
		TLS  *report.TargetTLS `json:"tls,omitempty"`
	}{cfg.Addr, row.TLS})
	st := &report.Step{
		Op:       "connect",
		Request:  req,
		Expected: map[string]any{"connects": true},
		Actual:   map[string]any{"connects": ok},
		Status:   report.Pass,
		Checks:   []report.Check{{Name: "connects", Status: report.Pass}},
		Observation: report.Observation{
			Method: "connect", Target: cfg.Addr, Sent: true, Latency: report.Duration(took),
		},
		Reproducer: row.Reproducer,
	}
	if t.Endpoint != nil {
		st.Observation.Target = t.Endpoint.Address
	}
	switch {
	case !ok:
		st.Status = report.Fail
		st.Checks[0] = report.Check{Name: "connects", Status: report.Fail, Message: reason}
		st.Observation.Failure = string(mockclient.FailureTransport)
	case row.Reason != "":
		// GOST connects, but its deadlines make some calls fail or wait
		// (a slow gRPC connect or TLS handshake): legal but harmful.
		st.Status = report.Warn
		st.Checks[0] = report.Check{Name: "connects", Status: report.Warn, Message: row.Reason}
	}
	slug := "gost-tls/" + string(cfg.Transport) + "/connects"
	return &report.Case{
		ID: slug, Suite: "GOST TLS", Name: "connects", Doc: "GOST connects with the settings given",
		Status: st.Status, Steps: []*report.Step{st},
	}
}

// negotiatedTLS is the TLS section of a run with no audit: what the run's
// calls negotiated (st, nil when no handshake completed), in GOST's terms.
func negotiatedTLS(cfg mockclient.Config, st *tls.ConnectionState, now time.Time) report.TLS {
	// A refused address was reported by the run's calls already; here it
	// reads as no https:// and no handshake.
	target, _ := mockclient.ParseTarget(cfg)
	if st == nil {
		switch {
		case target.TLS != nil:
			return report.TLS{Note: "no TLS handshake completed"}
		case target.HTTPS:
			return report.TLS{Note: "no TLS handshake completed (https:// without a tls block: Go's default verification)"}
		}
		return report.TLS{Note: "plaintext: the GOST config has no tls block"}
	}
	out := report.TLS{
		Enabled:     true,
		Version:     tls.VersionName(st.Version),
		CipherSuite: tls.CipherSuiteName(st.CipherSuite),
		ALPN:        st.NegotiatedProtocol,
		ServerName:  st.ServerName,
		Peer:        probe.Chain(st.PeerCertificates, now),
	}
	switch {
	case target.TLS == nil:
		out.Note = "https:// without a tls block: verified with Go's default roots"
	case target.TLS.Secure:
		out.Note = "secure: true: verified against the system roots only (GOST ignores caFile for plugins)"
	default:
		out.Note = "tls without secure: GOST does not verify the plugin's certificate"
	}
	return out
}
