package suites

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// sameMap reports whether a and b are one map, not two equal ones.
func sameMap(a, b map[string]any) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// sameBytes reports whether a and b share their backing array.
func sameBytes(a, b []byte) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }

// sameChecks reports whether a and b share their backing array.
func sameChecks(a, b []report.Check) bool { return unsafe.SliceData(a) == unsafe.SliceData(b) }

// sameString reports whether a and b share their bytes.
func sameString(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

// TestParseSharesEqualPatterns: steps of a file whose expect or warn_if
// blocks are equal hold one map; different blocks keep their own, and
// the canonical shapes (a YAML int as float64) are kept.
func TestParseSharesEqualPatterns(t *testing.T) {
	t.Parallel()
	ss := mustParse(t, `
name: Shared
module: auth
cases:
  - name: a
    request: {username: gost, password: gost}
    expect: {ok: true, id: gost}
  - name: b
    request: {username: alice, password: x}
    expect: {id: gost, ok: true}
  - name: c
    request: {username: bob, password: x}
    expect: {ok: false}
  - name: d
    request: {username: eve, password: x}
    warn_if: {ok: false}
    warning: refused
`)
	steps := func(i int) *Step { return ss[0].Cases[i].Steps[0] }
	assert.True(t, sameMap(steps(0).Expect, steps(1).Expect), "equal expect blocks share one map")
	assert.False(t, sameMap(steps(0).Expect, steps(2).Expect), "different expect blocks keep their own")
	assert.True(t, sameMap(steps(2).Expect, steps(3).WarnIf), "an expect and a warn_if block that are equal share too")
	assert.Equal(t, map[string]any{"ok": true, "id": "gost"}, steps(0).Expect)
}

// TestParseSharesEqualRequests: steps of a file with equal requests hold
// one request value; a request that differs in any field keeps its own.
func TestParseSharesEqualRequests(t *testing.T) {
	t.Parallel()
	ss := mustParse(t, `
name: Requests
module: auth
cases:
  - name: a
    request: {username: gost, password: gost}
  - name: b
    request: {password: gost, username: gost, client: ""}
  - name: c
    request: {username: gost, password: gost, client: "127.0.0.1:1"}
`)
	req := func(i int) any { return ss[0].Cases[i].Steps[0].Request }
	assert.Same(t, req(0).(*mockclient.AuthRequest), req(1).(*mockclient.AuthRequest), "equal requests share one value")
	assert.NotSame(t, req(0).(*mockclient.AuthRequest), req(2).(*mockclient.AuthRequest))
	assert.Equal(t, "127.0.0.1:1", req(2).(*mockclient.AuthRequest).Client)
}

// TestCanonicalInPlace: canonical converts a decoded YAML value to JSON's
// shapes in the value itself, with no copy of its maps and lists.
func TestCanonicalInPlace(t *testing.T) {
	raw := map[string]any{"n": 3, "list": []any{1, "x", map[string]any{"m": int64(2)}}, "s": "y"}
	got, err := canonical(raw)
	require.NoError(t, err)
	m, ok := got.(map[string]any)
	require.True(t, ok)
	assert.True(t, sameMap(raw, m), "the map itself is converted")
	assert.Equal(t, map[string]any{"n": float64(3), "list": []any{float64(1), "x", map[string]any{"m": float64(2)}}, "s": "y"}, m)
	allocs := testing.AllocsPerRun(100, func() { _, _ = canonical(m) })
	assert.Zero(t, allocs, "canonical of a value already in JSON's shapes copies nothing")
}

// TestRunSharesEqualTexts: cases that make the same call keep one copy of
// the request, the observed request and reply, and the reproducer from
// the second on (the first is the one met once); a case with another
// request keeps its own. Equal checks share one list from the first on,
// and each step's checks take no more room than the checks it made.
func TestRunSharesEqualTexts(t *testing.T) {
	t.Parallel()
	c := authPlugin(t, mockclient.Config{Transport: mockclient.HTTP}, gostPolicy)
	ss := mustParse(t, `
name: Same
module: auth
cases:
  - name: first
    request: {username: gost, password: gost}
    expect: {ok: true}
  - name: again
    request: {username: gost, password: gost}
    expect: {ok: true}
  - name: third
    request: {username: gost, password: gost}
    expect: {ok: true}
  - name: other
    request: {username: gost, password: other}
    expect: {ok: true}
`)
	run, err := Run(t.Context(), c, mockclient.Auth, ss, RunOptions{Workers: 1})
	require.NoError(t, err)
	step := func(name string) *report.Step { return caseByName(t, run, name).Steps[0] }
	a, b, c3, o := step("first"), step("again"), step("third"), step("other")

	require.Equal(t, string(a.Request), string(b.Request))
	assert.True(t, sameBytes(b.Request, c3.Request), "request")
	assert.True(t, sameBytes(b.Observation.Request, c3.Observation.Request), "observed request")
	assert.True(t, sameString(b.Observation.Reply, c3.Observation.Reply), "reply")
	require.NotEmpty(t, b.Reproducer)
	assert.True(t, sameString(b.Reproducer, c3.Reproducer), "reproducer")
	assert.False(t, sameBytes(b.Request, o.Request), "another request keeps its own bytes")
	assert.NotEqual(t, b.Reproducer, o.Reproducer)

	assert.True(t, sameChecks(a.Checks, b.Checks), "equal checks share one list")
	assert.True(t, sameChecks(a.Checks, c3.Checks), "equal checks share one list")
	assert.False(t, sameChecks(a.Checks, o.Checks), "checks that differ keep their own")
	for _, st := range []*report.Step{a, b, c3, o} {
		assert.Len(t, st.Checks, cap(st.Checks), "checks of %s", st.Request)
		// An append by a reader copies rather than writing into the
		// bytes another step shows.
		assert.Equal(t, len(st.Request), cap(st.Request))
	}
}

// TestRunSharesOnlyRedacted: a reply echoing the token is redacted before
// it is shared, so no step of the run shows the token, and the steps
// share the redacted text.
func TestRunSharesOnlyRedacted(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token"
	c := authPlugin(t, mockclient.Config{Transport: mockclient.HTTP, Token: token}, func(_ int64, user, _ string) (int, string) {
		return 200, `{"ok":false,"id":"` + token + `"}`
	})
	ss := mustParse(t, `
name: Echo
module: auth
cases:
  - name: one
    request: {username: a, password: x}
  - name: two
    request: {username: a, password: x}
  - name: three
    request: {username: a, password: x}
`)
	run, err := Run(t.Context(), c, mockclient.Auth, ss, RunOptions{Workers: 1})
	require.NoError(t, err)
	var steps []*report.Step
	for _, name := range []string{"one", "two", "three"} {
		st := caseByName(t, run, name).Steps[0]
		assert.NotContains(t, st.Observation.Reply, token)
		assert.NotContains(t, st.Reproducer, token)
		steps = append(steps, st)
	}
	assert.True(t, sameString(steps[1].Observation.Reply, steps[2].Observation.Reply))
}

// TestTextsBounds: texts shares nothing longer than maxSharedText and keeps
// at most maxSharedTexts of each kind; equal text under the bounds comes
// back as the copy kept when it was met again.
func TestTextsBounds(t *testing.T) {
	t.Parallel()
	var ts texts
	long := strings.Repeat("x", maxSharedText+1)
	assert.False(t, sameString(ts.str(long), ts.str(strings.Clone(long))), "a long string is not shared")
	jl := `"` + long + `"`
	assert.False(t, sameBytes(ts.raw(jl), ts.raw(jl)), "long JSON is not shared")

	once := ts.raw(`{"a":1}`)
	kept := ts.raw(`{"a":1}`)
	assert.False(t, sameBytes(once, kept), "a text is kept when met again")
	assert.True(t, sameBytes(kept, ts.raw(`{"a":1}`)))
	ts.raw(`{"a":2}`)
	assert.False(t, sameBytes(kept, ts.raw(`{"a":2}`)))
	ts.str(strings.Clone("reply"))
	s := ts.str(strings.Clone("reply"))
	assert.True(t, sameString(s, ts.str(strings.Clone("reply"))))

	for i := range 2 * maxSharedTexts {
		for range 2 { // met again: kept while there is room
			ts.str(strings.Repeat("y", i%maxSharedText+1) + string(rune('a'+i/maxSharedText)))
			ts.raw(`[` + strings.Repeat("1,", i%maxSharedText/2) + strings.Repeat(" ", i/(maxSharedText/2)) + `1]`)
		}
	}
	assert.LessOrEqual(t, len(ts.seen), maxSharedTexts)
	assert.LessOrEqual(t, len(ts.strs), maxSharedTexts)
	assert.LessOrEqual(t, len(ts.raws), maxSharedTexts)
	assert.NotEmpty(t, ts.strs)
	assert.NotEmpty(t, ts.raws)
}

// TestChecksNotSharedWhenRewritten: a list of checks is shared only when
// nothing writes into it later: not when the run's token appears in it
// (package check's last pass redacts it in place, once per step holding
// it), and not when the latency check waits for the run's median
// (finish rewrites it).
func TestChecksNotSharedWhenRewritten(t *testing.T) {
	t.Parallel()
	var ts texts
	cs := func() []report.Check {
		return []report.Check{{Name: CheckReply, Status: report.Pass}, {Name: CheckExpect, Status: report.Pass}}
	}
	first := ts.checkList(cs(), "s3cret")
	assert.True(t, sameChecks(first, ts.checkList(cs(), "s3cret")))
	for _, token := range []string{"pass", "e"} {
		var ts texts // a run has one token
		first := ts.checkList(cs(), token)
		assert.False(t, sameChecks(first, ts.checkList(cs(), token)), "token %q is found in the checks", token)
	}

	// Two single-call steps over the budget: each waits for the run's
	// median, so each keeps its own list, and finish judges each.
	c := authPlugin(t, mockclient.Config{Transport: mockclient.HTTP}, gostPolicy)
	ss := mustParse(t, `
name: Short
module: auth
checks: [reply, latency]
cases:
  - name: one
    request: {username: gost, password: gost}
  - name: two
    request: {username: gost, password: gost}
`)
	run, err := Run(t.Context(), c, mockclient.Auth, ss, RunOptions{Workers: 1, LatencyBudget: 1})
	require.NoError(t, err)
	a, b := caseByName(t, run, "one").Steps[0], caseByName(t, run, "two").Steps[0]
	assert.False(t, sameChecks(a.Checks, b.Checks), "checks a latency judgement rewrites")
	assert.Equal(t, a.Checks[1].Status, b.Checks[1].Status)
	assert.Contains(t, a.Checks[1].Message, "budget")
}

// TestIDBlocks: case IDs are carved one after another out of a block, and
// an ID that does not fit starts a new block rather than growing the full
// one (whose IDs would keep the old copy alive).
func TestIDBlocks(t *testing.T) {
	t.Parallel()
	var ids idBlocks
	a := ids.join("suite/grpc/", "case-1")
	b := ids.join("suite/grpc/", "case-2")
	assert.Equal(t, "suite/grpc/case-1", a)
	assert.Equal(t, "suite/grpc/case-2", b)
	assert.Equal(t, unsafe.Add(unsafe.Pointer(unsafe.StringData(a)), len(a)), unsafe.Pointer(unsafe.StringData(b)), "b follows a in one block")

	long := strings.Repeat("x", idBlockSize)
	c := ids.join("s/", long)
	assert.Equal(t, "s/"+long, c)
	d := ids.join("s/", "d")
	assert.Equal(t, "s/d", d)
	assert.Equal(t, "suite/grpc/case-1", a, "earlier IDs are unchanged")
}

// TestStepTimingAllocatedWithStep: a timed step's report holds its timing
// in the same allocation.
func TestStepTimingAllocatedWithStep(t *testing.T) {
	t.Parallel()
	c := authPlugin(t, mockclient.Config{Transport: mockclient.HTTP}, gostPolicy)
	ss := mustParse(t, `
name: Timed
module: auth
cases:
  - name: one
    request: {username: gost, password: gost}
`)
	run, err := Run(t.Context(), c, mockclient.Auth, ss, RunOptions{Workers: 1})
	require.NoError(t, err)
	st := caseByName(t, run, "one").Steps[0]
	require.NotNil(t, st.Observation.Timing)
	want := unsafe.Add(unsafe.Pointer(st), unsafe.Offsetof(timedStep{}.timing))
	assert.Equal(t, want, unsafe.Pointer(st.Observation.Timing))
	assert.Equal(t, 384, int(unsafe.Sizeof(timedStep{})), "timedStep fills the 384-byte size class; grown, it may waste what it saved")
}
