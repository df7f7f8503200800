package cli

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/plugincheck/plugincheck/internal/testnet"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// answeringGRPC is a live gRPC server on 127.0.0.1:0 that answers every
// method with code and msg.
func answeringGRPC(t *testing.T, code codes.Code, msg string) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := grpc.NewServer(grpc.UnknownServiceHandler(func(any, grpc.ServerStream) error {
		return status.Error(code, msg)
	}))
	go func() { _ = s.Serve(lis) }()
	t.Cleanup(s.Stop)
	return lis.Addr().String()
}

// jsonCauses decodes the causes of the one run of a JSON report.
func jsonCauses(t *testing.T, stdout string) []report.Cause {
	t.Helper()
	var doc struct {
		Runs []struct {
			Causes    []report.Cause `json:"causes"`
			Diagnosis string         `json:"diagnosis"`
		} `json:"runs"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &doc), stdout)
	require.Len(t, doc.Runs, 1)
	return doc.Runs[0].Causes
}

func TestModuleCauses(t *testing.T) {
	t.Parallel()
	closedAddr := testnet.RefusedAddr(t)
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0) // the plaintext calls are expected
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	plainTLSAddr := "http://" + strings.TrimPrefix(tlsSrv.URL, "https://") + "/auth"

	withToken := refServer(t, "s3cret", nil)

	tests := []struct {
		name     string
		args     []string
		code     ExitCode
		cause    string
		status   report.Status
		line     string // the cause's headline, in text
		notInOut string
	}{
		{name: "answers only Unavailable", args: []string{"auth", "--addr", answeringGRPC(t, codes.Unavailable, "overloaded, try later")},
			code: ExitFailed, cause: suites.CauseStatus, status: report.Fail,
			line:     `CAUSE: status: the plugin answers, but every call got gRPC Unavailable: "overloaded, try later"`,
			notInOut: "unreachable"},
		{name: "answers only Internal", args: []string{"auth", "--addr", answeringGRPC(t, codes.Internal, "db down")},
			code: ExitFailed, cause: suites.CauseStatus, status: report.Fail,
			line: `CAUSE: status: the plugin answers, but every call got gRPC Internal: "db down"`, notInOut: "DIAGNOSIS"},
		{name: "nothing listening", args: []string{"auth", "--addr", closedAddr},
			code: ExitUnreachable, cause: suites.CauseUnreachable, status: report.Fail,
			line: "CAUSE: unreachable: connection refused: nothing is listening on " + closedAddr, notInOut: "DIAGNOSIS"},
		{name: "needs a token", args: []string{"auth", "--addr", withToken.GRPCAddr()},
			code: ExitUnreachable, cause: suites.CauseUnauthenticated, status: report.Fail,
			line: "CAUSE: unauthenticated: the plugin answered Unauthenticated to every call: does it need --token?", notInOut: "DIAGNOSIS"},
		{name: "plaintext config against TLS", args: []string{"auth", "--addr", plainTLSAddr},
			code: ExitUnreachable, cause: suites.CauseTLS, status: report.Fail,
			line: "CAUSE: tls: ", notInOut: "DIAGNOSIS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, text, stderr := runMain(t, append(tt.args, "--call-timeout", "20s")...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			assert.Equal(t, 1, strings.Count(text, tt.line), "the cause is printed once:\n%s", text)
			assert.NotContains(t, text, tt.notInOut)

			code, js, _ := runMain(t, append(tt.args, "--call-timeout", "20s", "-o", "json")...)
			assert.Equal(t, tt.code, code)
			causes := jsonCauses(t, js)
			require.NotEmpty(t, causes)
			assert.Equal(t, tt.cause, causes[0].Code)
			assert.Equal(t, tt.status, causes[0].Status)
			assert.Contains(t, tt.line, "CAUSE: "+causes[0].Code+": ")
			assert.Contains(t, "CAUSE: "+causes[0].Code+": "+causes[0].Text, tt.line)
			assert.NotEmpty(t, causes[0].Cases)
		})
	}
}

func TestModuleAdmissionDeniesAllWarns(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		_, _ = io.WriteString(w, `{"ok":false}`)
	}))
	t.Cleanup(srv.Close)
	args := []string{"admission", "--addr", srv.URL + "/admission"}
	const line = "WARNING: admission-denies-all: the plugin denied all "

	code, text, _ := runMain(t, args...)
	assert.Equal(t, ExitOK, code, "a warning passes without --strict")
	assert.True(t, strings.HasPrefix(text, "WARN  admission/http"), "the run warns:\n%s", text)
	assert.Equal(t, 1, strings.Count(text, line))
	assert.Contains(t, text, "GOST: GOST asks on every accepted connection with the client's ip:port")

	code, _, _ = runMain(t, append(args, "--strict")...)
	assert.Equal(t, ExitFailed, code, "--strict fails on a run-level warning")

	_, js, _ := runMain(t, append(args, "-o", "json")...)
	causes := jsonCauses(t, js)
	require.Len(t, causes, 1)
	assert.Equal(t, suites.CauseDeniesAll, causes[0].Code)
	assert.Equal(t, report.Warn, causes[0].Status)

	_, junit, _ := runMain(t, append(args, "-o", "junit")...)
	assert.Contains(t, junit, `<property name="cause" value="warn admission-denies-all: the plugin denied all`)
}
