package cli

import (
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/refplugin"
	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/report"
)

func TestNewCmdTLS(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    string
		want    TLSOptions
		wantErr string
	}{
		{
			name: "defaults",
			args: "--addr 127.0.0.1:8443",
			want: TLSOptions{Conn: ConnOptions{Addr: "127.0.0.1:8443"}, Output: CheckOptions{Outputs: []string{"text"}}},
		},
		{
			name: "everything",
			args: "--addr https://p.example/auth --transport http --tls-secure --tls-server-name p.example " +
				"--tls-ca-cert ca.pem --tls-client-cert c.pem --tls-client-key c.key -o json --no-color -v",
			want: TLSOptions{
				Conn: ConnOptions{
					Addr: "https://p.example/auth", Transport: "http", TLSSecure: true, TLSServerName: "p.example",
					TLSCACert: "ca.pem", TLSClientCert: "c.pem", TLSClientKey: "c.key",
				},
				Output: CheckOptions{Outputs: []string{"json"}, NoColor: true, Verbose: true},
			},
		},
		{
			name: "GOST's timeout",
			args: "--addr https://p.example/auth --tls --timeout 2s",
			want: TLSOptions{Conn: ConnOptions{Addr: "https://p.example/auth", TLS: true, Timeout: 2 * time.Second}, Output: CheckOptions{Outputs: []string{"text"}}},
		},
		{name: "no token flag", args: "--addr a:1 --token x", wantErr: "unknown flag: --token"},
		{name: "bad format", args: "--addr a:1 -o yaml", wantErr: `--output "yaml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseArgs(t, tt.args, newCmdTLS)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.NotNil(t, got)
			assert.Equal(t, tt.want.Conn, got.Conn)
			assert.Equal(t, tt.want.Output, got.Output)
		})
	}
}

// tlsRef starts the reference plugins behind cfg (nil: plaintext).
func tlsRef(t *testing.T, cfg *tls.Config) *refplugin.Server {
	t.Helper()
	srv, err := refplugin.Start(t.Context(), refplugin.Options{TLS: cfg})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

// pemFiles writes cert's chain and key and returns their paths.
func pemFiles(t *testing.T, cert tls.Certificate) (string, string) {
	t.Helper()
	c, k, err := testcert.PEM(cert)
	require.NoError(t, err)
	dir := t.TempDir()
	cp, kp := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	require.NoError(t, os.WriteFile(cp, c, 0o600))
	require.NoError(t, os.WriteFile(kp, k, 0o600))
	return cp, kp
}

func TestTLSCommand(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, certs.CA.CertPEM(), 0o600))
	clientCert, clientKey := pemFiles(t, certs.Client)

	valid := tlsRef(t, tlsConfig(certs.Valid))
	plain := tlsRef(t, nil)
	selfSigned := tlsRef(t, tlsConfig(certs.SelfSigned))
	expired := tlsRef(t, tlsConfig(certs.Expired))
	mtlsCfg := tlsConfig(certs.Valid)
	mtlsCfg.ClientAuth, mtlsCfg.ClientCAs = tls.RequireAndVerifyClientCert, certs.CA.Pool
	mtls := tlsRef(t, mtlsCfg)

	tests := []struct {
		name   string
		args   []string
		code   ExitCode
		stdout []string
		// passes are the run and case IDs that pass (see assertPasses).
		passes []string
		stderr string
	}{
		{
			name: "tls: {} connects", args: []string{"--addr", valid.GRPCAddr(), "--tls"}, code: ExitOK,
			stdout: []string{"reachable, speaks TLS", "TLS 1.3", "ALPN h2", "peer: CN=localhost → CN=plugincheck test intermediate",
				"name: 127.0.0.1 (addr) matches the certificate", "verify: system roots: fails: x509: certificate signed by unknown authority",
				"* yes  tls: {}", "no   tls: {secure: true}"},
			passes: []string{"tls/grpc", "gost-tls/grpc/connects"},
		},
		{
			name: "secure: true fails against a private CA", args: []string{"--addr", valid.GRPCAddr(), "--tls-secure"}, code: ExitUnreachable,
			stdout: []string{"* no   tls: {secure: true}", "FAIL  gost-tls/grpc/connects", "repro: openssl s_client -connect " + valid.GRPCAddr() + " -alpn h2 -verify_return_error -verify_ip 127.0.0.1"},
			stderr: "secure: true will fail: certificate signed by unknown authority (issued by CN=plugincheck test CA, which the roots do not hold); GOST uses the system roots only, and a plugin's caFile is ignored",
		},
		{
			name: "--tls-ca-cert verifies but GOST does not use it", args: []string{"--addr", valid.GRPCAddr(), "--tls-secure", "--tls-ca-cert", caFile}, code: ExitUnreachable,
			stdout: []string{"verify: " + caFile + ": ok"},
			stderr: "the chain verifies against " + caFile + ": add that CA to the system roots of GOST's host",
		},
		{
			name: "plaintext", args: []string{"--addr", plain.GRPCAddr()}, code: ExitOK,
			stdout: []string{"reachable, speaks plaintext", "* yes  no tls block"},
		},
		{
			name: "tls block against plaintext", args: []string{"--addr", plain.GRPCAddr(), "--tls"}, code: ExitUnreachable,
			stderr: "answers in plaintext, but the GOST config has a tls block (--tls)",
		},
		{
			name: "no tls block against tls", args: []string{"--addr", "http://" + strings.TrimPrefix(valid.HTTPURL("auth"), "https://")}, code: ExitUnreachable,
			stderr: "speaks TLS, but the GOST config has no tls block: add --tls and use https://",
		},
		{
			name: "self-signed https without a tls block", args: []string{"--addr", selfSigned.HTTPURL("auth")}, code: ExitUnreachable,
			stdout: []string{"finding self-signed: the certificate is self-signed"},
			stderr: "https:// without a tls block (Go's default verification) will fail: certificate signed by unknown authority (the certificate is self-signed)",
		},
		{
			name: "expired under tls: {} connects with a finding", args: []string{"--addr", expired.GRPCAddr(), "--tls"}, code: ExitOK,
			stdout: []string{"(expired 2 days ago)", "finding expired: certificate CN=localhost expired on", "tls: {} does not check"},
		},
		{
			name: "mTLS read with the probe's client certificate", code: ExitUnreachable,
			args:   []string{"--addr", mtls.GRPCAddr(), "--tls", "--tls-client-cert", clientCert, "--tls-client-key", clientKey},
			stdout: []string{"client certificate required", "peer: CN=localhost", "the chain was read with --tls-client-cert, which GOST cannot present", "finding client-cert-required"},
			stderr: "requires a client certificate; GOST never presents one to a plugin, so it can never connect",
		},
		{name: "key without cert", args: []string{"--addr", valid.GRPCAddr(), "--tls-client-key", clientKey}, code: ExitUsage, stderr: "--tls-client-cert and --tls-client-key go together"},
		{name: "missing CA file", args: []string{"--addr", valid.GRPCAddr(), "--tls-ca-cert", "no-such.pem"}, code: ExitUsage, stderr: "--tls-ca-cert: open no-such.pem"},
		{name: "CA file without PEM", args: []string{"--addr", valid.GRPCAddr(), "--tls-ca-cert", clientKey}, code: ExitUsage, stderr: "no PEM certificate in it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := runMain(t, append([]string{"tls", "-v"}, tt.args...)...)
			assert.Equal(t, tt.code, code, "stderr: %s\nstdout: %s", stderr, stdout)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			for _, id := range tt.passes {
				assertPasses(t, stdout, id)
			}
			if tt.stderr != "" {
				assert.Contains(t, stderr, tt.stderr)
				assert.Equal(t, 1, strings.Count(stderr, "\n"), "errors are one line: %q", stderr)
			} else {
				assert.Empty(t, stderr)
			}
		})
	}
}

func TestTLSCommandOutputs(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	srv := tlsRef(t, tlsConfig(certs.WrongName))
	dir := t.TempDir()
	junitFile := filepath.Join(dir, "r.xml")
	code, stdout, _ := runMain(t, "tls", "--addr", srv.HTTPURL("auth"), "--tls-secure", "-o", "json", "-o", "junit="+junitFile)
	require.Equal(t, ExitUnreachable, code)

	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Len(t, rep.Runs, 1)
	run := rep.Runs[0]
	assert.Equal(t, "tls", run.Module)
	assert.Equal(t, "http", run.Transport)
	var ids []string
	for _, v := range run.TLS.Matrix {
		ids = append(ids, v.ID)
		if v.Configured {
			assert.Equal(t, "https-tls-secure", v.ID)
			assert.False(t, v.Connects)
			assert.Contains(t, v.Reason, "doesn't contain any IP SANs (it is valid for other.example); set serverName")
		}
		if v.ID == "https-tls-server-name" {
			assert.Equal(t, "other.example", v.TLS.ServerName, "rows with serverName use the certificate's name")
			assert.True(t, v.Connects)
		}
	}
	assert.Equal(t, []string{"http", "https", "https-tls", "https-tls-server-name", "https-tls-secure", "https-tls-secure-server-name"}, ids)
	assert.NotEmpty(t, run.Diagnosis)

	b, err := os.ReadFile(junitFile)
	require.NoError(t, err)
	var suites struct {
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			Properties []struct {
				Name  string `xml:"name,attr"`
				Value string `xml:"value,attr"`
			} `xml:"properties>property"`
		} `xml:"testsuite"`
	}
	require.NoError(t, xml.Unmarshal(b, &suites))
	assert.Equal(t, 1, suites.Failures)
	assert.Contains(t, suites.Suites[0].Properties, struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}{"tls.gost-connects", "false"})
}

func TestModuleRunTLSSection(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	srv := tlsRef(t, tlsConfig(certs.Valid))
	mtlsCfg := tlsConfig(certs.Valid)
	mtlsCfg.ClientAuth, mtlsCfg.ClientCAs = tls.RequireAndVerifyClientCert, certs.CA.Pool
	mtls := tlsRef(t, mtlsCfg)
	clientCert, clientKey := pemFiles(t, certs.Client)

	code, stdout, stderr := runMain(t, "auth", "--addr", srv.GRPCAddr(), "--tls", "--run", "accepts-gost", "--fixtures", "../../fixtures/reference/auth.yaml", "-o", "json")
	require.Equal(t, ExitOK, code, stderr)
	var rep report.Report
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	got := rep.Runs[0].TLS
	assert.Equal(t, "tls", got.Endpoint.Security)
	require.Len(t, got.Matrix, 5)
	ok, _ := got.Connects()
	assert.True(t, ok)
	assert.Equal(t, "tls", func() string {
		for _, v := range got.Matrix {
			if v.Configured {
				return v.ID
			}
		}
		return ""
	}())
	assert.Len(t, got.Peer, 2)

	// The module run reads an mTLS-only server with the probe's certificate,
	// while GOST's own calls fail: exit 3, and the report says why.
	code, stdout, stderr = runMain(t, "auth", "--addr", mtls.HTTPURL("auth"), "--tls", "--tls-client-cert", clientCert, "--tls-client-key", clientKey)
	assert.Equal(t, ExitUnreachable, code, stderr)
	assert.Contains(t, stderr, "requires a client certificate; GOST never presents one to a plugin, so it can never connect")
	assert.Contains(t, stdout, "client certificate required")
	assert.Contains(t, stdout, "peer: CN=localhost")
	assert.Contains(t, stdout, "finding client-cert-required")
}

// TestTLSCommandDeadlines runs the tls command against plugins whose TLS
// handshake waits 1.5 s after the ClientHello: over the 1 s grpc-go gives
// GOST's first gRPC connect, legal for GOST's HTTP client, which sets no
// handshake deadline, and over a GOST `timeout` of 300 ms.
func TestTLSCommandDeadlines(t *testing.T) {
	t.Parallel()
	certs, err := testcert.NewSet()
	require.NoError(t, err)
	stop := make(chan struct{})
	cfg := tlsConfig(certs.Valid)
	cfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
		timer := time.NewTimer(1500 * time.Millisecond)
		defer timer.Stop()
		select {
		case <-timer.C:
		case <-stop:
		}
		return nil, nil
	}
	srv := tlsRef(t, cfg)
	t.Cleanup(func() { close(stop) }) // runs before tlsRef's Close

	tests := []struct {
		name   string
		cmd    string // default tls
		args   []string
		code   ExitCode
		stdout []string
		stderr string
	}{
		{
			name: "module run: slow https handshake is a warning cause", cmd: "auth",
			args:   []string{"--addr", srv.HTTPURL("auth"), "--tls", "--latency-budget", "1m"},
			stdout: []string{"WARNING: tls: GOST connects with the settings given, with a caveat: ", "WARN  auth/http"},
		},
		{
			name: "module run: the caveat fails under --strict", cmd: "auth",
			args: []string{"--addr", srv.HTTPURL("auth"), "--tls", "--latency-budget", "1m", "--strict"},
			code: ExitFailed, stdout: []string{"WARNING: tls: GOST connects with the settings given, with a caveat: "},
		},
		{
			// GOST's first calls would fail; the cases run once the
			// connection is up, so their verdicts are the plugin's.
			// --call-timeout: the wait for the connection, long enough for
			// a third attempt (grpc-go's jitter can cut the second's 1.6 s
			// to 1.28 s), and on a starved machine for several more: once,
			// with eight busy loops beside the whole -race suite (load
			// average 11 on 2 cores), no attempt came up within 30 s.
			name: "module run: grpc connect over 1 s is a warning cause", cmd: "auth",
			args:   []string{"--addr", srv.GRPCAddr(), "--tls", "--latency-budget", "1m", "--call-timeout", "90s"},
			stdout: []string{"WARNING: tls: GOST connects with the settings given, with a caveat: GOST's first calls fail", "WARN  auth/grpc"},
		},
		{
			name: "grpc connect over 1 s warns", args: []string{"--addr", srv.GRPCAddr(), "--tls"},
			stdout: []string{"finding grpc-slow-connect: GOST's first calls fail", "WARN"},
		},
		{
			name: "slow https handshake warns", args: []string{"--addr", srv.HTTPURL("auth"), "--tls"},
			stdout: []string{"finding slow-tls-handshake: GOST connects, but TCP and TLS with", "WARN"},
		},
		{
			name: "https handshake over GOST's timeout", args: []string{"--addr", srv.HTTPURL("auth"), "--tls", "--timeout", "300ms"},
			code: ExitUnreachable, stdout: []string{"finding handshake-timeout"}, stderr: "within GOST's timeout (300ms): GOST's call fails",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := tt.cmd
			if cmd == "" {
				cmd = "tls"
			}
			code, stdout, stderr := runMain(t, append([]string{cmd, "--no-color"}, tt.args...)...)
			assert.Equal(t, tt.code, code, "stderr: %s\nstdout: %s", stderr, stdout)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			if tt.stderr != "" {
				assert.Contains(t, stderr, tt.stderr)
			}
		})
	}
}
