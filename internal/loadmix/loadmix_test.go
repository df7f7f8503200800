package loadmix

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

func TestPickFollowsWeights(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		weights []float64
		calls   int
	}{
		{name: "equal", weights: []float64{1, 1, 1}, calls: 3000},
		{name: "three to one", weights: []float64{3, 1}, calls: 400},
		{name: "decimals", weights: []float64{0.5, 2.25, 0.25}, calls: 1000},
		{name: "one case", weights: []float64{7}, calls: 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cases := make([]suites.MixCase, len(tt.weights))
			total := 0.0
			for i, w := range tt.weights {
				cases[i] = suites.MixCase{ID: string(rune('a' + i)), Weight: w}
				total += w
			}
			c, err := New(cases, []*mockclient.Client{{}})
			require.NoError(t, err)
			got := make([]int, len(cases))
			for n := range uint64(tt.calls) {
				got[c.Pick(n)]++
			}
			for i, w := range tt.weights {
				want := float64(tt.calls) * w / total
				// A low-discrepancy sequence stays within a few calls of the
				// exact share over any run length.
				assert.InDelta(t, want, got[i], 3, "case %d: got %d calls; want %.1f", i, got[i], want)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	_, err := New([]suites.MixCase{{Weight: 0}}, []*mockclient.Client{{}})
	assert.True(t, errors.Is(err, ErrEmptyMix))
	_, err = New([]suites.MixCase{{Weight: -1}}, []*mockclient.Client{{}})
	assert.Error(t, err)
	_, err = New([]suites.MixCase{{Weight: 1}}, nil)
	assert.Error(t, err)
}

func TestErrorLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		o    mockclient.Observation
		want string
	}{
		{mockclient.Observation{Transport: mockclient.GRPC, Failure: mockclient.FailureTransport, Code: codes.Unavailable}, "grpc Unavailable"},
		{mockclient.Observation{Transport: mockclient.GRPC, Failure: mockclient.FailureStatus, Code: codes.PermissionDenied}, "grpc PermissionDenied"},
		{mockclient.Observation{Transport: mockclient.GRPC, Failure: mockclient.FailureTimeout, Code: codes.Canceled}, "timeout (plugincheck's --call-timeout)"},
		{mockclient.Observation{Transport: mockclient.HTTP, Failure: mockclient.FailureStatus, HTTPStatus: 503}, "http 503"},
		{mockclient.Observation{Transport: mockclient.HTTP, Failure: mockclient.FailureTransport}, "transport failure"},
		{mockclient.Observation{Transport: mockclient.HTTP, Failure: mockclient.FailureDecode, HTTPStatus: 200}, "decode failure"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ErrorLabel(&tt.o))
	}
}
