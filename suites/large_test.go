package suites

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
)

// largeAuthRows are the cases of largeAuthYAML in turn, against the
// reference auth plugin's policy: cases that pass, one whose expectation
// is wrong (fail), one that warns, and one that applies to gRPC only.
var largeAuthRows = []string{
	`request: {username: gost, password: gost, client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: true, id: gost}`,
	`request: {username: alice, password: wonderland, client: "[::1]:40000", service: socks5}
    expect: {ok: true, id: alice}`,
	`request: {username: alice, password: "nope-%d", client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: false, id: ""}`,
	`request: {username: "用户", password: "密码", client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: true, id: user-cjk}`,
	`request: {username: "user-%d", password: x, client: "127.0.0.1:40000", service: http-proxy}
    expect: {ok: false}`,
	`request: {username: gost, password: "wrong-%d"}
    expect: {ok: true}`,
	`request: {username: "guest-%d", password: x}
    warn_if: {ok: false}
    warning: guest refused`,
	`transports: [grpc]
    request: {username: gost, password: gost}
    expect: {ok: true, id: gost}`,
}

// largeAuthYAML is a fixture of n single-call auth cases (docs/fixtures.md),
// the rows of largeAuthRows in turn, running checks (all by default).
func largeAuthYAML(n int, checks ...string) []byte {
	var b strings.Builder
	b.WriteString("name: Auth Large\nmodule: auth\n")
	if len(checks) > 0 {
		fmt.Fprintf(&b, "checks: [%s]\n", strings.Join(checks, ", "))
	}
	b.WriteString("cases:\n")
	for i := range n {
		row := largeAuthRows[i%len(largeAuthRows)]
		if strings.Contains(row, "%d") {
			row = fmt.Sprintf(row, i)
		}
		fmt.Fprintf(&b, "  - name: case-%05d\n    %s\n", i, row)
	}
	return []byte(b.String())
}

func largeAuthSuites(t testing.TB, n int, checks ...string) []*Suite {
	t.Helper()
	s, err := ParseBytes("auth_large.yaml", largeAuthYAML(n, checks...))
	require.NoError(t, err)
	return []*Suite{s}
}

// refClient is a client of fresh in-process reference plugins over tr:
// bufconn for gRPC, an httptest server for HTTP (module m's path).
func refClient(t testing.TB, tr mockclient.Transport, m mockclient.Module) *mockclient.Client {
	t.Helper()
	p := refplugin.NewInProcess(refplugin.Options{})
	cfg := mockclient.Config{Addr: "bufnet", CallTimeout: time.Minute}
	if tr == mockclient.GRPC {
		cc, stop, err := refplugin.ServeBufconn(p.GRPC)
		require.NoError(t, err)
		t.Cleanup(stop)
		c, err := mockclient.NewGRPC(cc, cfg)
		require.NoError(t, err)
		return c
	}
	srv := httptest.NewServer(p.HTTP)
	t.Cleanup(srv.Close)
	cfg.Addr, cfg.Transport = srv.URL+"/"+string(m), mockclient.HTTP
	c, err := mockclient.NewHTTP(srv.Client(), cfg)
	require.NoError(t, err)
	return c
}

// BenchmarkRun10000Auth runs 10,000 auth cases (ten calls each) against the
// in-process reference plugins, with the default worker count and one case
// at a time:
//
//	go test ./suites -run '^$' -bench Run10000Auth -benchtime 3x
//
// The plugin shares the process and its two cores with the runner, so
// the figures compare variants measured back to back; docs/testing.md
// gives the command that measures the binary against a plugin of its own.
func BenchmarkRun10000Auth(b *testing.B) {
	ss := largeAuthSuites(b, 10000)
	for _, tr := range mockclient.Transports() {
		for _, workers := range []int{DefaultWorkers, 1} {
			b.Run(fmt.Sprintf("%s/workers=%d", tr, workers), func(b *testing.B) {
				c := refClient(b, tr, mockclient.Auth)
				for b.Loop() {
					_, err := Run(context.Background(), c, mockclient.Auth, ss, RunOptions{Workers: workers})
					require.NoError(b, err)
				}
			})
		}
	}
}

// BenchmarkParse10000Auth parses the 10,000-case fixture (1.5 MB, parsed
// in chunks): a run waits for the parse before its first call.
//
//	go test ./suites -run '^$' -bench Parse10000Auth
func BenchmarkParse10000Auth(b *testing.B) {
	data := largeAuthYAML(10000)
	for b.Loop() {
		_, err := ParseBytes("auth_large.yaml", data)
		require.NoError(b, err)
	}
}
