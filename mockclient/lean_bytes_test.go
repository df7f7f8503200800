package mockclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// TestLeanRequestBytes pins the lean HTTP/1.1 path's request bytes to
// those of GOST's net/http client: for every operation of every module,
// over plain HTTP and HTTPS, with and without a token, the request line,
// the headers in order and the body that a loopback server receives from
// Operation.Do and from a Prepared call on a lean client are identical.
func TestLeanRequestBytes(t *testing.T) {
	t.Parallel()
	ss, err := suites.Parse(fixtures.FS, fixtures.BuiltinDir, fixtures.ReferenceDir, fixtures.ExamplesDir)
	require.NoError(t, err)
	const perOp = 3 // requests tried per operation, to bound the test
	type step struct {
		op  mockclient.Operation
		req any
	}
	var steps []step
	taken := map[string]int{}
	for _, s := range ss {
		for _, c := range s.Cases {
			for _, st := range c.Steps {
				key := string(st.Op.Module) + "/" + st.Op.Name
				if taken[key] < perOp {
					taken[key]++
					steps = append(steps, step{st.Op, st.Request})
				}
			}
		}
	}

	tests := []struct {
		name  string
		tls   bool
		token string
	}{
		{name: "http", tls: false},
		{name: "http-token", tls: false, token: "s3cret-token"},
		{name: "https", tls: true},
		{name: "https-token", tls: true, token: "s3cret-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newRawServer(t, tt.tls, replyRaw("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"))
			cfg := mockclient.Config{Addr: srv.URL + "/plugin?x=1", Transport: mockclient.HTTP, Token: tt.token, CallTimeout: time.Minute}
			if tt.tls {
				cfg.TLS = &mockclient.TLSConfig{}
			}
			plain, err := mockclient.New(cfg)
			require.NoError(t, err)
			defer plain.Close()
			cfg.Lean, cfg.HTTPPool = true, 4
			lean, err := mockclient.New(cfg)
			require.NoError(t, err)
			defer lean.Close()

			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			covered := map[string]bool{}
			for _, st := range steps {
				name := string(st.op.Module) + "/" + st.op.Name
				before := len(srv.requests())
				want := st.op.Do(ctx, plain, st.req)
				mid := len(srv.requests())
				p, err := st.op.Prepare(lean, st.req)
				require.NoError(t, err, name)
				got := p.Do(ctx)
				reqs := srv.requests()
				require.Equal(t, mid-before, len(reqs)-mid, "%s: requests sent by Do and by the prepared call", name)
				if mid-before == 0 {
					continue
				}
				require.True(t, got.Sent, name)
				assert.Equal(t, string(reqs[before]), string(reqs[mid]), "%s: lean request bytes; want net/http's", name)
				assert.Equal(t, want.Verdict, got.Verdict, name)
				assert.Equal(t, want.Failure, got.Failure, name)
				assert.Equal(t, want.Header, got.Header, name)
				assert.Equal(t, want.Target, got.Target, name)
				covered[name] = true
			}
			t.Logf("%d operations compared, %d requests", len(covered), len(srv.requests()))
			require.True(t, mockclient.LeanActive(lean), "every call went over the lean pool")
			for _, m := range mockclient.Modules() {
				for _, op := range mockclient.Operations(m) {
					assert.True(t, covered[string(m)+"/"+op.Name], "%s/%s: no fixture request sent over HTTP", m, op.Name)
				}
			}
		})
	}
}
