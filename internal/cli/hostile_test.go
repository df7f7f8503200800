package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"github.com/stretchr/testify/assert"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/plugincheck/plugincheck/internal/iostreams"
)

// echoToken is the token the echoing plugins are given and send back.
const echoToken = "s3cr3t"

// rawHTTPPlugin serves every request on 127.0.0.1 by writing response on
// the hijacked connection, so that it can send what net/http's server
// never would: any reason phrase, of any size.
func rawHTTPPlugin(t *testing.T, response func(w io.Writer, r *http.Request)) string {
	t.Helper()
	url, _ := startHandlerPlugin(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		conn, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		response(buf, r)
		_ = buf.Flush()
	})
	return url
}

// startHandlerPlugin serves h on 127.0.0.1 and returns its URL.
func startHandlerPlugin(t *testing.T, h http.HandlerFunc) (string, *httptest.Server) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, srv
}

// runOutputs runs plugincheck with args and returns everything it wrote:
// standard output, standard error and the files named by -o FORMAT=FILE
// (given as outputs, written into a temporary directory).
func runOutputs(t *testing.T, args []string, outputs ...string) (ExitCode, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{}
	for _, o := range outputs {
		format, name, _ := strings.Cut(o, "=")
		files[o] = filepath.Join(dir, name)
		args = append(args, "-o", format+"="+files[o])
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	ios, _, out, errOut := iostreams.Test()
	code := Main(ctx, args, ios)
	got := map[string]string{"stdout": out.String(), "stderr": errOut.String()}
	for o, path := range files {
		b, err := os.ReadFile(path)
		if err == nil {
			got[o] = string(b)
		}
	}
	return code, got
}

// TestTokenEchoIsRedacted runs module and load runs against plugins that
// echo the token, over HTTP and gRPC, and looks for it in every output.
func TestTokenEchoIsRedacted(t *testing.T) {
	t.Parallel()
	grpcPlugin := func(handle func(ctx context.Context) (*authpb.AuthenticateReply, error)) string {
		_, addr := startAuthPlugin(t, func(ctx context.Context, _ int64, _ *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
			return handle(ctx)
		})
		return addr
	}
	tests := []struct {
		name string
		addr string
	}{
		{
			name: "http reply field",
			addr: func() string {
				url, _ := startHandlerPlugin(t, func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
					_, _ = io.WriteString(w, `{"ok":true,"id":"`+r.Header.Get("Authorization")+` `+echoToken+`"}`)
				})
				return url + "/auth"
			}(),
		},
		{
			name: "token in the http addr",
			addr: func() string {
				url, _ := startHandlerPlugin(t, func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
					_, _ = io.WriteString(w, `{"ok":true}`)
				})
				return url + "/auth?k=" + echoToken
			}(),
		},
		{
			name: "http reason phrase",
			addr: rawHTTPPlugin(t, func(w io.Writer, r *http.Request) {
				_, _ = io.WriteString(w, "HTTP/1.1 403 "+r.Header.Get("Authorization")+" rejected\r\nContent-Length: 0\r\n\r\n")
			}) + "/auth",
		},
		{
			name: "grpc reply field",
			addr: grpcPlugin(func(ctx context.Context) (*authpb.AuthenticateReply, error) {
				md, _ := metadata.FromIncomingContext(ctx)
				return &authpb.AuthenticateReply{Ok: true, Id: "token " + strings.Join(md.Get("token"), ",")}, nil
			}),
		},
		{
			name: "grpc status message",
			addr: grpcPlugin(func(ctx context.Context) (*authpb.AuthenticateReply, error) {
				md, _ := metadata.FromIncomingContext(ctx)
				return nil, status.Errorf(codes.PermissionDenied, "token %s rejected", strings.Join(md.Get("token"), ","))
			}),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			module := []string{"auth", "--addr", tt.addr, "--token", echoToken}
			runs := []struct {
				args    []string
				outputs []string
			}{
				{args: append(module[:len(module):len(module)], "-o", "text"), outputs: []string{"json=r.json", "junit=r.xml"}},
				{args: append(module[:len(module):len(module)], "-v")},
				{args: []string{"load", "auth", "--addr", tt.addr, "--token", echoToken, "-n", "40", "-c", "4", "-o", "text"}, outputs: []string{"json=load.json"}},
			}
			for _, run := range runs {
				code, outs := runOutputs(t, run.args, run.outputs...)
				assert.NotEqual(t, ExitUsage, code, "%v: %s", run.args, outs["stderr"])
				assert.Len(t, outs, 2+len(run.outputs), "every output was written")
				for name, out := range outs {
					assert.NotContains(t, out, echoToken, "%v: %s", run.args, name)
				}
				if run.args[0] != "load" && slices.Contains(run.args, "-v") { // the short report prints no reply
					assert.Contains(t, outs["stdout"], "<redacted>", "%v: the echo is there, redacted", run.args)
				}
			}

			_, outs := runOutputs(t, append(module[:len(module):len(module)], "--show-token", "-v", "-o", "text"), "json=r.json")
			assert.Contains(t, outs["stdout"], echoToken, "--show-token shows the echo")
			assert.Contains(t, outs["json=r.json"], echoToken, "--show-token shows the echo")
		})
	}
}

// hugeText is the size of the plugin texts TestHugePluginTextsStayBounded
// sends: four times the 1 MiB bound on every output, and thousands of
// times clip.Size, so that one uncut copy alone would break the bound.
// Larger texts prove nothing more: the cut does not depend on the size,
// and decoding megabytes under the race detector costs seconds per
// megabyte. (The memory bound for issue 9's 30 MB texts is proven on the
// real binary, in internal/e2e's TestHostileBoundedMemory.)
const hugeText = 4 << 20

// TestHugePluginTextsStayBounded runs module runs against plugins sending
// a huge number literal or a huge reason phrase: the report stays small
// and each error text is cut.
func TestHugePluginTextsStayBounded(t *testing.T) {
	t.Parallel()
	literal := strings.Repeat("7", hugeText)
	reason := strings.Repeat("r", hugeText)
	tests := []struct {
		name, module, addr, want string
		// run selects a few cases; each repeats the plugin's text in
		// each of its calls, so that texts kept uncut would add up.
		run string
	}{
		{
			name:   "huge number literal",
			module: "limiter",
			addr: func() string {
				url, _ := startHandlerPlugin(t, func(w http.ResponseWriter, r *http.Request) {
					_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
					_, _ = io.WriteString(w, `{"in":`+literal+`,"out":1}`)
				})
				return url + "/limiter"
			}(),
			want: "json: cannot unmarshal number 777",
			run:  "conn-scope-tcp,conn-scope-ipv6",
		},
		{
			name:   "huge reason phrase",
			module: "auth",
			addr: rawHTTPPlugin(t, func(w io.Writer, _ *http.Request) {
				bw := bufio.NewWriter(w)
				_, _ = io.WriteString(bw, "HTTP/1.1 500 "+reason+"\r\nContent-Length: 0\r\n\r\n")
				_ = bw.Flush()
			}) + "/auth",
			want: "HTTP status 500 rrr",
			run:  "http-proxy-*",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// A few cases, each call bounded generously: moving
			// megabytes per call is slow under the race detector.
			base := []string{tt.module, "--addr", tt.addr, "--run", tt.run, "--call-timeout", "3m"}
			for _, args := range [][]string{
				append(base[:len(base):len(base)], "-o", "text"),
				append(base[:len(base):len(base)], "-v", "-o", "json"),
			} {
				code, outs := runOutputs(t, args, "junit=r.xml")
				assert.NotEqual(t, ExitUsage, code, outs["stderr"])
				for name, out := range outs {
					assert.Less(t, len(out), 1<<20, "%v: %s is under 1 MiB", args, name)
				}
				assert.Contains(t, outs["stdout"], tt.want, "%v: the error is reported", args)
				assert.Contains(t, outs["stdout"], "bytes more)", "%v: and cut", args)
			}
		})
	}
}

func TestConcurrencyCeiling(t *testing.T) {
	t.Parallel()
	code, outs := runOutputs(t, []string{"auth", "--addr", "127.0.0.1:1", "--concurrency", "100000"})
	assert.Equal(t, ExitUsage, code)
	assert.Equal(t, "plugincheck: --concurrency 100000 is above the ceiling of 1000\n", outs["stderr"])
	assert.Empty(t, outs["stdout"])
}
