package check

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// diagnose sets run.Diagnosis when no call of the run got a usable answer
// from the plugin: it could not be reached, GOST could not speak to it, or
// it refused every call as unauthenticated. The diagnosis also heads the
// run's causes. A plugin that the TLS audit and the probe found answering
// in its protocol is not unreachable even when every call failed with
// gRPC Unavailable: that code came from the plugin, and the run's causes
// say so instead. probe says why nothing was reached; nil when there is no
// address to probe.
func diagnose(ctx context.Context, cfg mockclient.Config, run *report.Run, showToken bool, probe func(context.Context, mockclient.Config, *report.TLS) string) {
	sent, failed, unreachable, unauth, coded := 0, 0, 0, 0, 0
	var first, firstCall string
	for _, c := range run.Cases {
		for _, st := range c.Steps {
			o := wire(run.Transport, &st.Observation)
			if !o.Sent || o.Failure == mockclient.FailureRequest {
				continue
			}
			sent++
			if !o.OK() {
				failed++
			}
			switch {
			case slices.ContainsFunc(st.Notes, func(n report.Note) bool { return n.Code == mockclient.NoteGOSTTimeout }):
				// Reached, but too slow for GOST's timeout: the run's
				// causes say so; not a plugin that cannot be reached.
			case o.NoReply():
				unreachable++
				if first == "" {
					first, firstCall = st.Observation.Error, strings.TrimSpace(st.Observation.Method+" "+st.Observation.Target)
				}
				if o.Failure == mockclient.FailureTransport && st.Observation.Code != "" {
					coded++
				}
			case o.Unauthenticated():
				unauth++
			}
		}
	}
	cause := report.Cause{Code: suites.CauseUnreachable, Status: report.Fail, Sent: firstCall, Got: first,
		GOST: "no call reaches the plugin, so GOST applies the " + run.Module + " module's failure rule to all traffic"}
	connects, reason := run.TLS.Connects()
	switch {
	case sent == 0:
		return
	case failed == sent && !connects:
		// Also when the calls got an answer: an HTTPS server answers a
		// plaintext request with HTTP 400, which is no plugin reply.
		cause.Code, cause.Text = suites.CauseTLS, reason
		cause.Fix = "make the plugin's TLS and GOST's tls block agree (see the TLS section)"
		if e := run.TLS.Endpoint; e != nil && !e.Reachable {
			cause.Code, cause.Fix = suites.CauseUnreachable, "start the plugin, or correct --addr"
		}
	case unreachable == sent:
		if probe != nil {
			if d := probe(ctx, cfg, &run.TLS); d != "" {
				cause.Text = d
				cause.Fix = "start the plugin, or correct --addr"
				break
			}
		}
		if e := run.TLS.Endpoint; coded == sent && e != nil && e.Reachable {
			// The audit reached the address and the probe spoke the
			// protocol: the codes are the plugin's answers.
			run.Causes = suites.Explain(run, cfg, suites.ExplainOptions{ShowToken: showToken, Reachable: true})
			return
		}
		cause.Text = first
	case unauth == sent:
		// suites.Explain has already written the cause in these words.
		run.Diagnosis = suites.UnauthenticatedText(cfg.Token != "")
		return
	default:
		return
	}
	cause = suites.Tidy(cause, cfg.Token, showToken)
	run.Diagnosis = cause.Text
	cause.Cases = failedCases(run)
	run.Causes = append([]report.Cause{cause}, run.Causes...)
}

// wire is the part of mockclient's Observation that classifies a call,
// rebuilt from a report step, so that mockclient's own rules
// (Unauthenticated, NoReply) decide, with codes compared as codes.
func wire(transport string, o *report.Observation) *mockclient.Observation {
	return &mockclient.Observation{
		Transport:  mockclient.Transport(transport),
		Sent:       o.Sent,
		Failure:    mockclient.Failure(o.Failure),
		HTTPStatus: o.HTTPStatus,
		Code:       grpcCodes[o.Code],
	}
}

// grpcCodes reads back the code names a report holds (codes.Code.String).
var grpcCodes = func() map[string]codes.Code {
	m := make(map[string]codes.Code, 17)
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		m[c.String()] = c
	}
	return m
}()

// tlsCaveat adds a warning cause when GOST connects with the settings given
// but not cleanly: a gRPC connect slower than the 1 s grpc-go gives GOST's
// first attempt (its first calls fail with Unavailable), or an HTTP TLS
// handshake that every new connection waits for. The run warns, so that
// --strict can gate on it; the TLS section has the detail.
func tlsCaveat(cfg mockclient.Config, run *report.Run, showToken bool) {
	if run.Diagnosis != "" {
		return
	}
	connects, reason := run.TLS.Connects()
	if !connects || reason == "" {
		return
	}
	addTLSWarning(cfg, run, showToken,
		"GOST connects with the settings given, with a caveat: "+reason,
		"see the TLS section: GOST's own connect deadlines decide which calls fail or wait",
		"make the plugin accept connections and complete its TLS handshake promptly (well under 1 s)")
}

// addTLSWarning adds the run's one warning cause about how GOST connects.
func addTLSWarning(cfg mockclient.Config, run *report.Run, showToken bool, text, gost, fix string) {
	cause := suites.Tidy(report.Cause{
		Code: suites.CauseTLS, Status: report.Warn, Text: text, Sent: cfg.Addr, GOST: gost, Fix: fix,
	}, cfg.Token, showToken)
	run.Causes = append(run.Causes, cause)
	suites.SortCauses(run.Causes)
}

// failedCases are the IDs of the run's failed cases.
func failedCases(run *report.Run) []string {
	var out []string
	for _, c := range run.Cases {
		if c.Status == report.Fail {
			out = append(out, c.ID)
		}
	}
	return out
}

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

// slowConnect warns, once, when the run's own gRPC connect missed the 1 s
// grpc-go gives GOST's first attempt, and the TLS section has not already
// said so: GOST's first calls would fail with Unavailable until a later
// attempt connects. The cases ran on the connection once it was up, so
// their verdicts are the plugin's.
func slowConnect(cfg mockclient.Config, run *report.Run, res mockclient.ConnectResult, showToken bool) {
	if !res.MissedFirstDeadline || run.Diagnosis != "" {
		return
	}
	for _, c := range run.Causes {
		if c.Code == suites.CauseTLS {
			return
		}
	}
	took := res.Took.Round(10 * time.Millisecond)
	addTLSWarning(cfg, run, showToken,
		fmt.Sprintf("GOST's first calls would fail: the run's gRPC connect to %s missed the 1 s grpc-go gives GOST's first connect attempt, and a later attempt connected after %s", cfg.Addr, took),
		"grpc-go gives GOST's connect attempts 1 s, 1.6 s, 2.56 s … and fails calls with Unavailable in between; plugincheck waited for the connection before its cases, so their verdicts are the plugin's",
		"make the plugin accept connections and complete its TLS handshake promptly (well under 1 s); on a busy machine this can be the machine, not the plugin")
}
