package gostconfig

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// render prints a Deployment for the golden files: every plugin with its
// config and users, then every finding.
func render(d *Deployment) string {
	var b strings.Builder
	fmt.Fprintf(&b, "source %s\n", d.Source)
	for _, p := range d.Plugins {
		c := p.Config
		fmt.Fprintf(&b, "plugin %s line %d module %s transport %s addr %q token %q timeout %v", p.ID(), p.Line, p.Module, c.Transport, c.Addr, c.Token, c.Timeout)
		if c.TLS != nil {
			fmt.Fprintf(&b, " tls{secure %t serverName %q}", c.TLS.Secure, c.TLS.ServerName)
		}
		if p.Chain != "" {
			fmt.Fprintf(&b, " chain %s", p.Chain)
		}
		if p.Ignored != "" {
			fmt.Fprintf(&b, " ignored")
		}
		b.WriteString("\n")
		for _, u := range p.Users {
			fmt.Fprintf(&b, "  user service=%q handler=%q listener=%q chain=%q hop=%q via=%q\n", u.Service, u.Handler, u.Listener, u.Chain, u.Hop, u.Via)
		}
	}
	for _, f := range d.Findings {
		fmt.Fprintf(&b, "%s:%d: %s %s [%s] %s\n", f.File, f.Line, f.Severity, f.Code, f.Plugin, f.Message)
	}
	return b.String()
}

// TestParseFixtures pins the reading of every fixture config (plugins,
// users, findings) in golden files; -update rewrites them. The parity
// module proves the same fixtures equal to x's own loader.
func TestParseFixtures(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.*")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			d, err := Parse(filepath.Base(file), data)
			require.NoError(t, err)
			got := render(d)
			golden := filepath.Join("testdata", "golden", filepath.Base(file)+".golden")
			if *update {
				require.NoError(t, os.MkdirAll(filepath.Dir(golden), 0o755))
				require.NoError(t, os.WriteFile(golden, []byte(got), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./internal/gostconfig -update")
			assert.Equal(t, string(want), got)
		})
	}
}

// TestAllKinds checks the fixture with every kind: each of the 15 sections
// is read, all 13 modules over both transports, and every plugin but the
// climiters' and rlimiters' (which GOST never calls) has a user.
func TestAllKinds(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/all_kinds.yaml")
	require.NoError(t, err)
	d, err := Parse("all_kinds.yaml", data)
	require.NoError(t, err)
	seen := map[mockclient.Module]map[mockclient.Transport]bool{}
	for _, p := range d.Plugins {
		assert.Equal(t, ModuleOf(p.Kind), p.Module, p.ID())
		assert.Equal(t, p.Module, p.Config.Module, p.ID())
		assert.NotEmpty(t, p.Users, "%s has no user", p.ID())
		if seen[p.Module] == nil {
			seen[p.Module] = map[mockclient.Transport]bool{}
		}
		seen[p.Module][p.Config.Transport] = true
	}
	for _, m := range mockclient.Modules() {
		assert.True(t, seen[m][mockclient.GRPC], "%s over grpc", m)
		assert.True(t, seen[m][mockclient.HTTP], "%s over http", m)
	}
	assert.Empty(t, d.Findings)
}

func parseOne(t *testing.T, src string) *Deployment {
	t.Helper()
	d, err := Parse("gost.yml", []byte(src))
	require.NoError(t, err)
	return d
}

func findingsOf(d *Deployment, code string) []Finding {
	var out []Finding
	for _, f := range d.Findings {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// TestFindings has one row per finding kind, each asserting the file, the
// line, the severity GOST's consequence gives it, and the plugin.
func TestFindings(t *testing.T) {
	t.Parallel()
	const used = "services:\n- name: svc\n  handler: {type: socks5, auther: a}\n"
	tests := []struct {
		name     string
		config   string
		code     string
		line     int
		severity report.Status
		plugin   string
		says     string
	}{
		{
			name:   "unused plugin",
			config: "authers:\n- name: a\n  plugin: {addr: 127.0.0.1:1}\n",
			code:   CodeUnusedPlugin, line: 3, severity: report.Warn, plugin: "authers/a",
			says: "never calls it",
		},
		{
			name:   "unknown auther lets everyone in",
			config: "services:\n- name: svc\n  handler:\n    type: http\n    auther: nope\n",
			code:   CodeUnknownComponent, line: 5, severity: report.Fail,
			says: "lets every client in",
		},
		{
			name:   "unknown admission refuses everything",
			config: "services:\n- name: svc\n  admissions: [ok, nope]\nadmissions:\n- name: ok\n",
			code:   CodeUnknownComponent, line: 3, severity: report.Fail,
			says: "refuses every connection",
		},
		{
			name:   "unknown limiter limits nothing",
			config: "services:\n- name: svc\n  handler: {type: http, limiter: nope}\n",
			code:   CodeUnknownComponent, line: 3, severity: report.Warn,
			says: "applies no traffic limit",
		},
		{
			name:   "unknown chain connects directly",
			config: "services:\n- name: svc\n  handler:\n    chain: nope\n",
			code:   CodeUnknownComponent, line: 4, severity: report.Fail,
			says: "connects directly",
		},
		{
			name:   "unknown hop in a chain",
			config: "chains:\n- name: c\n  hops:\n  - name: nope\n",
			code:   CodeUnknownComponent, line: 4, severity: report.Fail,
			says: "connections skip this hop and every hop after it",
		},
		{
			name:   "unknown forwarder hop",
			config: "services:\n- name: svc\n  handler: {type: tcp}\n  forwarder:\n    hop: nope\n",
			code:   CodeUnknownComponent, line: 5, severity: report.Fail,
			says: "node not available",
		},
		{
			name:   "unknown ingress in tunnel metadata",
			config: "services:\n- name: svc\n  handler:\n    type: tunnel\n    metadata:\n      ingress: nope\n",
			code:   CodeUnknownComponent, line: 6, severity: report.Warn,
			says: "handler.metadata.ingress names ingress \"nope\"",
		},
		{
			name:   "unknown rewriter in a node's body rewrite",
			config: "hops:\n- name: h\n  nodes:\n  - name: n\n    addr: 127.0.0.1:1\n    http:\n      rewriteResponseBody:\n      - rewriter: nope\n",
			code:   CodeUnknownComponent, line: 8, severity: report.Warn,
			says: "hop.nodes.http.rewriteResponseBody.rewriter names rewriter \"nope\"",
		},
		{
			name:   "unknown bypass in a hop",
			config: "hops:\n- name: h\n  bypass: nope\n",
			code:   CodeUnknownComponent, line: 3, severity: report.Warn,
			says: "bypasses nothing",
		},
		{
			name:   "ignored tls fields",
			config: used + "authers:\n- name: a\n  plugin:\n    addr: 127.0.0.1:1\n    tls:\n      caFile: ca.pem\n      certFile: c.pem\n      keyFile: k.pem\n",
			code:   CodeIgnoredTLS, line: 8, severity: report.Warn, plugin: "authers/a",
			says: "certFile, keyFile, caFile: GOST ignores these",
		},
		{
			name:   "tls on an http:// URL",
			config: used + "authers:\n- name: a\n  plugin: {type: http, addr: 'http://127.0.0.1:1/a', timeout: 1s, tls: {secure: true}}\n",
			code:   CodeIgnoredTLS, line: 6, severity: report.Warn, plugin: "authers/a",
			says: "speaks plaintext",
		},
		{
			name:   "http plugin without timeout",
			config: used + "authers:\n- name: a\n  plugin:\n    type: http\n    addr: http://127.0.0.1:1/a\n",
			code:   CodeHTTPNoTimeout, line: 6, severity: report.Warn, plugin: "authers/a",
			says: "holds each connection forever",
		},
		{
			name:   "same addr, different tokens",
			config: used + "authers:\n- name: a\n  plugin: {addr: 127.0.0.1:1, token: one-token}\n- name: b\n  plugin: {addr: 127.0.0.1:1, token: two-token}\n",
			code:   CodeTokenConflict, line: 8, severity: report.Warn, plugin: "authers/b",
			says: "reaches the plugin server of authers/a (line 6), with a different token",
		},
		{
			name:   "one HTTP server, two paths, different tokens",
			config: used + "authers:\n- name: a\n  plugin: {type: http, addr: 'http://127.0.0.1:1/auth', timeout: 1s, token: one-token}\nbypasses:\n- name: b\n  plugin: {type: http, addr: 'http://127.0.0.1:1/bypass', timeout: 1s, token: two-token}\n",
			code:   CodeTokenConflict, line: 9, severity: report.Warn, plugin: "bypasses/b",
			says: "addr \"http://127.0.0.1:1/bypass\" reaches the plugin server of authers/a",
		},
		{
			name:   "grpc in clear to a remote host",
			config: used + "authers:\n- name: a\n  plugin: {addr: 'plugins.example.com:8000'}\n",
			code:   CodeGRPCPlaintextRemote, line: 6, severity: report.Warn, plugin: "authers/a",
			says: "in clear",
		},
		{
			name:   "climiter plugin GOST never calls",
			config: "climiters:\n- name: c\n  plugin: {addr: 127.0.0.1:1}\n",
			code:   CodeIgnoredPlugin, line: 3, severity: report.Warn, plugin: "climiters/c",
			says: "never calls",
		},
		{
			name:   "duplicate names",
			config: used + "authers:\n- name: a\n  auths: []\n- name: a\n  plugin: {addr: 127.0.0.1:1}\n",
			code:   CodeDuplicateName, line: 7, severity: report.Fail,
			says: "GOST refuses the config",
		},
		{
			name:   "auther type HTTP",
			config: used + "authers:\n- name: a\n  plugin: {type: HTTP, addr: '127.0.0.1:1'}\n",
			code:   CodeTypeCase, line: 6, severity: report.Warn, plugin: "authers/a",
			says: "speaks gRPC",
		},
		{
			name:   "address GOST never reaches",
			config: used + "authers:\n- name: a\n  plugin: {type: http, addr: '127.0.0.1:1/auth', timeout: 1s}\n",
			code:   CodeBadAddress, line: 6, severity: report.Fail, plugin: "authers/a",
			says: "no http:// or https:// scheme",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := parseOne(t, tt.config)
			fs := findingsOf(d, tt.code)
			require.Len(t, fs, 1, "findings: %+v", d.Findings)
			f := fs[0]
			assert.Equal(t, "gost.yml", f.File)
			assert.Equal(t, tt.line, f.Line)
			assert.Equal(t, tt.severity, f.Severity)
			assert.Equal(t, tt.plugin, f.Plugin)
			assert.Contains(t, f.Message, tt.says)
		})
	}
}

// TestNoFindingWhenFine: a used, loopback, timed plugin raises nothing,
// and neither does a gRPC plugin with tls on a remote host.
func TestNoFindingWhenFine(t *testing.T) {
	t.Parallel()
	d := parseOne(t, `
services:
- name: svc
  handler: {type: socks5, authers: [a, b, c]}
authers:
- name: a
  plugin: {type: http, addr: "http://127.0.0.1:1/a", timeout: 5s, token: t}
- name: b
  plugin: {addr: "plugins.example.com:443", tls: {secure: true}, token: t}
- name: c
  plugin: {addr: "[::1]:8000", token: t}
`)
	assert.Empty(t, d.Findings)
}

// TestUsers checks how services, chains and hops reach a plugin.
func TestUsers(t *testing.T) {
	t.Parallel()
	d := parseOne(t, `
api:
  addr: :18080
  auther: api-auth
services:
- name: forward-tcp-8080
  handler:
    chainGroup:
      chains: [c1, {chain: c2}]
  listener: {type: ws}
  forwarder:
    hopGroup:
      hops: [{hop: fh}]
chains:
- name: c1
  hops: [{name: h1}]
- name: c2
  hops:
  - name: inline
    plugin: {addr: 127.0.0.1:3}
- name: lonely
  hops: [{name: h2}]
hops:
- name: h1
  bypass: bp
  plugin: {addr: 127.0.0.1:1}
- name: h2
  plugin: {addr: 127.0.0.1:2}
- name: fh
  plugin: {addr: 127.0.0.1:4}
bypasses:
- name: bp
  plugin: {addr: 127.0.0.1:5}
authers:
- name: api-auth
  plugin: {addr: 127.0.0.1:6}
`)
	users := map[string][]User{}
	for _, p := range d.Plugins {
		users[p.ID()] = p.Users
	}
	svc := User{Service: "forward-tcp-8080", Handler: "auto", Listener: "ws"}
	with := func(u User, chain, hop, via string) User { u.Chain, u.Hop, u.Via = chain, hop, via; return u }
	assert.Equal(t, []User{with(svc, "c1", "h1", "hop.plugin")}, users["hops/h1"])
	assert.Equal(t, []User{with(svc, "c1", "h1", "hop.bypass")}, users["bypasses/bp"])
	assert.Equal(t, []User{with(svc, "c2", "inline", "hop.plugin")}, users["hops/inline"])
	assert.Equal(t, []User{{Chain: "lonely", Hop: "h2", Via: "hop.plugin"}}, users["hops/h2"])
	assert.Equal(t, []User{with(svc, "", "fh", "hop.plugin")}, users["hops/fh"])
	assert.Equal(t, []User{{Via: "api.auther"}}, users["authers/api-auth"])
	assert.Empty(t, d.Findings)

	d = parseOne(t, "services:\n- name: s\n  handler: {chainGroup: {chains: ['']}}\nchains:\n- name: c\n  hops: [{name: ''}]\n")
	assert.Empty(t, d.Findings, "x looks up no empty name")
}

// TestReading checks values as GOST reads them: durations, weakly typed
// strings and bools, case-insensitive keys, the plugin type.
func TestReading(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		plugin string
		want   mockclient.Config
	}{
		{"duration string", `{type: http, addr: "http://h:1/", timeout: 1m30s}`, mockclient.Config{Transport: mockclient.HTTP, Addr: "http://h:1/", Timeout: 90 * time.Second}},
		{"duration number is ns", `{addr: "h:1", timeout: 2000000000}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1", Timeout: 2 * time.Second}},
		{"duration fraction is cut", `{addr: "h:1", timeout: 1.9}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1", Timeout: 1}},
		{"duration zero string", `{addr: "h:1", timeout: "0"}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1"}},
		{"token number", `{addr: "h:1", token: 0x1F}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1", Token: "31"}},
		{"token bool", `{addr: "h:1", token: false}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1", Token: "0"}},
		{"type any case but auther", `{TYPE: hTTp, ADDR: "http://h:1/"}`, mockclient.Config{Transport: mockclient.HTTP, Addr: "http://h:1/"}},
		{"empty type is grpc", `{type: "", addr: "h:1"}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1"}},
		{"tls empty block", `{addr: "h:1", tls: {}}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1", TLS: &mockclient.TLSConfig{}}},
		{"tls null is no block", `{addr: "h:1", tls: null}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1"}},
		{"tls weak bools", `{addr: "h:1", tls: {Secure: "1", ServerName: x}}`, mockclient.Config{Transport: mockclient.GRPC, Addr: "h:1", TLS: &mockclient.TLSConfig{Secure: true, ServerName: "x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := parseOne(t, "bypasses:\n- name: b\n  plugin: "+tt.plugin+"\n")
			require.Len(t, d.Plugins, 1)
			tt.want.Module = mockclient.Bypass
			assert.Equal(t, tt.want, d.Plugins[0].Config)
		})
	}
}

// TestParseErrors: each refusal is one error naming source:line and the
// field, as suites' fixture errors do.
func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		source string
		config string
		want   string
	}{
		{"timeout yes", "gost.yml", "authers:\n- name: a\n  plugin:\n    timeout: yes\n", `gost.yml:4: authers[0].plugin.timeout: want a duration such as 10s, got "yes"`},
		{"timeout without unit", "gost.yml", "authers:\n- name: a\n  plugin: {timeout: '10'}\n", `gost.yml:3: authers[0].plugin.timeout: want a duration such as 10s, got "10"`},
		{"addr mapping", "gost.yml", "hops:\n- name: a\n  plugin: {addr: {x: 1}}\n", `gost.yml:3: hops[0].plugin.addr: want a string, got a mapping`},
		{"plugin string", "gost.yml", "hops:\n- name: a\n  plugin: grpc\n", `gost.yml:3: hops[0].plugin: want a mapping, got "grpc"`},
		{"unknown type", "gost.yml", "sds:\n- name: a\n  plugin: {type: grpcs}\n", `gost.yml:3: sds[0].plugin.type: unknown plugin type "grpcs"`},
		{"bad yaml", "gost.yml", "authers: [\n", `gost.yml:1: not valid YAML: did not find expected node content`},
		{"bad json", "gost.json", "{\"authers\": [}\n", `gost.json:1: not valid JSON`},
		{"top level list", "gost.yml", "- a\n", `gost.yml:1: the config must be a mapping`},
		{"empty entry", "gost.yml", "authers:\n- \n", `gost.yml:2: authers[0]: an empty entry`},
		{"key case clash", "gost.yml", "Authers: []\nauthers: []\n", `gost.yml:2: authers: keys "Authers" (line 1) and "authers" both mean authers`},
		{"duplicate key", "gost.yml", "authers: []\nauthers: []\n", `gost.yml:2: authers: mapping key "authers" already defined at line 1`},
		{"service name list", "gost.yml", "services:\n- name: [a]\n", `gost.yml:2: services[0].name: want a string, got a list`},
		{"handler auther map", "gost.yml", "services:\n- name: s\n  handler: {auther: {a: 1}}\n", `gost.yml:3: services[0].handler.auther: want a string, got a mapping`},
		{"alias bomb", "gost.yml", aliasBomb(), `document contains excessive aliasing`},
		{"recursive alias", "gost.yml", "a: &a [*a]\n", `anchor 'a' value contains itself`},
		{"deep nesting", "gost.yml", "authers: " + strings.Repeat("[", 200) + strings.Repeat("]", 200) + "\n", `nested deeper than 100 levels`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(tt.source, []byte(tt.config))
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrConfig)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}

// aliasBomb is a billion-laughs YAML document.
func aliasBomb() string {
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 10; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	b.WriteString("authers: *a9\n")
	return b.String()
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	_, err := Parse("big.yml", make([]byte, MaxConfigSize+1))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "big.yml: ")
}

// TestEmptyConfig: an empty file or document holds no plugins.
func TestEmptyConfig(t *testing.T) {
	t.Parallel()
	for _, src := range []string{"", "\n", "---\n", "# nothing\n", "{}", "null\n"} {
		d, err := Parse("gost.yml", []byte(src))
		require.NoError(t, err, "%q", src)
		assert.Empty(t, d.Plugins)
		assert.Empty(t, d.Findings)
	}
}

// TestTokensNeverShown: no finding or error carries a token.
func TestTokensNeverShown(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-token-value"
	d := parseOne(t, `
services:
- name: svc
  handler: {type: http, auther: "`+secret+`"}
authers:
- name: a
  plugin: {addr: "10.0.0.1:1", token: "`+secret+`"}
- name: b
  plugin: {type: http, addr: "http://10.0.0.1:1/`+secret+`", token: "`+secret+`"}
- name: c
  plugin: {addr: "10.0.0.1:1", token: other-token}
`)
	require.NotEmpty(t, d.Findings)
	for _, f := range d.Findings {
		assert.NotContains(t, f.Message, secret, "%s", f.Code)
		assert.NotContains(t, f.Message, "other-token", "%s", f.Code)
	}
	for _, src := range []string{
		"authers:\n- name: a\n  plugin: {token: {" + secret + ": 1}}\n",
		"authers:\n- name: a\n  plugin: {token: !!int " + secret + "}\n",
		"authers:\n- name: a\n  plugin: {token: [" + secret + "]}\n",
	} {
		_, err := Parse("gost.yml", []byte(src))
		require.Error(t, err)
		assert.NotContains(t, err.Error(), secret)
	}
}

// TestJSONReadsAsViper: a JSON config reads numbers as encoding/json does
// (float64), and a repeated key keeps the last value, as GOST's JSON codec.
func TestJSONReadsAsViper(t *testing.T) {
	t.Parallel()
	d, err := Parse("-", []byte(`{"bypasses": [{"name": "b", "plugin": {"addr": "h:1", "addr": "h:2", "token": 1e3, "timeout": 1500000000.9}}]}`))
	require.NoError(t, err)
	require.Len(t, d.Plugins, 1)
	c := d.Plugins[0].Config
	assert.Equal(t, "h:2", c.Addr)
	assert.Equal(t, "1000", c.Token)
	assert.Equal(t, 1500000000*time.Nanosecond, c.Timeout)
	assert.Equal(t, 1, d.Plugins[0].Line)
}

func TestKinds(t *testing.T) {
	t.Parallel()
	assert.Len(t, Kinds, 15)
	for _, k := range Kinds {
		assert.NotEmpty(t, ModuleOf(k), k)
	}
	assert.Equal(t, "authers/auth-0", Plugin{Kind: "authers", Name: "auth-0"}.ID())
}

// TestSourceDecidesCodec: stdin that starts with "{" but is a YAML flow
// mapping reads as YAML; a config from the API has no lines.
func TestSourceDecidesCodec(t *testing.T) {
	t.Parallel()
	d, err := Parse("-", []byte("{authers: [{name: a, plugin: {addr: '127.0.0.1:1'}}]}\n"))
	require.NoError(t, err)
	require.Len(t, d.Plugins, 1)

	_, err = Parse("gost.json", []byte("{authers: []}"))
	require.ErrorContains(t, err, "gost.json:1: not valid JSON")

	const api = "http://127.0.0.1:18080/api/config?format=json"
	d, err = Parse(api, []byte(`{"authers":[{"name":"a","plugin":{"addr":"127.0.0.1:1","token":"x"}},{"name":"b","plugin":{"addr":"127.0.0.1:1","token":"y"}}]}`))
	require.NoError(t, err)
	require.NotEmpty(t, d.Findings)
	for _, p := range d.Plugins {
		assert.Zero(t, p.Line)
	}
	for _, f := range d.Findings {
		assert.Zero(t, f.Line)
		assert.Equal(t, api, f.File)
		assert.NotContains(t, f.Message, "line")
	}
}

// TestInlineHopsOnOneLine: inline hops of a one-line JSON config (as the
// API serves it) keep their own users.
func TestInlineHopsOnOneLine(t *testing.T) {
	t.Parallel()
	d, err := Parse("gost.json", []byte(`{"services":[{"name":"s1","handler":{"chain":"c1"}},{"name":"s2","handler":{"chain":"c2"}}],`+
		`"chains":[{"name":"c1","hops":[{"name":"h1","plugin":{"addr":"127.0.0.1:1"}}]},{"name":"c2","hops":[{"name":"h2","plugin":{"addr":"127.0.0.1:2"}}]}]}`))
	require.NoError(t, err)
	require.Len(t, d.Plugins, 2)
	for i, p := range d.Plugins {
		name := fmt.Sprintf("h%d", i+1)
		assert.Equal(t, name, p.Name)
		assert.Equal(t, fmt.Sprintf("c%d", i+1), p.Chain)
		require.Len(t, p.Users, 1, name)
		assert.Equal(t, fmt.Sprintf("s%d", i+1), p.Users[0].Service, name)
	}
}
