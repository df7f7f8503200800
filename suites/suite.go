// Package suites parses plugincheck's YAML fixture suites and runs them
// against a plugin through mockclient. It decides what to check; it never
// prints, and it returns failed checks as report data, not as errors.
package suites

import (
	"encoding/json"
	"strings"

	"github.com/plugincheck/plugincheck/mockclient"
)

// Check names. A step runs the checks its case, suite or operation selects.
const (
	// CheckReply: the plugin replied and GOST could decode the reply.
	CheckReply = "reply"
	// CheckStable: the same call made again gives the same verdict.
	CheckStable = "stable"
	// CheckConcurrent: identical calls made at once all give the same verdict.
	CheckConcurrent = "concurrent"
	// CheckLatency: every call of the step stays inside the latency budget.
	CheckLatency = "latency"
)

// Checks that only run when a fixture asks for them, or that always run.
const (
	// CheckExpect compares the verdict with the case's expect block.
	CheckExpect = "expect"
	// CheckPolicy raises the case's warning when its warn_if block matches.
	CheckPolicy = "policy"
	// CheckSanity applies the module's sanity rules to GOST's notes.
	CheckSanity = "sanity"
)

// selectableChecks are the checks a fixture may list under `checks:`.
var selectableChecks = []string{CheckReply, CheckStable, CheckConcurrent, CheckLatency}

// Suite is one parsed fixture file: cases for one module.
type Suite struct {
	// Name is the suite's Title Case name; its slug starts every case ID.
	Name        string
	Module      mockclient.Module
	Description string
	// File is where the suite came from, for error messages and reports.
	File string
	// Transports the suite applies to; empty means both.
	Transports []mockclient.Transport
	// Checks overrides the operations' default checks for every case.
	Checks []string
	Cases  []*Case
}

// Slug is the suite name in kebab-case, as used in case IDs.
func (s *Suite) Slug() string { return slugify(s.Name) }

// Case is one named scenario: a single call, or ordered steps for stateful
// modules (sd register → get → renew → deregister → get).
type Case struct {
	Name string
	Doc  string
	Line int
	// Transports the case applies to; empty means the suite's.
	Transports []mockclient.Transport
	// Weight is the case's share of a load test's request mix, relative to
	// the other cases; 0 leaves it out of load tests. The default is 1.
	Weight float64
	Steps  []*Step
}

// Step is one GOST-level call and what is expected of it.
type Step struct {
	Op   mockclient.Operation
	Line int
	// Request is a pointer to the operation's request type.
	Request any
	// Expect holds the expected verdict fields (partial match); nil means
	// no expectation.
	Expect map[string]any
	// WarnIf raises Warning when the verdict matches it.
	WarnIf  map[string]any
	Warning string
	// Checks are the checks this step runs besides expect, policy and sanity.
	Checks []string
}

// RequestJSON renders the request with proto field names.
func (s *Step) RequestJSON() json.RawMessage {
	b, err := json.Marshal(s.Request)
	if err != nil {
		return json.RawMessage(`null`)
	}
	return b
}

// appliesTo reports whether transport t is in ts (empty means all).
func appliesTo(ts []mockclient.Transport, t mockclient.Transport) bool {
	if len(ts) == 0 {
		return true
	}
	for _, x := range ts {
		if x == t {
			return true
		}
	}
	return false
}

// defaultChecks are the checks an operation runs when no fixture says
// otherwise. Calls with side effects are not repeated.
func defaultChecks(op mockclient.Operation) []string {
	switch op.Module + "/" + mockclient.Module(op.Name) {
	case "ingress/set_rule", "sd/register", "sd/renew", "sd/deregister", "sd/get":
		return []string{CheckReply, CheckLatency}
	}
	return selectableChecks
}

// stableKeys are the verdict fields that must repeat for the stable and
// concurrent checks; nil means the whole verdict. A hop plugin may balance
// load across nodes, so only whether a node was selected must repeat.
func stableKeys(op mockclient.Operation) []string {
	if op.Module == mockclient.Hop {
		return []string{"selected"}
	}
	return nil
}

func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}
