package suites

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
)

// TestRepeaterSameOutcome: a repeat made through repeater (the request
// prepared once for the step) gives the Outcome Operation.Do gives: the
// same verdict, failure, status, notes and observation, with a latency
// and phase timing recorded, for every repeated step of the built-in and
// reference suites, against the reference plugins over real loopback
// gRPC and HTTP, clients built as a module run builds them.
func TestRepeaterSameOutcome(t *testing.T) {
	t.Parallel()
	ss, err := Parse(fixtures.FS, fixtures.BuiltinDir, fixtures.ReferenceDir)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	srv, err := refplugin.Start(ctx, refplugin.Options{Token: "s3cret"})
	require.NoError(t, err)
	defer srv.Close()

	for _, tr := range mockclient.Transports() {
		t.Run(string(tr), func(t *testing.T) {
			steps := 0
			for _, m := range mockclient.Modules() {
				if sharesState(m) {
					continue // its calls change what the next one sees
				}
				addr := srv.GRPCAddr()
				if tr == mockclient.HTTP {
					addr = srv.HTTPURL(string(m))
				}
				c, err := mockclient.New(mockclient.Config{Addr: addr, Transport: tr, Token: "s3cret", Module: m, CallTimeout: time.Minute})
				require.NoError(t, err)
				defer c.Close()
				r := &runner{c: c}
				repeat := mockclient.WithoutCopies(ctx)
				for _, s := range ss {
					if s.Module != m {
						continue
					}
					for _, cs := range s.Cases {
						for i, st := range cs.Steps {
							if !repeated(st) {
								continue
							}
							where := fmt.Sprintf("%s %s step %d", s.Name, cs.Name, i)
							want := st.Op.Do(repeat, c, st.Request)
							got := r.repeater(st)(repeat)
							sameOutcome(t, where, stableKeys(st.Op), want, got)
							steps++
						}
					}
				}
			}
			assert.Greater(t, steps, 20, "repeated steps compared")
		})
	}
}

// repeated reports a step whose call the stable or concurrent check makes
// again.
func repeated(st *Step) bool {
	for _, ch := range st.Checks {
		if ch == CheckStable || ch == CheckConcurrent {
			return true
		}
	}
	return false
}

// sameOutcome compares what the runner reads of a repeat: the verdict (on
// the keys the stable check compares), failure, status and notes, and that
// a latency and a phase timing were recorded.
func sameOutcome(t *testing.T, where string, keys []string, want, got mockclient.Outcome) {
	t.Helper()
	assert.Equal(t, project(toJSONValue(want.Verdict), keys), project(toJSONValue(got.Verdict), keys), "%s: verdict", where)
	assert.Equal(t, want.Failure, got.Failure, "%s: failure", where)
	assert.Equal(t, want.Sent, got.Sent, "%s: sent", where)
	assert.Equal(t, want.Code, got.Code, "%s: gRPC code", where)
	assert.Equal(t, want.HTTPStatus, got.HTTPStatus, "%s: HTTP status", where)
	assert.Equal(t, want.Method, got.Method, "%s: method", where)
	assert.Equal(t, want.Target, got.Target, "%s: target", where)
	assert.Equal(t, want.Header, got.Header, "%s: header", where)
	assert.Equal(t, want.Request, got.Request, "%s: request copy", where)
	assert.Equal(t, want.TLS == nil, got.TLS == nil, "%s: TLS state", where)
	assert.Equal(t, noteCodes(want.Notes), noteCodes(got.Notes), "%s: notes", where)
	if want.Sent {
		assert.Positive(t, got.Latency, "%s: latency recorded", where)
		assert.Equal(t, want.Timing != nil, got.Timing != nil, "%s: phase timing recorded", where)
	}
}

func noteCodes(ns []mockclient.Note) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Code)
	}
	return out
}

// TestVerdictsShared: equal verdicts decode to one shared value, verdicts
// that differ do not, and the value is toJSONValue's; long verdicts and
// those past the bound are decoded each time.
func TestVerdictsShared(t *testing.T) {
	t.Parallel()
	type verdict struct {
		OK bool   `json:"ok"`
		ID string `json:"id"`
	}
	var vs verdicts
	a, b := vs.value(verdict{OK: true, ID: "gost"}), vs.value(verdict{OK: true, ID: "gost"})
	assert.Equal(t, toJSONValue(verdict{OK: true, ID: "gost"}), a)
	assert.Equal(t, mapOf(t, a), mapOf(t, b), "equal verdicts share one value")
	c := vs.value(verdict{OK: false})
	assert.Equal(t, map[string]any{"ok": false, "id": ""}, c)

	long := verdict{ID: string(make([]byte, maxInternedVerdict))}
	assert.NotEqual(t, mapOf(t, vs.value(long)), mapOf(t, vs.value(long)), "a long verdict is not kept")
	assert.Nil(t, vs.value(func() {}), "a verdict that does not marshal")

	var full verdicts
	for i := range maxInternedVerdicts + 10 {
		full.value(verdict{ID: fmt.Sprint(i)})
	}
	assert.Len(t, full.m, maxInternedVerdicts, "bounded")
	assert.Equal(t, map[string]any{"ok": false, "id": "past"}, full.value(verdict{ID: "past"}))
}

// mapOf is the identity of the map v holds.
func mapOf(t *testing.T, v any) uintptr {
	t.Helper()
	_, ok := v.(map[string]any)
	require.True(t, ok, "%T", v)
	return reflect.ValueOf(v).Pointer()
}
