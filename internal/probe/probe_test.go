package probe

import (
	"crypto/tls"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/internal/testnet"
	"github.com/plugincheck/plugincheck/mockclient"
)

// quiet drops the TLS handshake errors that the probes provoke on purpose.
var quiet = log.New(io.Discard, "", 0)

func listen(t *testing.T) net.Listener {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return lis
}

func grpcServer(t *testing.T, cert *tls.Certificate) string {
	t.Helper()
	var opts []grpc.ServerOption
	if cert != nil {
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{*cert}})))
	}
	srv := grpc.NewServer(opts...)
	lis := listen(t)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

// tlsNoALPN completes TLS handshakes without negotiating any protocol.
func tlsNoALPN(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	lis := tls.NewListener(listen(t), &tls.Config{Certificates: []tls.Certificate{cert}})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := lis.Accept()
			if err != nil {
				return
			}
			_ = conn.(*tls.Conn).Handshake()
			_ = conn.Close()
		}
	})
	t.Cleanup(func() { _ = lis.Close(); wg.Wait() })
	return lis.Addr().String()
}

func TestDiagnose(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("plugincheck test CA")
	require.NoError(t, err)
	good, err := ca.Issue(testcert.Loopback())
	require.NoError(t, err)

	plainGRPC := grpcServer(t, nil)
	tlsGRPC := grpcServer(t, &good)
	noALPN := tlsNoALPN(t, good)
	httpSrv := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(httpSrv.Close)
	httpsSrv := httptest.NewUnstartedServer(http.NotFoundHandler())
	httpsSrv.Config.ErrorLog = quiet
	httpsSrv.StartTLS()
	t.Cleanup(httpsSrv.Close)
	mtls := httptest.NewUnstartedServer(http.NotFoundHandler())
	mtls.TLS = &tls.Config{Certificates: []tls.Certificate{good}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: ca.Pool}
	mtls.Config.ErrorLog = quiet
	mtls.StartTLS()
	t.Cleanup(mtls.Close)
	closedAddr := testnet.RefusedAddr(t)

	insecure := &mockclient.TLSConfig{}
	secure := &mockclient.TLSConfig{Secure: true}
	tests := []struct {
		name string
		cfg  mockclient.Config
		want string
	}{
		{name: "nothing listening", cfg: mockclient.Config{Addr: closedAddr}, want: "connection refused: nothing is listening on " + closedAddr},
		{name: "grpc plaintext ok", cfg: mockclient.Config{Addr: plainGRPC}},
		{name: "grpc dns scheme ok", cfg: mockclient.Config{Addr: "dns:///" + plainGRPC}},
		{name: "grpc tls ok", cfg: mockclient.Config{Addr: tlsGRPC, TLS: insecure}},
		{name: "tls config, plaintext server", cfg: mockclient.Config{Addr: plainGRPC, TLS: insecure}, want: plainGRPC + " answers in plaintext, but the GOST config has a tls block (--tls)"},
		{name: "plaintext config, tls server", cfg: mockclient.Config{Addr: tlsGRPC}, want: tlsGRPC + " speaks TLS, but the GOST config has no tls block: add --tls"},
		{name: "secure against a private CA", cfg: mockclient.Config{Addr: tlsGRPC, TLS: secure}, want: "secure: true will fail: certificate signed by unknown authority"},
		{name: "grpc tls without alpn", cfg: mockclient.Config{Addr: noALPN, TLS: insecure}, want: noALPN + ` completed TLS without negotiating ALPN "h2"`},
		{name: "grpc config, http server", cfg: mockclient.Config{Addr: httpSrv.Listener.Addr().String()}, want: "answers HTTP/1.1, not gRPC: for an HTTP plugin use --addr http://"},
		{name: "http config, grpc server", cfg: mockclient.Config{Addr: "http://" + plainGRPC + "/auth"}, want: plainGRPC + " speaks HTTP/2 only, as gRPC servers do"},
		{name: "http ok", cfg: mockclient.Config{Addr: httpSrv.URL + "/auth"}},
		{name: "https ok with tls block", cfg: mockclient.Config{Addr: httpsSrv.URL + "/auth", TLS: insecure}},
		{name: "https self-signed without tls block", cfg: mockclient.Config{Addr: httpsSrv.URL + "/auth"}, want: "https:// without a tls block (Go's default verification) will fail: certificate signed by unknown authority"},
		{name: "http config, tls server", cfg: mockclient.Config{Addr: "http://" + httpsSrv.Listener.Addr().String() + "/auth"}, want: "speaks TLS, but the GOST config has no tls block: add --tls and use https://"},
		{name: "client certificate required", cfg: mockclient.Config{Addr: mtls.URL + "/auth", TLS: insecure}, want: "requires a client certificate; GOST never presents one to a plugin"},
		{name: "not host:port", cfg: mockclient.Config{Addr: "localhost"}, want: `"localhost": no port; write localhost:PORT`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Diagnose(t.Context(), tt.cfg)
			if tt.want == "" {
				assert.Empty(t, got)
				return
			}
			assert.Contains(t, got, tt.want)
		})
	}
}
