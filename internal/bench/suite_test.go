package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

func TestParseStatCPU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr string
	}{
		{
			name: "a bench serve process",
			stat: "4242 (bench) S 1 4242 4242 0 -1 4194560 9141 0 0 0 333 57 0 0 20 0 9 0 2684830 1380651008 5410 18446744073709551615",
			want: 3900 * time.Millisecond,
		},
		{
			name: "a name with spaces and parentheses",
			stat: "7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 1 1 1",
			want: 100 * time.Millisecond,
		},
		{name: "no name", stat: "7 a R 1", wantErr: "no command name"},
		{name: "cut short", stat: "7 (a) R 1 7 7", wantErr: "fields after the name"},
		{name: "not a number", stat: "7 (a) R 1 7 7 0 -1 0 0 0 0 0 x 5 0", wantErr: `cpu time "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseStatCPU([]byte(tt.stat))
			if tt.wantErr != "" {
				assert.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseSummary(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		out     string
		want    suiteTotals
		wantErr bool
	}{
		{
			name: "a failing run",
			out:  "FAIL  auth/grpc  addr 127.0.0.1:40763\n  Latency\n\nFAIL  10000 cases: 7500 pass, 1250 warn, 1250 fail, 0 skip  (1 run, 6.833s, started 2026-11-26T19:43:10Z)\n",
			want: suiteTotals{cases: 10000, pass: 7500, warn: 1250, fail: 1250},
		},
		{
			name: "the last summary counts",
			out:  "PASS  2 cases: 2 pass, 0 warn, 0 fail, 0 skip\nWARN  3 cases: 1 pass, 1 warn, 0 fail, 1 skip  (1 run)\n",
			want: suiteTotals{cases: 3, pass: 1, warn: 1, skip: 1},
		},
		{name: "no summary", out: "error: dial tcp: connection refused\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseSummary([]byte(tt.out))
			if tt.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestSuiteFixture: the section's fixture parses, with n auth cases of one
// step each, the rows in turn (the 8th for gRPC only).
func TestSuiteFixture(t *testing.T) {
	t.Parallel()
	s, err := suites.ParseBytes("auth10k.yaml", suiteFixture(20))
	require.NoError(t, err)
	assert.Equal(t, mockclient.Auth, s.Module)
	require.Len(t, s.Cases, 20)
	for i, c := range s.Cases {
		assert.Equal(t, fmt.Sprintf("case-%05d", i), c.Name)
		require.Len(t, c.Steps, 1)
		assert.Equal(t, i%len(suiteRows) == 7, len(c.Transports) == 1, "case %d: transports %v", i, c.Transports)
	}
	assert.Contains(t, string(suiteFixture(3)), `password: "nope-2"`, "rows with %%d take the case number")
}
