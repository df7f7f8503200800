package check

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// Test runs Module as Go subtests of t: one per case, named by the case ID
// (<suite>/<transport>/<case>), so that `go test -run 'TestPlugin/auth-request-shapes/grpc'`
// reports the cases it matches. Every selected case is sent to the plugin
// either way; opts.Run.Filter chooses which cases are sent. A failed case
// fails its subtest with the fixture's file:line, the expected and the
// actual verdict, and the cause; a warned or skipped case is logged or
// skipped. A run-level failure, such as a plugin GOST cannot reach, fails
// t itself. Test returns the run for further assertions; nil when the
// check could not be done, in which case t has failed.
func Test(t *testing.T, cfg mockclient.Config, m mockclient.Module, opts Options) *report.Run {
	t.Helper()
	return test(testingT{t}, cfg, m, opts)
}

// tester is the part of *testing.T that Test uses, so that its own tests
// can watch a case fail without failing themselves.
type tester interface {
	Helper()
	Errorf(format string, args ...any)
	Logf(format string, args ...any)
	Skipf(format string, args ...any)
	Run(name string, f func(tester)) bool
	Context() context.Context
}

// testingT adapts *testing.T to tester.
type testingT struct{ *testing.T }

func (t testingT) Run(name string, f func(tester)) bool {
	t.T.Helper()
	return t.T.Run(name, func(t *testing.T) {
		// A case's failure is reported at the caller's Test line: the
		// fixture's file:line is in the message.
		t.Helper()
		f(testingT{t})
	})
}

var _ tester = testingT{}

func test(t tester, cfg mockclient.Config, m mockclient.Module, opts Options) *report.Run {
	t.Helper()
	run, err := Module(t.Context(), cfg, m, opts)
	if run == nil {
		t.Errorf("check %s: %v", m, err)
		return nil
	}
	for _, c := range run.Cases {
		t.Run(c.ID, func(t tester) {
			t.Helper()
			switch c.Status {
			case report.Skip:
				t.Skipf("%s", c.SkipReason)
			case report.Fail:
				t.Errorf("%s", caseText(run, c))
			case report.Warn:
				t.Logf("%s", caseText(run, c))
			}
		})
	}
	if err != nil {
		t.Errorf("check %s over %s stopped early: %v", run.Module, run.Transport, err)
	}
	if run.Diagnosis != "" {
		t.Errorf("%s over %s: GOST cannot use the plugin: %s", run.Module, run.Transport, run.Diagnosis)
	}
	for _, c := range run.Causes {
		if len(c.Cases) > 0 {
			continue // told by the subtests of its cases
		}
		switch c.Status {
		case report.Fail:
			t.Errorf("%s", causeText(c))
		case report.Warn:
			t.Logf("%s", causeText(c))
		}
	}
	for _, n := range run.Notes {
		t.Logf("note: %s", n)
	}
	return run
}

// caseText is what a failed or warned case prints: where its fixture is,
// then for each step that did not pass the expected and the actual
// verdict and the checks that failed or warned, then the causes that
// explain the case.
func caseText(run *report.Run, c *report.Case) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", strings.ToUpper(string(c.Status)), c.ID)
	if c.File != "" {
		fmt.Fprintf(&b, " (%s:%d)", c.File, c.Line)
	}
	protosetHint := false
	for i, st := range c.Steps {
		if st.Status == report.Pass {
			continue
		}
		fmt.Fprintf(&b, "\n  step %d %s:", i+1, st.Op)
		if st.Expected != nil {
			fmt.Fprintf(&b, "\n    expected: %s", compact(st.Expected))
		}
		fmt.Fprintf(&b, "\n    actual:   %s", compact(st.Actual))
		for _, ch := range st.Checks {
			if ch.Status == report.Pass {
				continue
			}
			fmt.Fprintf(&b, "\n    %s %s: %s", ch.Status, ch.Name, ch.Message)
		}
		if st.Observation.Error != "" {
			fmt.Fprintf(&b, "\n    error: %s", st.Observation.Error)
		}
		if st.Reproducer != "" {
			fmt.Fprintf(&b, "\n    repro: %s", st.Reproducer)
			if !protosetHint && strings.Contains(st.Reproducer, mockclient.ProtosetVariable) {
				protosetHint = true
				fmt.Fprintf(&b, "\n    (grpcurl reads the plugin protos from %s; make it with: plugincheck protoset > %s)", mockclient.ProtosetFile, mockclient.ProtosetFile)
			}
		}
	}
	for _, cause := range run.Causes {
		if slices.Contains(cause.Cases, c.ID) {
			fmt.Fprintf(&b, "\n  %s", causeText(cause))
		}
	}
	return b.String()
}

// causeText is one cause: its headline, what GOST does and the fix.
func causeText(c report.Cause) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cause %s (%s): %s", c.Code, c.Status, c.Text)
	if c.Sent != "" {
		fmt.Fprintf(&b, "\n    sent: %s", c.Sent)
	}
	if c.Got != "" {
		fmt.Fprintf(&b, "\n    got:  %s", c.Got)
	}
	if c.GOST != "" {
		fmt.Fprintf(&b, "\n    GOST: %s", c.GOST)
	}
	if c.Fix != "" {
		fmt.Fprintf(&b, "\n    fix:  %s", c.Fix)
	}
	return b.String()
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
