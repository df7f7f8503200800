package mockclient

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-gost/plugin/auth/proto"
	hoppb "github.com/go-gost/plugin/hop/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// slowTimeout bounds calls that move tens of megabytes, which take long on
// a loaded machine under the race detector.
const slowTimeout = 3 * time.Minute

// maxErrorLen is what a bounded error may take: the cut text, the "…
// (N bytes more)" marker and the context wrapped around it.
const maxErrorLen = MaxErrorText + 256

// rawHTTPServer answers every connection with response, written as is, so
// that a test can send what net/http's server never would (a reason phrase
// of megabytes).
func rawHTTPServer(t *testing.T, response func(w io.Writer)) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = lis.Close() })
	go func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				w := bufio.NewWriter(conn)
				response(w)
				_ = w.Flush()
			}()
		}
	}()
	return "http://" + lis.Addr().String() + "/auth"
}

func TestPluginTextIsCut(t *testing.T) {
	t.Parallel()
	// Megabytes, thousands of times MaxErrorText: what matters is that the
	// text passes the bound, not by how much; issue 9's 30 MB would only
	// cost seconds of decoding under the race detector.
	literal := strings.Repeat("9", 4<<20)
	reason := strings.Repeat("r", 8<<20)
	tests := []struct {
		name    string
		call    func(t *testing.T) Observation
		failure Failure
		// check asserts what callers find in the error chain.
		check func(t *testing.T, err error)
	}{
		{
			name: "4 MiB number literal in an HTTP reply",
			call: func(t *testing.T) Observation {
				// Scanning megabytes takes long under the race detector.
				c, _ := newHTTPTestClient(t, Config{CallTimeout: slowTimeout}, "/limiter", replyWith(200, `{"in":`+literal+`}`))
				return c.Limit(t.Context(), LimiterRequest{}).Observation
			},
			failure: FailureDecode,
			check: func(t *testing.T, err error) {
				var ute *json.UnmarshalTypeError
				require.ErrorAs(t, err, &ute)
				assert.LessOrEqual(t, len(ute.Value), maxErrorLen, "the cause does not keep the literal")
			},
		},
		{
			name: "8 MB HTTP reason phrase",
			call: func(t *testing.T) Observation {
				addr := rawHTTPServer(t, func(w io.Writer) {
					_, _ = io.WriteString(w, "HTTP/1.1 500 "+reason+"\r\nContent-Length: 0\r\n\r\n")
				})
				c, err := New(Config{Addr: addr, Transport: HTTP, CallTimeout: testTimeout})
				require.NoError(t, err)
				t.Cleanup(func() { _ = c.Close() })
				return c.Authenticate(t.Context(), AuthRequest{Username: "u"}).Observation
			},
			failure: FailureStatus,
			check: func(t *testing.T, err error) {
				var se *StatusError
				require.ErrorAs(t, err, &se)
				assert.Equal(t, 500, se.Code)
				assert.LessOrEqual(t, len(se.Reason), maxErrorLen)
			},
		},
		{
			name: "1 MB gRPC status message",
			call: func(t *testing.T) Observation {
				srv := &authServer{err: status.Error(codes.PermissionDenied, strings.Repeat("m", 1<<20))}
				c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterAuthenticatorServer(s, srv) })
				return c.Authenticate(t.Context(), AuthRequest{Username: "u"}).Observation
			},
			failure: FailureStatus,
			check: func(t *testing.T, err error) {
				assert.Equal(t, codes.PermissionDenied, status.Code(err), "the code survives the cut")
				assert.LessOrEqual(t, len(status.Convert(err).Message()), maxErrorLen)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := tt.call(t)
			require.Equal(t, tt.failure, res.Failure, res.Error())
			assert.LessOrEqual(t, len(res.Error()), maxErrorLen)
			assert.Contains(t, res.Error(), "bytes more)")
			assert.LessOrEqual(t, len(res.Reply), keptReplyBytes)
			for e := res.Err; e != nil; e = errors.Unwrap(e) {
				assert.LessOrEqual(t, len(e.Error()), maxErrorLen, "every error in the chain is bounded: %T", e)
			}
			tt.check(t, res.Err)
		})
	}
}

func TestBoundErrKeepsShortErrors(t *testing.T) {
	t.Parallel()
	short := errors.New("short")
	assert.Same(t, short, boundErr(short))
	assert.NoError(t, boundErr(nil))
	long := errors.New(strings.Repeat("x", 10<<10))
	got := boundErr(long)
	assert.LessOrEqual(t, len(got.Error()), maxErrorLen)
	assert.NotErrorIs(t, got, long, "nothing in the chain keeps the long text")
}

// TestReplyBudgetIsShared holds many decoders at once in the middle of big
// replies: together they never hold more than the budget, and the calls
// that did not fit fail saying so.
func TestReplyBudgetIsShared(t *testing.T) {
	t.Parallel()
	const (
		callers = 16
		budget  = 1 << 20
		part    = 400 << 10
	)
	b := newReplyBudget(budget)
	var (
		wg       sync.WaitGroup
		ok, full atomic.Int64
		firsts   sync.WaitGroup
	)
	rest := make(chan struct{})
	// turn lets one writer at a time send its rest and wait for its
	// decoder to end: two decoders that each hold a first part and take
	// the free budget in turns, 32 KiB at a time, can both run out before
	// either gives its share back, and then no call fits. One at a time,
	// the first to run out gives its share back before the next goes on.
	var turn sync.Mutex
	for range callers {
		pr, pw := io.Pipe()
		decoded := make(chan struct{})
		firsts.Add(1)
		wg.Go(func() {
			// The writer: a first part, which completes only once the
			// decoder has read it all or given up, then the rest.
			_, err := io.WriteString(pw, `{"ok":true,"id":"`+strings.Repeat("a", part))
			firsts.Done()
			if err != nil {
				return
			}
			<-rest
			turn.Lock()
			defer turn.Unlock()
			_, _ = io.WriteString(pw, strings.Repeat("a", part)+`"}`)
			_ = pw.Close()
			<-decoded
		})
		wg.Go(func() {
			defer close(decoded)
			br := &budgetReader{r: pr, b: b, perCall: MaxReplyBytes}
			var v AuthVerdict
			err := json.NewDecoder(br).Decode(&v)
			br.release()
			_ = pr.CloseWithError(err)
			switch {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrReplyTooLarge):
				full.Add(1)
				assert.Contains(t, err.Error(), "GOST itself reads replies without a limit")
			default:
				t.Errorf("Decode() = %v; want nil or ErrReplyTooLarge", err)
			}
		})
	}
	// Every decoder still running now holds a first part.
	firsts.Wait()
	close(rest)
	wg.Wait()
	assert.LessOrEqual(t, b.highWater(), int64(budget))
	assert.Positive(t, ok.Load(), "some calls fit")
	assert.GreaterOrEqual(t, full.Load(), int64(callers-budget/part), "the others fail")
	assert.Zero(t, b.used, "every byte is given back")
}

// TestConcurrentBigHTTPReplies makes concurrent calls over loopback
// against replies bigger than the budget allows at once.
func TestConcurrentBigHTTPReplies(t *testing.T) {
	t.Parallel()
	const budget = 3 << 20
	body := `{"ok":true,"id":"` + strings.Repeat("b", 2<<20) + `"}`
	c, _ := newHTTPTestClient(t, Config{ReplyBudget: budget, HTTPPool: 8, CallTimeout: slowTimeout}, "/auth", replyWith(200, body))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
			if !res.OK() {
				assert.ErrorIs(t, res.Err, ErrReplyTooLarge)
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, c.replies.highWater(), int64(budget))
	assert.Positive(t, c.replies.highWater(), "the replies were counted")
}

// TestEndlessBodyStopsEarly: the decoder gives up at the per-call cap and
// the rest of an endless body is never read.
func TestEndlessBodyStopsEarly(t *testing.T) {
	t.Parallel()
	var sent atomic.Int64
	chunk := []byte(strings.Repeat(" ", 64<<10))
	c, _ := newHTTPTestClient(t, Config{CallTimeout: slowTimeout}, "/auth", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		for sent.Load() < 1<<30 && r.Context().Err() == nil {
			n, err := w.Write(chunk)
			sent.Add(int64(n))
			if err != nil {
				return
			}
		}
	})
	res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
	require.Equal(t, FailureDecode, res.Failure, res.Error())
	assert.ErrorIs(t, res.Err, ErrReplyTooLarge)
	assert.Contains(t, res.Error(), "GOST itself reads replies without a limit")
	assert.LessOrEqual(t, c.replies.highWater(), int64(MaxReplyBytes))
	assert.Zero(t, c.replies.used)
	assert.Less(t, sent.Load(), int64(1<<30), "the body was not read to its end")
}

func TestGRPCReplyCopyIsCut(t *testing.T) {
	t.Parallel()
	srv := &authServer{reply: &proto.AuthenticateReply{Ok: true, Id: strings.Repeat("i", 1<<20)}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterAuthenticatorServer(s, srv) })
	res := c.Authenticate(t.Context(), AuthRequest{Username: "u"})
	require.True(t, res.OK(), res.Error())
	assert.Len(t, res.Reply, keptReplyBytes)
	assert.Equal(t, keptReplyBytes, cap(res.Reply), "the copy does not pin the whole reply")
}

func TestHopNoteQuotingTheReplyIsCut(t *testing.T) {
	t.Parallel()
	srv := &hopServer{reply: &hoppb.SelectReply{Node: []byte(`{"addr":"a:1","connector":{"type":"` + strings.Repeat("n", 1<<20) + `"}}`)}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { hoppb.RegisterHopServer(s, srv) })
	res := c.Select(t.Context(), HopRequest{})
	require.NotEmpty(t, res.Notes)
	for _, n := range res.Notes {
		assert.LessOrEqual(t, len(n.Text), maxErrorLen, n.Code)
	}
	assert.Contains(t, res.Notes[len(res.Notes)-1].Text, "unregistered connector: nnn")
}

func TestReproducerRedactsTheTokenEverywhere(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		obs  Observation
	}{
		{
			name: "http addr",
			cfg:  Config{Addr: "http://127.0.0.1:1/auth?k=s3cr3t", Transport: HTTP, Token: "s3cr3t"},
			obs:  Observation{Transport: HTTP, Method: "POST", Target: "http://127.0.0.1:1/auth?k=s3cr3t", Sent: true, Request: []byte(`{"password":"s3cr3t"}`)},
		},
		{
			name: "grpc request",
			cfg:  Config{Addr: "127.0.0.1:1", Transport: GRPC, Token: "s3cr3t"},
			obs:  Observation{Transport: GRPC, Method: "/proto.Authenticator/Authenticate", Target: "127.0.0.1:1", Sent: true, Request: []byte(`{"password":"s3cr3t"}`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			hidden := c.Reproducer(&tt.obs, false)
			assert.NotContains(t, hidden, "s3cr3t")
			assert.Contains(t, hidden, "$"+TokenVariable)
			assert.Contains(t, c.Reproducer(&tt.obs, true), "s3cr3t")
		})
	}
}

// TestSmallReplyFitsBesideAHugeOne: a reply within the per-call allowance
// decodes even while other calls hold the whole shared budget.
func TestSmallReplyFitsBesideAHugeOne(t *testing.T) {
	t.Parallel()
	b := newReplyBudget(1 << 20)
	require.Equal(t, int64(1<<20), b.take(1<<20), "another call holds it all")
	br := &budgetReader{r: strings.NewReader(`{"ok":true,"id":"small"}`), b: b, perCall: MaxReplyBytes}
	var v httpAuthReply
	require.NoError(t, json.NewDecoder(br).Decode(&v))
	assert.True(t, v.OK)

	big := &budgetReader{r: strings.NewReader(`{"id":"` + strings.Repeat("x", 2*replyAllowance) + `"}`), b: b, perCall: MaxReplyBytes}
	err := json.NewDecoder(big).Decode(&v)
	require.ErrorIs(t, err, ErrReplyTooLarge, "past the allowance the budget applies")
	assert.Contains(t, err.Error(), "reply budget, shared by all calls in flight")
}

func TestBoundErrURLError(t *testing.T) {
	t.Parallel()
	long := "http://x/" + strings.Repeat("u", 1<<20)
	err := boundErr(&url.Error{Op: "Get", URL: long, Err: errors.New("stopped after 10 redirects")})
	assert.LessOrEqual(t, len(err.Error()), maxErrorLen)
	var ue *url.Error
	require.ErrorAs(t, err, &ue, "callers still find the *url.Error")
	assert.LessOrEqual(t, len(ue.URL), maxErrorLen)
	assert.Equal(t, "stopped after 10 redirects", ue.Err.Error())
}
