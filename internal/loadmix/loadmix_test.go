package loadmix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
		// Each weight is finite but their sum is not: the weights are
		// scaled before they are added.
		{name: "sum past the largest float64", weights: []float64{1e308, 1e308}, calls: 1000},
		{name: "largest float64 beside a small one", weights: []float64{math.MaxFloat64, math.MaxFloat64 / 4}, calls: 1000},
		{name: "zero weights in between", weights: []float64{0, 1, 0, 1, 0}, calls: 1000},
		{name: "smallest weights", weights: []float64{5e-324, 5e-324}, calls: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cases := make([]suites.MixCase, len(tt.weights))
			top, total := 0.0, 0.0
			for i, w := range tt.weights {
				cases[i] = suites.MixCase{ID: string(rune('a' + i)), Weight: w}
				top = max(top, w)
			}
			for _, w := range tt.weights {
				total += w / top // scaled, so that the shares stay finite
			}
			c, err := New(cases, []*mockclient.Client{{}})
			require.NoError(t, err)
			got := make([]int, len(cases))
			for n := range uint64(tt.calls) {
				got[c.Pick(n)]++
			}
			for i, w := range tt.weights {
				want := float64(tt.calls) * (w / top) / total
				// A low-discrepancy sequence stays within a few calls of the
				// exact share over any run length.
				assert.InDelta(t, want, got[i], 3, "case %d: got %d calls; want %.1f", i, got[i], want)
			}
		})
	}
}

// TestPickStaysInRange feeds Pick call numbers whose golden-ratio point
// lands on 0 or rounds up to the total, with weights that add up past the
// largest float64: Pick used to index past its table (panic: index out of
// range).
func TestPickStaysInRange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		weights []float64
	}{
		{name: "two 1e308", weights: []float64{1e308, 1e308}},
		{name: "max float64 and zeros", weights: []float64{math.MaxFloat64, 0, math.MaxFloat64, 0}},
		{name: "last case weight 0", weights: []float64{1, 2, 0}},
	}
	ns := []uint64{0, 1, 2, 1 << 52, 1<<53 + 1, math.MaxUint64 / 2, math.MaxUint64}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cases := make([]suites.MixCase, len(tt.weights))
			for i, w := range tt.weights {
				cases[i] = suites.MixCase{ID: string(rune('a' + i)), Weight: w}
			}
			c, err := New(cases, []*mockclient.Client{{}})
			require.NoError(t, err)
			for _, n := range ns {
				i := c.Pick(n)
				require.True(t, i >= 0 && i < len(cases), "Pick(%d) = %d; want an index below %d", n, i, len(cases))
				assert.Positive(t, tt.weights[i], "Pick(%d) = %d, a case of weight 0", n, i)
			}
			for n := range uint64(1000) {
				i := c.Pick(n)
				require.Positive(t, tt.weights[i], "Pick(%d) = %d", n, i)
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

// TestCallClassifies drives real loopback HTTP plugins and checks which
// replies count as transport errors, GOST-level failures or plain verdicts.
func TestCallClassifies(t *testing.T) {
	t.Parallel()
	events := &mockclient.ObserverRequest{Events: []mockclient.ObserverEvent{{
		Kind: "service", Service: "svc", Type: mockclient.ObserverEventStatus,
		Status: &mockclient.ObserverStatus{State: "running", Msg: "service svc is running"},
	}}}
	creds := &mockclient.AuthRequest{Username: "gost", Password: "gost", Client: "127.0.0.1:1"}
	hop := &mockclient.HopRequest{Network: "tcp", Addr: "example.com:443"}
	tests := []struct {
		name        string
		module      mockclient.Module
		req         any
		status      int
		body        string
		closed      bool // no server listening
		wantError   string
		wantFailure string
		wantText    string
	}{
		{name: "healthy observer", module: mockclient.Observer, req: events, status: 200, body: `{"ok":true}`},
		{name: "observer without ok", module: mockclient.Observer, req: events, status: 200, body: `{"success":true}`,
			wantFailure: "not-delivered", wantText: "observer reply without ok:true"},
		{name: "auth deny is a verdict", module: mockclient.Auth, req: creds, status: 200, body: `{"ok":false}`},
		{name: "auth 500", module: mockclient.Auth, req: creds, status: 500, body: `oops`, wantFailure: "http 500", wantText: "GOST denies the client"},
		{name: "auth reply that does not decode", module: mockclient.Auth, req: creds, status: 200, body: `{"ok":"yes"}`, wantFailure: "decode"},
		{name: "hop 404 is no node", module: mockclient.Hop, req: hop, status: 404},
		{name: "hop 502", module: mockclient.Hop, req: hop, status: 502, wantFailure: "http 502"},
		{name: "refused", module: mockclient.Auth, req: creds, closed: true, wantError: "transport failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			url := "http://" + ln.Addr().String() + "/plugin"
			if tt.closed {
				require.NoError(t, ln.Close())
			} else {
				srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(tt.status)
					_, _ = io.WriteString(w, tt.body)
				}))
				srv.Listener = ln
				srv.Start()
				t.Cleanup(srv.Close)
			}
			// Lean: the load's prepared calls over the lean HTTP/1.1 pool,
			// twice, so that the second reuses the prepared call.
			for _, lean := range []bool{false, true} {
				cl, err := mockclient.New(mockclient.Config{Addr: url, Transport: mockclient.HTTP, CallTimeout: 10 * time.Second, Lean: lean, HTTPPool: 2})
				require.NoError(t, err)
				t.Cleanup(func() { _ = cl.Close() })
				op, err := mockclient.LookupOperation(tt.module, "")
				require.NoError(t, err)
				c, err := New([]suites.MixCase{{ID: "x", Weight: 1, Step: &suites.Step{Op: op, Request: tt.req}}}, []*mockclient.Client{cl})
				require.NoError(t, err)
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				defer cancel()
				for n := range uint64(2) {
					o := c.Call(ctx, n)
					assert.Equal(t, tt.wantError, o.Error, "lean %v: error", lean)
					assert.Equal(t, tt.wantFailure, o.Failure, "lean %v: GOST-level failure", lean)
					assert.Contains(t, o.FailureText, tt.wantText, "lean %v", lean)
					assert.NotEmpty(t, o.Verdict, "GOST's verdict is labelled whatever happened")
				}
			}
		})
	}
}

// TestBaselineStops checks the bounds of the baseline pass against a real
// loopback HTTP auth plugin: a deadline stops it starting calls (the first
// call is always made), and the end of ctx stops it at once.
func TestBaselineStops(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"ok":true,"id":"u"}`)
	}))
	t.Cleanup(srv.Close)
	op, err := mockclient.LookupOperation(mockclient.Auth, "")
	require.NoError(t, err)
	mix := make([]suites.MixCase, 5)
	for i := range mix {
		mix[i] = suites.MixCase{ID: fmt.Sprint(i), Weight: 1, Step: &suites.Step{Op: op, Request: &mockclient.AuthRequest{Username: "u"}}}
	}
	tests := []struct {
		name      string
		deadline  time.Time
		cancelAt  int // cancel ctx when progress reports this many done; -1 never
		wantDone  int
		wantBases int
	}{
		{name: "no bound", cancelAt: -1, wantDone: 5, wantBases: 5},
		{name: "deadline passed: the first call only", deadline: time.Now().Add(-time.Second), cancelAt: -1, wantDone: 1, wantBases: 1},
		{name: "deadline ahead", deadline: time.Now().Add(time.Hour), cancelAt: -1, wantDone: 5, wantBases: 5},
		{name: "interrupted after two", cancelAt: 2, wantDone: 2, wantBases: 2},
		{name: "interrupted before the first", cancelAt: 0, wantDone: 0, wantBases: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cl, err := mockclient.New(mockclient.Config{Addr: srv.URL + "/auth", Transport: mockclient.HTTP, CallTimeout: 10 * time.Second})
			require.NoError(t, err)
			t.Cleanup(func() { _ = cl.Close() })
			c, err := New(mix, []*mockclient.Client{cl})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			var reported [][2]int
			outs := c.Baseline(ctx, BaselineOptions{Deadline: tt.deadline, Progress: func(done, total int) {
				reported = append(reported, [2]int{done, total})
				if done == tt.cancelAt {
					cancel()
				}
			}})
			assert.Len(t, outs, tt.wantDone)
			bases := 0
			for _, ci := range c.Info() {
				if ci.Baseline != "" {
					bases++
				}
			}
			assert.Equal(t, tt.wantBases, bases)
			require.NotEmpty(t, reported)
			assert.Equal(t, [2]int{tt.wantDone, 5}, reported[len(reported)-1], "the last report says how many were done")
		})
	}
}

// TestLabelsRedactAndCut: a plugin that echoes the token, or answers a
// megabyte of id, gets neither into the baseline or verdict labels.
func TestLabelsRedactAndCut(t *testing.T) {
	t.Parallel()
	const token = "s3cr3t"
	tests := []struct {
		name, body string
	}{
		{name: "echoed token", body: `{"ok":true,"id":"token ` + token + `"}`},
		{name: "megabyte id", body: `{"ok":true,"id":"` + strings.Repeat("i", 1<<20) + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, tt.body)
			}))
			t.Cleanup(srv.Close)
			cl, err := mockclient.New(mockclient.Config{Addr: srv.URL + "/auth", Transport: mockclient.HTTP, Token: token, CallTimeout: time.Minute})
			require.NoError(t, err)
			t.Cleanup(func() { _ = cl.Close() })
			op, err := mockclient.LookupOperation(mockclient.Auth, "")
			require.NoError(t, err)
			c, err := New([]suites.MixCase{{ID: "x", Weight: 1, Step: &suites.Step{Op: op, Request: &mockclient.AuthRequest{Username: "u"}}}}, []*mockclient.Client{cl})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			c.Baseline(ctx, BaselineOptions{})
			o := c.Call(ctx, 0)
			for _, label := range []string{c.Info()[0].Baseline, o.Verdict} {
				assert.NotEmpty(t, label)
				assert.NotContains(t, label, token)
				assert.LessOrEqual(t, len(label), maxLabel+64)
				if strings.Contains(tt.body, token) {
					assert.Contains(t, label, "<redacted>", "the echo is there, redacted")
				}
			}
			assert.False(t, o.Changed, "the same reply keeps its baseline")
		})
	}
}
