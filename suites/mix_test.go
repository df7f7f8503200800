package suites

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
)

func TestMix(t *testing.T) {
	t.Parallel()
	auth, err := ParseBytes("auth.yaml", []byte(`
name: Mix
module: auth
cases:
  - {name: heavy, weight: 3, request: {username: a}}
  - {name: default, request: {username: b}}
  - {name: off, weight: 0, request: {username: c}}
  - {name: grpc-only, transports: [grpc], request: {username: d}}
`))
	require.NoError(t, err)
	sd, err := ParseBytes("sd.yaml", []byte(`
name: Life
module: sd
cases:
  - name: cycle
    steps:
      - {op: register, request: {service: {id: a}}}
      - {op: get, request: {name: a}}
  - {name: get, op: get, request: {name: a}}
`))
	require.NoError(t, err)

	tests := []struct {
		name      string
		m         mockclient.Module
		t         mockclient.Transport
		filter    Filter
		wantIDs   []string
		wantW     []float64
		wantNotes int
		wantErr   error
	}{
		{name: "weights and transports", m: mockclient.Auth, t: mockclient.HTTP, wantIDs: []string{"mix/http/heavy", "mix/http/default"}, wantW: []float64{3, 1}},
		{name: "grpc adds its case", m: mockclient.Auth, t: mockclient.GRPC, wantIDs: []string{"mix/grpc/heavy", "mix/grpc/default", "mix/grpc/grpc-only"}, wantW: []float64{3, 1, 1}},
		{name: "filter", m: mockclient.Auth, t: mockclient.GRPC, filter: Filter{Run: []string{"default"}}, wantIDs: []string{"mix/grpc/default"}, wantW: []float64{1}},
		{name: "steps left out with a note", m: mockclient.SD, t: mockclient.GRPC, wantIDs: []string{"life/grpc/get"}, wantW: []float64{1}, wantNotes: 1},
		{name: "only weight 0", m: mockclient.Auth, t: mockclient.GRPC, filter: Filter{Run: []string{"off"}}, wantErr: ErrNoMatch},
		{name: "nothing selected", m: mockclient.Auth, t: mockclient.GRPC, filter: Filter{Run: []string{"nope"}}, wantErr: ErrNoMatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mix, notes, err := Mix([]*Suite{auth, sd}, tt.m, tt.t, tt.filter)
			if tt.wantErr != nil {
				assert.True(t, errors.Is(err, tt.wantErr), "err = %v; want %v", err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			var ids []string
			var ws []float64
			for _, c := range mix {
				ids = append(ids, c.ID)
				ws = append(ws, c.Weight)
			}
			assert.Equal(t, tt.wantIDs, ids)
			assert.Equal(t, tt.wantW, ws)
			assert.Len(t, notes, tt.wantNotes)
		})
	}
}

func TestMixStable(t *testing.T) {
	t.Parallel()
	s, err := ParseBytes("sd.yaml", []byte("name: S\nmodule: sd\ncases:\n  - {name: get, op: get, request: {name: a}}\n"))
	require.NoError(t, err)
	mix, _, err := Mix([]*Suite{s}, mockclient.SD, mockclient.GRPC, Filter{})
	require.NoError(t, err)
	assert.False(t, mix[0].Stable, "sd get changes with the registry; its verdict may change under load")
}

func TestVerdictLabel(t *testing.T) {
	t.Parallel()
	auth, _ := mockclient.LookupOperation(mockclient.Auth, "")
	hop, _ := mockclient.LookupOperation(mockclient.Hop, "")
	assert.Equal(t, `{"id":"gost","ok":true}`, VerdictLabel(auth, mockclient.AuthVerdict{OK: true, ID: "gost"}))
	assert.Equal(t, `{"selected":true}`, VerdictLabel(hop, mockclient.HopVerdict{Selected: true, Node: &mockclient.HopNode{Name: "n1"}}))
}

func TestMixRejectsWeightsAddingUpToInfinity(t *testing.T) {
	t.Parallel()
	// Each weight is finite, so the parser takes it; their sum is not.
	s, err := ParseBytes("huge.yaml", []byte(`name: Huge
module: auth
cases:
  - {name: a, weight: 1e308, request: {username: a}}
  - {name: b, weight: 1e308, request: {username: b}}
`))
	require.NoError(t, err)
	_, _, err = Mix([]*Suite{s}, mockclient.Auth, mockclient.GRPC, Filter{})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrWeightTotal)
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "huge.yaml", pe.File)
	assert.Equal(t, 5, pe.Line, "the case that took the total past the maximum")
	assert.Equal(t, "cases[1].weight", pe.Field)
	assert.NotContains(t, err.Error(), "\n")

	// The same weights, one per transport, do not add up.
	one, err := ParseBytes("big.yaml", []byte(`name: Big
module: auth
cases:
  - {name: a, weight: 1e308, request: {username: a}}
  - {name: b, weight: 1, request: {username: b}}
`))
	require.NoError(t, err)
	mix, _, err := Mix([]*Suite{one}, mockclient.Auth, mockclient.GRPC, Filter{})
	require.NoError(t, err)
	assert.Len(t, mix, 2)
}
