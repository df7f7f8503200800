package hostile

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

const token = "s3cr3t-hostile"

func start(t *testing.T, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// httpReply is what one HTTP call got back.
type httpReply struct {
	status string
	code   int
	body   string
	err    error
}

func postAuth(ctx context.Context, t *testing.T, url, user string) httpReply {
	t.Helper()
	body := `{"username":"` + user + `","password":"p","client":"192.0.2.1:1"}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return httpReply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return httpReply{status: resp.Status, code: resp.StatusCode, body: string(b), err: err}
}

func TestHTTPModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  Options
		user  string
		check func(t *testing.T, s *Server, got []httpReply)
		calls int
	}{
		{
			name: "healthy", opts: Options{Mode: Healthy}, user: "u", calls: 1,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				assert.Equal(t, 200, got[0].code)
				assert.JSONEq(t, healthy, got[0].body)
			},
		},
		{
			name: "endless-body-sized", opts: Options{Mode: EndlessBody, Size: 1 << 20}, user: "u", calls: 1,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				assert.Equal(t, 200, got[0].code)
				assert.Len(t, got[0].body, len(`{"ok":true,"id":"`)+1<<20)
				assert.True(t, strings.HasPrefix(got[0].body, `{"ok":true,"id":"aaa`))
			},
		},
		{
			name: "huge-number", opts: Options{Mode: HugeNumber, Size: 5000}, user: "u", calls: 1,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				assert.Equal(t, `{"ok":`+strings.Repeat("1", 5000)+`}`, got[0].body)
				var v struct{ OK bool }
				assert.Error(t, json.Unmarshal([]byte(got[0].body), &v), "GOST's decoder must reject the literal")
			},
		},
		{
			name: "huge-reason", opts: Options{Mode: HugeReason, Size: 100 << 10}, user: "u", calls: 1,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				assert.Equal(t, 500, got[0].code)
				assert.Equal(t, "500 "+strings.Repeat("x", 100<<10), got[0].status)
			},
		},
		{
			name: "echo-token-reply", opts: Options{Mode: EchoToken}, user: "u", calls: 1,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				assert.Equal(t, 200, got[0].code)
				assert.JSONEq(t, `{"ok":true,"id":"Bearer `+token+`"}`, got[0].body)
			},
		},
		{
			name: "echo-token-reason", opts: Options{Mode: EchoToken}, user: "", calls: 1,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				assert.Equal(t, "403 token "+token+" rejected", got[0].status)
			},
		},
		{
			name: "redirect", opts: Options{Mode: Redirect}, user: "u", calls: 2,
			check: func(t *testing.T, s *Server, got []httpReply) {
				assert.Equal(t, 200, got[1].code)
				assert.Equal(t, []string{"Bearer " + token, "Bearer " + token}, s.RedirectedAuth(),
					"Go's client keeps Authorization on a redirect to the same host, another port")
				assert.Equal(t, int64(2), s.Calls(), "the redirect target's calls are not counted")
			},
		},
		{
			name: "flip-after", opts: Options{Mode: FlipAfter, N: 2}, user: "u", calls: 4,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				for i, want := range []bool{true, true, false, false} {
					var v struct{ OK bool }
					require.NoError(t, json.Unmarshal([]byte(got[i].body), &v))
					assert.Equal(t, want, v.OK, "call %d", i+1)
				}
			},
		},
		{
			name: "hang-after", opts: Options{Mode: HangAfter, N: 1}, user: "u", calls: 2,
			check: func(t *testing.T, _ *Server, got []httpReply) {
				assert.Equal(t, 200, got[0].code)
				assert.ErrorIs(t, got[1].err, context.DeadlineExceeded)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, tt.opts)
			got := make([]httpReply, tt.calls)
			for i := range got {
				ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
				if tt.opts.Mode == HangAfter && i > 0 {
					cancel()
					ctx, cancel = context.WithTimeout(t.Context(), 200*time.Millisecond)
				}
				got[i] = postAuth(ctx, t, s.HTTPURL("/any/path"), tt.user)
				cancel()
				if tt.opts.Mode != HangAfter {
					require.NoError(t, got[i].err)
				}
			}
			tt.check(t, s, got)
		})
	}
}

func TestGRPCModes(t *testing.T) {
	t.Parallel()
	type reply struct {
		r   *authpb.AuthenticateReply
		err error
	}
	tests := []struct {
		name  string
		opts  Options
		user  string
		calls int
		check func(t *testing.T, got []reply)
	}{
		{
			name: "echo-token-reply", opts: Options{Mode: EchoToken}, user: "u", calls: 1,
			check: func(t *testing.T, got []reply) {
				require.NoError(t, got[0].err)
				assert.Equal(t, token, got[0].r.GetId())
			},
		},
		{
			name: "echo-token-status", opts: Options{Mode: EchoToken}, user: "", calls: 1,
			check: func(t *testing.T, got []reply) {
				assert.Equal(t, codes.Unauthenticated, status.Code(got[0].err))
				assert.Equal(t, "token "+token+" rejected", status.Convert(got[0].err).Message())
			},
		},
		{
			name: "oversize-reply", opts: Options{Mode: HugeNumber}, user: "u", calls: 1,
			check: func(t *testing.T, got []reply) {
				assert.Equal(t, codes.ResourceExhausted, status.Code(got[0].err))
			},
		},
		{
			name: "huge-status-message", opts: Options{Mode: HugeReason, Size: 64 << 10}, user: "u", calls: 1,
			check: func(t *testing.T, got []reply) {
				assert.Equal(t, codes.Internal, status.Code(got[0].err))
				assert.Len(t, status.Convert(got[0].err).Message(), 64<<10)
			},
		},
		{
			name: "flip-after", opts: Options{Mode: FlipAfter, N: 1}, user: "u", calls: 2,
			check: func(t *testing.T, got []reply) {
				assert.True(t, got[0].r.GetOk())
				require.NoError(t, got[1].err)
				assert.False(t, got[1].r.GetOk())
			},
		},
		{
			name: "hang-after", opts: Options{Mode: HangAfter, N: 1}, user: "u", calls: 2,
			check: func(t *testing.T, got []reply) {
				assert.True(t, got[0].r.GetOk())
				assert.Equal(t, codes.DeadlineExceeded, status.Code(got[1].err))
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := start(t, tt.opts)
			cc, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			require.NoError(t, err)
			t.Cleanup(func() { _ = cc.Close() })
			c := authpb.NewAuthenticatorClient(cc)
			got := make([]reply, tt.calls)
			for i := range got {
				timeout := 30 * time.Second
				if tt.opts.Mode == HangAfter && i > 0 {
					timeout = 200 * time.Millisecond
				}
				ctx, cancel := context.WithTimeout(t.Context(), timeout)
				ctx = metadata.AppendToOutgoingContext(ctx, "token", token)
				r, err := c.Authenticate(ctx, &authpb.AuthenticateRequest{Username: tt.user})
				cancel()
				got[i] = reply{r, err}
			}
			tt.check(t, got)
			assert.Equal(t, int64(tt.calls), s.Calls())
		})
	}
}

// TestCloseEndsHangingCalls: Close must not wait for a caller that never
// gives up.
func TestCloseEndsHangingCalls(t *testing.T) {
	t.Parallel()
	s, err := Start(Options{Mode: HangAfter})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		resp, err := http.Post(s.HTTPURL("auth"), "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	require.Eventually(t, func() bool { return s.Calls() == 1 }, 30*time.Second, 10*time.Millisecond)
	require.NoError(t, s.Close())
	select {
	case <-errc:
	case <-time.After(30 * time.Second):
		t.Fatal("the hanging call did not end after Close")
	}
}

func TestStartUnknownMode(t *testing.T) {
	t.Parallel()
	_, err := Start(Options{Mode: "nope"})
	assert.ErrorContains(t, err, `unknown mode "nope"`)
}
