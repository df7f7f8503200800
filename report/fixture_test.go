package report_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/<TestName>/<case>.golden, or rewrites
// the file under -update.
func golden(t *testing.T, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", filepath.FromSlash(t.Name())+".golden")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: go test ./report -update")
	assert.Equal(t, string(want), string(got))
}

// secretToken is the token the fixture's target was configured with; it
// must never reach any output, only "<redacted>" and $PLUGIN_TOKEN may.
const secretToken = "hunter2-s3cr3t"

func us(n int) report.Duration { return report.Duration(time.Duration(n) * time.Microsecond) }

// startedAt is not in UTC so the renderers' UTC conversion is exercised.
var startedAt = time.Date(2026, 8, 1, 12, 30, 0, 0, time.FixedZone("CEST", 2*60*60))

func ok(names ...string) []report.Check {
	out := make([]report.Check, 0, len(names))
	for _, n := range names {
		out = append(out, report.Check{Name: n, Status: report.Pass})
	}
	return out
}

// fixtureReport returns a finished report with every status, a multi-step
// case, TLS on and off, notes, a diagnosis, quoting and unicode in
// reproducers, and a redacted token; every optional field is set somewhere,
// which the schema test relies on.
func fixtureReport() *report.Report {
	grpcRepro := func(req string) string {
		return `grpcurl -plaintext -H "token: $PLUGIN_TOKEN" -emit-defaults -protoset "${PLUGINCHECK_PROTOSET:-plugins.protoset}" -d '` +
			req + `' 127.0.0.1:8000 proto.Authenticator/Authenticate`
	}
	authObs := func(lat int, reply string) report.Observation {
		return report.Observation{
			Method: "/proto.Authenticator/Authenticate", Target: "127.0.0.1:8000", Sent: true,
			Code: "OK", Reply: reply, Latency: us(lat),
		}
	}
	authGRPC := &report.Run{
		Module:    "auth",
		Transport: "grpc",
		Target: report.Target{
			Addr: "127.0.0.1:8000", Token: "<redacted>",
			Timeout: report.Duration(10 * time.Second), CallTimeout: report.Duration(5 * time.Second),
		},
		TLS: report.TLS{Note: "plaintext: the GOST config has no tls block"},
		Latency: report.Summarize([]time.Duration{
			1236 * time.Microsecond, 2500 * time.Microsecond, 900 * time.Microsecond, 3100 * time.Microsecond,
		}, 500*time.Millisecond),
		Notes: []string{"plugincheck ends each call after 5s; GOST sets no deadline on gRPC plugin calls, so a plugin that never answers blocks GOST's caller for good"},
		Cases: []*report.Case{
			{
				ID: "auth-request-shapes/grpc/http-proxy-basic", Suite: "Auth Request Shapes", Name: "http-proxy-basic",
				Doc: "HTTP proxy handler, Basic pair from Proxy-Authorization", File: "builtin/auth.yaml", Line: 12,
				Status: report.Pass,
				Steps: []*report.Step{{
					Op:      "authenticate",
					Request: json.RawMessage(`{"username":"plugincheck-user","password":"plugincheck-pass","client":"192.0.2.10:51234","service":"http-proxy"}`),
					Actual:  map[string]any{"ok": true, "id": "plugincheck-user"},
					Status:  report.Pass,
					Checks: append(ok("reply", "stable", "concurrent"), report.Check{Name: "latency", Status: report.Pass,
						Message: "1 of 10 calls over the 500ms budget, but the median, 1.24ms, is within it; slowest 612ms (reused connection, first byte 611ms)"}),
					Observation: func() report.Observation {
						o := authObs(1236, `{"ok":true,"id":"plugincheck-user"}`)
						// The same request in the wire's key order: text prints it once.
						o.Request = json.RawMessage(`{"service":"http-proxy","username":"plugincheck-user","password":"plugincheck-pass","client":"192.0.2.10:51234"}`)
						return o
					}(),
					Reproducer: grpcRepro(`{"username":"plugincheck-user","password":"plugincheck-pass","client":"192.0.2.10:51234","service":"http-proxy"}`),
				}},
			},
			{
				ID: "auth-basic/grpc/rejects-unknown-user", Suite: "Auth Basic", Name: "rejects-unknown-user",
				File: "auth_basic.yaml", Line: 7, Status: report.Fail,
				Steps: []*report.Step{{
					Op:       "authenticate",
					Request:  json.RawMessage(`{"username":"o'brien","password":"pässwörd ✓ <&>","client":"[2001:db8::10]:40000"}`),
					Expected: map[string]any{"ok": false},
					Actual:   map[string]any{"ok": true, "id": "o'brien"},
					Status:   report.Fail,
					Checks: []report.Check{
						{Name: "reply", Status: report.Pass},
						{Name: "expect", Status: report.Fail, Message: "ok: got true, want false"},
						{Name: "latency", Status: report.Pass},
					},
					Observation: authObs(2500, `{"ok":true,"id":"o'brien"}`),
					Reproducer:  grpcRepro(`{"username":"o'\''brien","password":"pässwörd ✓ <&>","client":"[2001:db8::10]:40000"}`),
				}},
			},
			{
				ID: "auth-request-shapes/grpc/random-credentials", Suite: "Auth Request Shapes", Name: "random-credentials",
				Status: report.Warn,
				Steps: []*report.Step{{
					Op:      "authenticate",
					Request: json.RawMessage(`{"username":"pc-7f3a9c-no-such-user","password":"pc-0b52e1-wrong"}`),
					Actual:  map[string]any{"ok": true},
					Status:  report.Warn,
					Checks: []report.Check{
						{Name: "reply", Status: report.Pass},
						{Name: "policy", Status: report.Warn, Message: "accepted random credentials (allow-all auth)"},
					},
					Observation: authObs(900, `{"ok":true}`),
					Reproducer:  grpcRepro(`{"username":"pc-7f3a9c-no-such-user","password":"pc-0b52e1-wrong"}`),
				}},
			},
			{
				ID: "auth-request-shapes/grpc/http-only", Suite: "Auth Request Shapes", Name: "http-only",
				Status: report.Skip, SkipReason: "case does not apply to grpc",
			},
			{
				ID: "auth-basic/grpc/accepts-gost", Suite: "Auth Basic", Name: "accepts-gost", Status: report.Fail,
				Steps: []*report.Step{{
					Op:       "authenticate",
					Request:  json.RawMessage(`{"username":"gost","password":"gost"}`),
					Expected: map[string]any{"ok": true},
					Actual:   map[string]any{"ok": false},
					Status:   report.Fail,
					Checks: []report.Check{{
						Name: "reply", Status: report.Fail,
						Message: `status failure: rpc error: code = Unauthenticated desc = bad token; the plugin rejected the token given with --token; GOST's verdict: {"ok":false}`,
					}},
					Observation: report.Observation{
						Method: "/proto.Authenticator/Authenticate", Target: "127.0.0.1:8000", Sent: true,
						Code: "Unauthenticated", Failure: "status",
						// A hostile plugin: a line break and ANSI codes in its status message.
						Error:   "rpc error: code = Unauthenticated desc = bad token\n\x1b[31mgo away\x1b[0m",
						Latency: us(3100),
					},
					Reproducer: grpcRepro(`{"username":"gost","password":"gost"}`),
				}},
			},
		},
	}

	curl := func(method, body string) string {
		return `curl -sS -i -X ` + method + ` --http1.1 -k --connect-to plugin.example:8443:plugin.example:8443 ` +
			`-H 'Content-Type: application/json' -H "Authorization: Bearer $PLUGIN_TOKEN" --data-binary '` + body +
			`' https://plugin.example:8443/sd`
	}
	sdObs := func(method string, lat int, reply string) report.Observation {
		return report.Observation{
			Method: method, Target: "https://plugin.example:8443/sd", Sent: true, HTTPStatus: 200, Reply: reply, Latency: us(lat),
		}
	}
	sdHTTP := &report.Run{
		Module:    "sd",
		Transport: "http",
		Target: report.Target{
			Addr: "https://plugin.example:8443/sd", Token: "<redacted>",
			TLS:         &report.TargetTLS{Secure: false, ServerName: "plugin.example"},
			CallTimeout: report.Duration(5 * time.Second),
		},
		TLS: report.TLS{
			Enabled: true, Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ALPN: "http/1.1", ServerName: "plugin.example",
			Peer: []report.Certificate{
				{
					Subject: "CN=plugin.example,O=Plugincheck Tëst", Issuer: "CN=plugincheck test CA",
					DNSNames: []string{"localhost"}, IPs: []string{"127.0.0.1", "::1"},
					NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CET", 3600)),
					NotAfter:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), DaysLeft: 152,
					KeyType: "ECDSA P-256", KeyBits: 256, SignatureAlgorithm: "ECDSA-SHA256",
				},
				{
					Subject: "CN=plugincheck test CA", Issuer: "CN=plugincheck test CA",
					NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), NotAfter: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC), DaysLeft: 3804,
					KeyType: "RSA", KeyBits: 2048, SignatureAlgorithm: "SHA256-RSA", SelfSigned: true, IsCA: true,
				},
			},
			Note:       "tls without secure: GOST does not verify the plugin's certificate",
			Endpoint:   &report.Endpoint{Address: "plugin.example:8443", Reachable: true, Security: "tls"},
			ClientAuth: "requested",
			NameCheck: &report.NameCheck{
				Name: "plugin.example", Source: "--tls-server-name",
				Error: "x509: certificate is valid for localhost, not plugin.example",
			},
			Verification: []report.Verification{
				{Roots: "system", Error: "x509: certificate signed by unknown authority"},
				{Roots: "ca.pem", OK: true},
			},
			Matrix: []report.Verdict{
				{ID: "http", Config: "http://, no tls block (a tls block changes nothing)", Addr: "http://plugin.example:8443/sd",
					Reason: "plugin.example:8443 speaks TLS, but the GOST config has no tls block: add --tls and use https://"},
				{ID: "https-tls-server-name", Config: "https://, tls: {serverName: plugin.example}", Addr: "https://plugin.example:8443/sd",
					TLS: &report.TargetTLS{ServerName: "plugin.example"}, Connects: true, Configured: true,
					Reproducer: "openssl s_client -connect plugin.example:8443 -servername plugin.example </dev/null"},
				{ID: "https-tls-secure", Config: "https://, tls: {secure: true}", Addr: "https://plugin.example:8443/sd",
					TLS: &report.TargetTLS{Secure: true}, Reason: "secure: true will fail: certificate signed by unknown authority; GOST uses the system roots only, and a plugin's caFile is ignored"},
			},
			Findings: []report.Note{
				{Code: "name-mismatch", Text: "x509: certificate is valid for localhost, not plugin.example: secure: true and https:// without a tls block fail unless serverName is a name in the certificate"},
				{Code: "unknown-authority", Text: "the chain does not verify against the system roots (x509: certificate signed by unknown authority): secure: true and https:// without a tls block fail, as GOST ignores a plugin's caFile"},
			},
		},
		Latency: report.Summarize([]time.Duration{
			1004 * time.Millisecond, 6500 * time.Microsecond, 2 * time.Millisecond, 750 * time.Millisecond,
		}, 500*time.Millisecond),
		Causes: []report.Cause{{
			Code: "redirected", Status: report.Warn,
			Text: "GOST followed a redirect on every call: 307 to https://other.example:9443/sd",
			Sent: "PUT https://plugin.example:8443/sd", Got: "307 → https://other.example:9443/sd → 200",
			GOST:  "GOST follows redirects and sends the token again to the new host \x1b[31m",
			Fix:   "put the final URL in --addr",
			Cases: []string{"sd-lifecycle/http/renew"},
		}},
		Cases: []*report.Case{
			{
				ID: "sd-lifecycle/http/register-get-deregister", Suite: "SD Lifecycle", Name: "register-get-deregister",
				File: "sd_lifecycle.yaml", Line: 4, Status: report.Fail,
				Steps: []*report.Step{
					{
						Op:      "register",
						Request: json.RawMessage(`{"id":"svc-1","name":"名前-svc","node":"n1","network":"tcp","address":"10.0.0.1:80"}`),
						Actual:  map[string]any{"ok": true},
						Status:  report.Warn,
						Checks: []report.Check{
							{Name: "reply", Status: report.Pass},
							{Name: "latency", Status: report.Warn, Message: "1 call took 1.004s (connect 1.001s, TLS 2.1ms, wrote 90µs, first byte 700µs, 1 TCP retransmission), over plugincheck's 500ms budget. " +
								"A warning: GOST's HTTP plugin client has no timeout configured and waits, so GOST's caller is delayed, not failed; --strict or an explicit --latency-budget makes it fail. " +
								"TCP connect took 1.001s: " + report.SYNRetryCause},
						},
						Observation: withTiming(sdObs("POST", 1004000, `{"ok":true}`), &report.Timing{
							Connect: report.Duration(1001 * time.Millisecond), TLS: us(2100), Wrote: us(90), FirstByte: us(700), Retransmits: 1,
						}),
						Reproducer: curl("POST", `{"id":"svc-1","name":"名前-svc","node":"n1","network":"tcp","address":"10.0.0.1:80"}`),
					},
					{
						Op:       "get",
						Request:  json.RawMessage(`{"name":"名前-svc"}`),
						Expected: map[string]any{"services": []any{map[string]any{"id": "svc-1"}}},
						Actual:   map[string]any{"services": []any{}},
						Status:   report.Fail,
						Checks: []report.Check{
							{Name: "reply", Status: report.Pass},
							{Name: "expect", Status: report.Fail, Message: `services: got [], want [{"id":"svc-1"}]`},
							{Name: "latency", Status: report.Warn, Message: "1 call took 750ms (reused connection, wrote 80µs, first byte 749.5ms), over plugincheck's 500ms budget. " +
								"A warning: GOST's HTTP plugin client has no timeout configured and waits, so GOST's caller is delayed, not failed; --strict or an explicit --latency-budget makes it fail"},
						},
						Notes:       []report.Note{{Code: "empty-reply", Text: "the reply carries nothing GOST can use"}},
						Observation: withTiming(sdObs("GET", 750000, `{"services":[]}`), &report.Timing{Reused: true, Wrote: us(80), FirstByte: us(749500)}),
						Reproducer:  curl("GET", `{"name":"名前-svc"}`),
					},
					{
						Op:      "deregister",
						Request: json.RawMessage(`{"id":"svc-1"}`),
						Actual:  map[string]any{"ok": true},
						Status:  report.Pass,
						Checks:  ok("reply", "latency"),
						Observation: func() report.Observation {
							o := sdObs("DELETE", 2000, `{"ok":true}`)
							o.Redirects = []report.Redirect{{Method: "DELETE", URL: "https://plugin.example:8443/sd", Status: 307}}
							o.FinalURL = "https://plugin.example:8443/v2/sd"
							return o
						}(),
						Reproducer: curl("DELETE", `{"id":"svc-1"}`),
					},
				},
			},
			{
				ID: "sd-lifecycle/http/renew", Suite: "SD Lifecycle", Name: "renew", Status: report.Pass,
				Steps: []*report.Step{{
					Op:      "renew",
					Request: json.RawMessage(`{"id":"svc-1"}`),
					Actual:  map[string]any{"ok": true},
					Status:  report.Pass,
					Checks:  ok("reply", "latency"),
					Observation: func() report.Observation {
						o := sdObs("PUT", 6500, `{"ok":true}`)
						o.Request = json.RawMessage(`{"service":{"id":"svc-1"}}`)
						return o
					}(),
					Reproducer: curl("PUT", `{"id":"svc-1"}`),
				}},
			},
		},
	}

	hostsGRPC := &report.Run{
		Module:    "hosts",
		Transport: "grpc",
		Target: report.Target{
			Addr: "127.0.0.1:9", TLS: &report.TargetTLS{Secure: true},
			CallTimeout: report.Duration(5 * time.Second),
		},
		TLS: report.TLS{
			Note:     "no TLS handshake: connection refused: nothing is listening on 127.0.0.1:9",
			Endpoint: &report.Endpoint{Address: "127.0.0.1:9", Error: "connection refused: nothing is listening on 127.0.0.1:9"},
		},
		Latency:   report.Summarize([]time.Duration{300 * time.Microsecond}, 500*time.Millisecond),
		Diagnosis: "nothing listens on 127.0.0.1:9 (connection refused): is the plugin running, and is --addr right?",
		Causes: []report.Cause{{
			Code: "unreachable", Status: report.Fail,
			Text: "nothing listens on 127.0.0.1:9 (connection refused): is the plugin running, and is --addr right?",
			Sent: "/proto.HostMapper/Lookup to 127.0.0.1:9", Got: "connection refused",
			GOST:  "every lookup fails, so GOST falls back to its other resolvers",
			Fix:   "start the plugin or correct --addr",
			Cases: []string{"hosts-basic/grpc/lookup-ipv4"},
		}},
		Cases: []*report.Case{
			{
				ID: "hosts-basic/grpc/lookup-ipv4", Suite: "Hosts Basic", Name: "lookup-ipv4", Status: report.Fail,
				Steps: []*report.Step{{
					Op:       "lookup",
					Request:  json.RawMessage(`{"network":"ip4","host":"example.org"}`),
					Expected: map[string]any{"ips": []any{"192.0.2.1"}},
					Actual:   map[string]any{"ips": nil, "ok": false},
					Status:   report.Fail,
					Checks: []report.Check{{
						Name: "reply", Status: report.Fail,
						Message: `transport failure: rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:9: connect: connection refused"; GOST's verdict: {"ips":null,"ok":false}`,
					}},
					Observation: report.Observation{
						Method: "/proto.HostMapper/Lookup", Target: "127.0.0.1:9", Sent: true, Code: "Unavailable",
						Failure: "transport",
						Error:   `rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:9: connect: connection refused"`,
						Latency: us(300),
					},
					Reproducer: `grpcurl -servername '' -emit-defaults -protoset "${PLUGINCHECK_PROTOSET:-plugins.protoset}" -d '{"network":"ip4","host":"example.org"}' 127.0.0.1:9 proto.HostMapper/Lookup`,
				}},
			},
			{
				ID: "hosts-basic/grpc/empty-host", Suite: "Hosts Basic", Name: "empty-host", Status: report.Pass,
				Steps: []*report.Step{{
					Op:      "lookup",
					Request: json.RawMessage(`{"network":"ip4","host":""}`),
					Actual:  map[string]any{"ips": nil, "ok": false},
					Status:  report.Pass,
					Checks:  []report.Check{{Name: "reply", Status: report.Pass, Message: "GOST sends no call for this request"}},
					Notes:   []report.Note{{Code: "not-sent", Text: "GOST would not send this call at all"}},
					Observation: report.Observation{
						Method: "/proto.HostMapper/Lookup", Target: "127.0.0.1:9",
					},
				}},
			},
			{
				ID: "hosts-basic/grpc/lookup-ipv6", Suite: "Hosts Basic", Name: "lookup-ipv6",
				Status: report.Skip, SkipReason: "interrupted",
			},
		},
	}

	sdHTTP.Latency.SYNRetries = 1 // the register call's connect
	authGRPC.Latency.Enforced = true

	r := &report.Report{
		Schema:    report.SchemaVersion,
		Tool:      report.Tool{Name: "plugincheck", Version: "v0.1.0", GOST: "v0.15.2", Plugin: "v0.5.0"},
		StartedAt: startedAt,
		Duration:  report.Duration(1234567 * time.Microsecond),
		Runs:      []*report.Run{authGRPC, sdHTTP, hostsGRPC},
	}
	r.Finish()
	return r
}

// emptyReport is what an invocation that selected nothing would render.
func emptyReport() *report.Report {
	r := &report.Report{
		Schema:    report.SchemaVersion,
		Tool:      report.Tool{Name: "plugincheck", Version: "v0.1.0", GOST: "v0.15.2", Plugin: "v0.5.0"},
		StartedAt: startedAt,
		Duration:  us(1500),
	}
	r.Finish()
	return r
}

// withTiming adds a phase split to o, as mockclient measures it.
func withTiming(o report.Observation, t *report.Timing) report.Observation {
	o.Timing = t
	return o
}
