package report_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/report"
)

// passRun is a run whose every case passed, with n cases of one call each.
func passRun(module, transport, addr string, n int) *report.Run {
	run := &report.Run{
		Module: module, Transport: transport,
		Target:  report.Target{Addr: addr, CallTimeout: report.Duration(5 * time.Second)},
		TLS:     report.TLS{Note: "plaintext: the GOST config has no tls block"},
		Latency: report.Summarize([]time.Duration{800 * time.Microsecond, 1200 * time.Microsecond, 2 * time.Millisecond}, 500*time.Millisecond),
		Notes:   []string{"a run note the short report keeps to -v"},
	}
	for i := range n {
		run.Cases = append(run.Cases, &report.Case{
			ID: fmt.Sprintf("%s-basic/%s/case-%d", module, transport, i), Suite: module + " basic", Name: fmt.Sprintf("case-%d", i),
			File: module + ".yaml", Line: 3 + 4*i, Status: report.Pass,
			Steps: []*report.Step{{
				Op: "call", Request: json.RawMessage(`{}`), Status: report.Pass, Checks: ok("reply"),
				Observation: report.Observation{Method: "POST", Target: addr, Sent: true, HTTPStatus: 200, Reply: `{"ok":true}`, Latency: us(900)},
				Reproducer:  "curl -sS -X POST --data-binary '{}' " + addr,
			}},
		})
	}
	return run
}

// allPassReport is a multi-run report in which everything passed: plaintext,
// TLS that verifies, and TLS whose certificate ends in five days.
func allPassReport() *report.Report {
	plain := passRun("auth", "grpc", "127.0.0.1:8000", 3)
	tlsOK := passRun("admission", "http", "https://127.0.0.1:8443/admission", 2)
	tlsOK.Target.TLS = &report.TargetTLS{Secure: true}
	tlsOK.TLS = report.TLS{
		Enabled: true, Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256",
		Endpoint: &report.Endpoint{Address: "127.0.0.1:8443", Reachable: true, Security: "tls"},
		Peer: []report.Certificate{{
			Subject: "CN=plugin", Issuer: "CN=ca", NotBefore: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			NotAfter: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), DaysLeft: 152,
		}},
		Matrix: []report.Verdict{{ID: "https-tls-secure", Config: "https://, tls: {secure: true}", Connects: true, Configured: true}},
	}
	expiring := passRun("hosts", "grpc", "127.0.0.1:9443", 1)
	expiring.Target.TLS = &report.TargetTLS{}
	expiring.TLS = report.TLS{
		Enabled: true, Version: "TLS 1.2",
		Peer: []report.Certificate{{
			Subject: "CN=plugin", Issuer: "CN=plugin", NotBefore: time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC),
			NotAfter: time.Date(2026, 8, 6, 0, 0, 0, 0, time.UTC), DaysLeft: 5, SelfSigned: true,
		}},
	}
	expiring.Cases = append(expiring.Cases, &report.Case{
		ID: "hosts-basic/grpc/http-only", Status: report.Skip, SkipReason: "case does not apply to grpc",
	})
	r := &report.Report{
		Schema:    report.SchemaVersion,
		Tool:      report.Tool{Name: "plugincheck", Version: "v0.1.0", GOST: "v0.15.2", Plugin: "v0.5.0"},
		StartedAt: startedAt,
		Duration:  report.Duration(420 * time.Millisecond),
		Runs:      []*report.Run{plain, tlsOK, expiring},
	}
	r.Finish()
	return r
}

// noneRanReport has a run whose every case was skipped: it must not read
// as a pass.
func noneRanReport() *report.Report {
	run := passRun("auth", "http", "http://127.0.0.1:8000/auth", 0)
	run.Latency = report.Latency{}
	run.Cases = []*report.Case{{ID: "auth-basic/http/grpc-only", Status: report.Skip, SkipReason: "case does not apply to http"}}
	r := &report.Report{Schema: report.SchemaVersion, StartedAt: startedAt, Duration: us(900), Runs: []*report.Run{run}}
	r.Finish()
	return r
}

// TestTextShortAllPass: a passing run is one line, with its counts, p99 and
// TLS in a word, and nothing a -v reader alone needs.
func TestTextShortAllPass(t *testing.T) {
	t.Parallel()
	got := string(render(t, report.NewText(report.TextOptions{}), allPassReport()))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	// 3 run lines, a blank line, the hint and the totals.
	assert.Len(t, lines, 6, got)
	assert.Regexp(t, `^PASS  auth/grpc\s+127\.0\.0\.1:8000\s+3 pass  0 warn  0 fail  0 skip  p99 2ms\s+plaintext$`, lines[0])
	assert.Regexp(t, `admission/http .* tls ok$`, lines[1])
	assert.Regexp(t, `hosts/grpc .* tls: cert expires in 5d$`, lines[2])
	assert.Regexp(t, `^PASS  7 cases: 6 pass, 0 warn, 0 fail, 1 skip`, lines[len(lines)-1])
	for _, verboseOnly := range []string{"curl", "Correctness", "a run note", "case-0", "Failed"} {
		assert.NotContains(t, got, verboseOnly)
	}
	// -v has every case and its reproducer.
	verbose := string(render(t, report.NewText(report.TextOptions{Verbose: true}), allPassReport()))
	for _, run := range allPassReport().Runs {
		for _, c := range run.Cases {
			assert.Contains(t, verbose, c.ID)
		}
	}
	assert.Contains(t, verbose, "repro: curl")
}

// TestTextShortFailures: failed and warned cases follow their run with the
// fixture line and the check's words, reproducers stay out, and the last
// lines name the failed cases.
func TestTextShortFailures(t *testing.T) {
	t.Parallel()
	got := string(render(t, report.NewText(report.TextOptions{}), fixtureReport()))
	assert.Contains(t, got, "  FAIL  auth-basic/grpc/rejects-unknown-user  auth_basic.yaml:7\n        expect: ok: got true, want false\n")
	assert.Contains(t, got, "  WARN  auth-request-shapes/grpc/random-credentials\n        policy (warn): accepted random credentials (allow-all auth)\n")
	assert.Contains(t, got, "step 2/3 get: expect: services: got [], want [{\"id\":\"svc-1\"}]")
	assert.Contains(t, got, "CAUSE: unreachable:")
	assert.NotContains(t, got, "grpcurl")
	assert.NotContains(t, got, "repro:")
	assert.NotContains(t, got, "GOST would connect with", "the TLS matrix is -v's")
	assert.NotContains(t, got, secretToken)
	tail := got[strings.LastIndex(got, "Failed (4):"):]
	for _, id := range []string{"auth-basic/grpc/rejects-unknown-user", "auth-basic/grpc/accepts-gost", "sd-lifecycle/http/register-get-deregister", "hosts-basic/grpc/lookup-ipv4"} {
		assert.Contains(t, tail, "\n  "+id+"\n")
	}
	assert.NotContains(t, tail, "random-credentials", "a warned case is not a failed one")
	assert.Equal(t, 1, strings.Count(got, "-v, or -o json"), "the hint is said once")
}

// TestTextShortBounds: a run with many failures explains ten of them, and
// the closing list names twenty and counts the rest.
func TestTextShortBounds(t *testing.T) {
	t.Parallel()
	run := &report.Run{Module: "auth", Transport: "http", Target: report.Target{Addr: "127.0.0.1:1"}}
	for i := range 45 {
		run.Cases = append(run.Cases, &report.Case{
			ID: fmt.Sprintf("s/http/c%02d", i), Status: report.Fail,
			Steps: []*report.Step{{Status: report.Fail, Checks: []report.Check{{Name: "reply", Status: report.Fail, Message: strings.Repeat("x", 4000)}}}},
		})
	}
	rep := &report.Report{Runs: []*report.Run{run}}
	rep.Finish()
	got := string(render(t, report.NewText(report.TextOptions{}), rep))
	assert.Equal(t, 10, strings.Count(got, "  FAIL  s/http/c"))
	assert.Contains(t, got, "and 35 more cases failed or warned in this run (-v)")
	assert.Contains(t, got, "Failed (45):")
	assert.Contains(t, got, "\n  s/http/c19\n  and 25 more\n")
	assert.NotContains(t, got, "\n  s/http/c20\n")
	assert.Contains(t, got, "bytes more)", "a check message is cut")
	assert.Less(t, len(got), 16<<10)
}

// TestTextNoneRan: a report whose cases were all skipped says so on the run
// line and the totals line, never PASS.
func TestTextNoneRan(t *testing.T) {
	t.Parallel()
	for _, verbose := range []bool{false, true} {
		got := string(render(t, report.NewText(report.TextOptions{Verbose: verbose}), noneRanReport()))
		assert.NotContains(t, got, "PASS", "verbose=%v", verbose)
		assert.Contains(t, got, "NONE  no case ran: 1 case:", "verbose=%v", verbose)
	}
	got := string(render(t, report.NewText(report.TextOptions{}), noneRanReport()))
	assert.Regexp(t, `^NONE  auth/http\s+http://127\.0\.0\.1:8000/auth\s+no case ran \(1 skipped\)`, got)
}

// TestDeploymentColor pins the deployment report on a terminal, short and
// verbose; TestDeployment pins it piped.
func TestDeploymentColor(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts report.TextOptions
	}{
		{name: "short", opts: report.TextOptions{Color: true}},
		{name: "verbose", opts: report.TextOptions{Color: true, Verbose: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, report.NewText(tt.opts), deploymentReport())
			golden(t, got)
			assert.Contains(t, string(got), "\x1b[31mFAIL\x1b[0m")
			assert.NotContains(t, string(got), secretToken)
		})
	}
}

// TestDeploymentShort: the short deployment report is the table, the
// findings that warn or fail, and the troubled runs; info findings and
// passing cases wait for -v.
func TestDeploymentShort(t *testing.T) {
	t.Parallel()
	got := string(render(t, report.NewText(report.TextOptions{}), deploymentReport()))
	assert.Contains(t, got, "gost.yml:42  unused-plugin")
	assert.NotContains(t, got, "grpc-plaintext-remote")
	assert.Contains(t, got, "and 1 informational finding (-v)")
	assert.Contains(t, got, "used by socks-1080, forward-tcp-8080")
	assert.NotContains(t, got, "http-proxy-basic", "passing cases are -v's")
	require.Contains(t, got, "Failed (4):")
}

// TestTextShortCaseBound: a case with many failed steps prints eight check
// lines and counts the rest.
func TestTextShortCaseBound(t *testing.T) {
	t.Parallel()
	c := &report.Case{ID: "s/grpc/many-steps", Status: report.Fail}
	for i := range 12 {
		c.Steps = append(c.Steps, &report.Step{Op: fmt.Sprintf("op%d", i), Status: report.Fail,
			Checks: []report.Check{{Name: "expect", Status: report.Fail, Message: "wrong"}}})
	}
	rep := &report.Report{Runs: []*report.Run{{Module: "sd", Transport: "grpc", Cases: []*report.Case{c}}}}
	rep.Finish()
	got := string(render(t, report.NewText(report.TextOptions{}), rep))
	assert.Equal(t, 8, strings.Count(got, ": expect: wrong"), got)
	assert.Contains(t, got, "step 8/12 op7: expect: wrong")
	assert.Contains(t, got, "and 4 more checks (-v)")
}

// TestDeploymentNoneRan: the summary table does not call a run in which no
// case executed a pass either.
func TestDeploymentNoneRan(t *testing.T) {
	t.Parallel()
	rep := noneRanReport()
	rep.Source = "gost.yml"
	rep.Runs[0].Plugin = "authers/auth-0"
	for _, verbose := range []bool{false, true} {
		got := string(render(t, report.NewText(report.TextOptions{Verbose: verbose}), rep))
		assert.Regexp(t, `authers/auth-0\s+auth\s+http://127\.0\.0\.1:8000/auth\s+http\s+plaintext\s+NONE\n`, got, "verbose=%v", verbose)
		assert.NotContains(t, got, "PASS", "verbose=%v", verbose)
	}
}

// TestTextShortExchange: a failed step shows what was sent and what came
// back, each on one bounded line with the plugin's control characters
// escaped; a warned step does not.
func TestTextShortExchange(t *testing.T) {
	t.Parallel()
	step := func(status report.Status, reply string) *report.Step {
		return &report.Step{Status: status,
			Checks: []report.Check{{Name: "expect", Status: status, Message: "ok: got false, want true"}},
			Observation: report.Observation{Sent: true, Request: []byte(`{"username": "gost",
				"password": "wrong"}`), Reply: reply}}
	}
	run := &report.Run{Module: "auth", Transport: "grpc", Target: report.Target{Addr: "127.0.0.1:1"}, Cases: []*report.Case{
		{ID: "s/grpc/fails", Status: report.Fail, Steps: []*report.Step{step(report.Fail, "{\"ok\":false,\"id\":\"\x1b[31m"+strings.Repeat("y", 500)+"\"}")}},
		{ID: "s/grpc/warns", Status: report.Warn, Steps: []*report.Step{step(report.Warn, `{"ok":false}`)}},
	}}
	rep := &report.Report{Runs: []*report.Run{run}}
	rep.Finish()
	got := string(render(t, report.NewText(report.TextOptions{}), rep))
	assert.Contains(t, got, "        sent: {\"username\":\"gost\",\"password\":\"wrong\"}\n")
	assert.Contains(t, got, "        got: {\"ok\":false,\"id\":\"\\x1b[31myyy")
	assert.NotContains(t, got, "\x1b", "the reply's escape is printed, not sent to the terminal")
	assert.Equal(t, 1, strings.Count(got, "sent:"), "only the failed step shows its exchange")
	for _, l := range strings.Split(got, "\n") {
		assert.Less(t, len(l), 400, "a bounded line: %q", l)
	}
}
