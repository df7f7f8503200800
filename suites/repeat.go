package suites

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/plugincheck/plugincheck/mockclient"
)

// repeater returns how the stable and concurrent checks of step st repeat
// its call: the request rendered once for the step (mockclient's Prepare:
// over gRPC the v0.5.0 message marshalled once), then made up to
// Concurrency+1 times. Each repeat still applies GOST's skip, verdict and
// failure rules and records the same Observation as Operation.Do; only
// the per-call building and marshalling of the request is saved, which
// with nine repeats a step was the largest share of the calls' own work.
func (r *runner) repeater(st *Step) func(context.Context) mockclient.Outcome {
	p, err := st.Op.Prepare(r.c, st.Request)
	if err != nil {
		// A request of another type than the operation's: Do reports it
		// as it did before.
		return func(ctx context.Context) mockclient.Outcome { return st.Op.Do(ctx, r.c, st.Request) }
	}
	return p.Do
}

// maxInternedVerdicts bounds the distinct verdicts a run shares between
// its steps; maxInternedVerdict bounds the JSON of one.
const (
	maxInternedVerdicts = 4096
	maxInternedVerdict  = 1 << 10
)

// verdicts shares equal verdict values between the steps of a run: a large
// suite gets the same few verdicts ({"ok":true,"id":"gost"}) thousands of
// times, and each step's report kept its own decoded copy. Reports only
// read a step's Actual, so one value serves every step whose verdict
// renders the same JSON. Verdicts with long strings are not kept.
type verdicts struct {
	mu sync.Mutex
	m  map[string]any
}

// value is toJSONValue(v), shared with earlier steps of the run when
// their verdict rendered the same JSON.
func (vs *verdicts) value(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	if len(b) > maxInternedVerdict {
		return decodeJSON(b)
	}
	vs.mu.Lock()
	out, ok := vs.m[string(b)]
	vs.mu.Unlock()
	if ok {
		return out
	}
	out = decodeJSON(b)
	vs.mu.Lock()
	if vs.m == nil {
		vs.m = make(map[string]any)
	}
	if len(vs.m) < maxInternedVerdicts {
		vs.m[string(b)] = out
	}
	vs.mu.Unlock()
	return out
}

// decodeJSON is the generic value of JSON text b; nil if b is not JSON.
func decodeJSON(b []byte) any {
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}
