package suites

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// largeAuthYAML is a fixture of n single-call auth cases against the
// reference plugin's policy: accepted, rejected and non-ASCII users in turn.
func largeAuthYAML(n int) []byte {
	rows := []string{
		`{username: gost, password: gost, client: "127.0.0.1:40000", service: http-proxy}, expect: {ok: true, id: gost}`,
		`{username: alice, password: wonderland, client: "[::1]:40000", service: socks5}, expect: {ok: true, id: alice}`,
		`{username: alice, password: "nope-%d", client: "127.0.0.1:40000", service: http-proxy}, expect: {ok: false, id: ""}`,
		`{username: "用户", password: "密码", client: "127.0.0.1:40000", service: http-proxy}, expect: {ok: true, id: user-cjk}`,
		`{username: "user-%d", password: x, client: "127.0.0.1:40000", service: http-proxy}, expect: {ok: false}`,
	}
	var b strings.Builder
	b.WriteString("name: Auth Large\nmodule: auth\ncases:\n")
	for i := range n {
		row := rows[i%len(rows)]
		if strings.Contains(row, "%d") {
			row = fmt.Sprintf(row, i)
		}
		fmt.Fprintf(&b, "  - name: case-%05d\n    request: %s\n", i, strings.Replace(row, "}, expect:", "}\n    expect:", 1))
	}
	return []byte(b.String())
}

func largeAuthSuites(t testing.TB, n int) []*Suite {
	t.Helper()
	s, err := ParseBytes("auth_large.yaml", largeAuthYAML(n))
	require.NoError(t, err)
	return []*Suite{s}
}

// refClient is a client of the in-process reference plugins over t:
// bufconn for gRPC, an httptest server for HTTP.
func refClient(t testing.TB, tr mockclient.Transport, m mockclient.Module) (*mockclient.Client, *refplugin.InProcess) {
	t.Helper()
	p := refplugin.NewInProcess(refplugin.Options{})
	cfg := mockclient.Config{Addr: "bufnet", CallTimeout: time.Minute}
	if tr == mockclient.GRPC {
		cc, stop, err := refplugin.ServeBufconn(p.GRPC)
		require.NoError(t, err)
		t.Cleanup(stop)
		c, err := mockclient.NewGRPC(cc, cfg)
		require.NoError(t, err)
		return c, p
	}
	srv := httptest.NewServer(p.HTTP)
	t.Cleanup(srv.Close)
	cfg.Addr = srv.URL + "/" + string(m)
	cfg.Transport = mockclient.HTTP
	c, err := mockclient.NewHTTP(srv.Client(), cfg)
	require.NoError(t, err)
	return c, p
}

func BenchmarkRun10000Auth(b *testing.B) {
	for _, tr := range mockclient.Transports() {
		b.Run(string(tr), func(b *testing.B) {
			ss := largeAuthSuites(b, 10000)
			c, _ := refClient(b, tr, mockclient.Auth)
			b.ResetTimer()
			for b.Loop() {
				run, err := Run(context.Background(), c, mockclient.Auth, ss, RunOptions{Workers: benchWorkers})
				require.NoError(b, err)
				require.Equal(b, report.Pass, run.Cases[0].Status); b.Log(run.Notes, run.Latency)
			}
		})
	}
}

var benchWorkers = envInt("PC_WORKERS")

func envInt(k string) int { n, _ := strconv.Atoi(os.Getenv(k)); return n }
