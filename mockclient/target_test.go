package mockclient

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
)

func TestParseTarget(t *testing.T) {
	t.Parallel()
	named := &TLSConfig{ServerName: "plugin.example"}
	tests := []struct {
		name       string
		cfg        Config
		transport  Transport
		dial       string
		https      bool
		usesTLS    bool
		serverName string
		requestURL string
	}{
		// gRPC: TLS only with a tls block.
		{name: "grpc", cfg: Config{Addr: "127.0.0.1:8000"}, transport: GRPC, dial: "127.0.0.1:8000", serverName: "127.0.0.1"},
		{name: "grpc with tls block", cfg: Config{Addr: "127.0.0.1:8000", TLS: &TLSConfig{}},
			transport: GRPC, dial: "127.0.0.1:8000", usesTLS: true, serverName: "127.0.0.1"},
		{name: "grpc with serverName", cfg: Config{Addr: "dns:///localhost:8000", TLS: named},
			transport: GRPC, dial: "localhost:8000", usesTLS: true, serverName: "plugin.example"},
		// HTTP: TLS only with https://, whatever the tls block says.
		{name: "http", cfg: Config{Addr: "http://127.0.0.1/auth"}, transport: HTTP, dial: "127.0.0.1:80",
			serverName: "127.0.0.1", requestURL: "http://127.0.0.1/auth"},
		{name: "http with tls block stays plaintext", cfg: Config{Addr: "http://127.0.0.1:8000/auth", TLS: named}, transport: HTTP,
			dial: "127.0.0.1:8000", serverName: "plugin.example", requestURL: "http://127.0.0.1:8000/auth"},
		{name: "https", cfg: Config{Addr: "https://localhost/auth"}, transport: HTTP, dial: "localhost:443",
			https: true, usesTLS: true, serverName: "localhost", requestURL: "https://localhost/auth"},
		{name: "https with tls block", cfg: Config{Addr: "HTTPS://127.0.0.1:8443/auth", TLS: named}, transport: HTTP,
			dial: "127.0.0.1:8443", https: true, usesTLS: true, serverName: "plugin.example", requestURL: "HTTPS://127.0.0.1:8443/auth"},
		// GOST's HTTP observer alone prepends http://.
		{name: "observer without scheme", cfg: Config{Addr: "127.0.0.1:9000/observe", Transport: HTTP, Module: Observer},
			transport: HTTP, dial: "127.0.0.1:9000", serverName: "127.0.0.1", requestURL: "http://127.0.0.1:9000/observe"},
		{name: "observer with scheme", cfg: Config{Addr: "https://127.0.0.1:9000/observe", Module: Observer},
			transport: HTTP, dial: "127.0.0.1:9000", https: true, usesTLS: true, serverName: "127.0.0.1",
			requestURL: "https://127.0.0.1:9000/observe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tt.cfg)
			require.NoError(t, err)
			assert.Equal(t, tt.transport, got.Transport)
			assert.Equal(t, tt.dial, got.Dial)
			assert.Equal(t, tt.https, got.HTTPS)
			assert.Equal(t, tt.usesTLS, got.UsesTLS())
			assert.Equal(t, tt.serverName, got.ServerName())
			assert.Equal(t, tt.requestURL, got.RequestURL())
			assert.Same(t, tt.cfg.TLS, got.TLS)
		})
	}
}

func TestParseTargetRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		// requestURL is where GOST still sends an HTTP call.
		requestURL string
	}{
		{name: "empty", cfg: Config{}},
		{name: "grpc without port", cfg: Config{Addr: "localhost"}},
		{name: "grpc scheme", cfg: Config{Addr: "grpc://127.0.0.1:8000"}},
		{name: "url with grpc transport", cfg: Config{Addr: "http://127.0.0.1:8000", Transport: GRPC}},
		{name: "http without scheme", cfg: Config{Addr: "127.0.0.1:8000/auth", Transport: HTTP}, requestURL: "127.0.0.1:8000/auth"},
		{name: "observer without scheme, module unknown", cfg: Config{Addr: "127.0.0.1:9000", Transport: HTTP}, requestURL: "127.0.0.1:9000"},
		{name: "observer with another scheme", cfg: Config{Addr: "httpx://h:1", Transport: HTTP, Module: Observer}, requestURL: "httpx://h:1"},
		{name: "http port out of range", cfg: Config{Addr: "http://127.0.0.1:99999/auth"}, requestURL: "http://127.0.0.1:99999/auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseTarget(tt.cfg)
			var ae *AddressError
			require.ErrorAs(t, err, &ae)
			assert.ErrorIs(t, err, ErrBadAddress)
			assert.Equal(t, tt.cfg.Addr, got.Raw)
			assert.Equal(t, tt.requestURL, got.RequestURL())
		})
	}
}

// TestNewTakesWhatGOSTTakes: New reads the address through ParseTarget but
// refuses only what grpc.NewClient refuses, as GOST does.
func TestNewTakesWhatGOSTTakes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		cfg       Config
		transport Transport
		invalid   bool
	}{
		{name: "grpc", cfg: Config{Addr: "127.0.0.1:8000"}, transport: GRPC},
		{name: "grpc without port", cfg: Config{Addr: "localhost"}, transport: GRPC},
		{name: "grpc scheme", cfg: Config{Addr: "grpc://127.0.0.1:8000"}, transport: GRPC},
		{name: "url missing slashes stays grpc", cfg: Config{Addr: "http:127.0.0.1:8000"}, transport: GRPC},
		{name: "http", cfg: Config{Addr: "http://127.0.0.1:8000/auth"}, transport: HTTP},
		{name: "http without scheme", cfg: Config{Addr: "127.0.0.1:8000/auth", Transport: HTTP}, transport: HTTP},
		{name: "http bad port", cfg: Config{Addr: "http://127.0.0.1:99999"}, transport: HTTP},
		{name: "control character", cfg: Config{Addr: "\x00"}, invalid: true},
		{name: "control character over grpc", cfg: Config{Addr: "127.0.0.1:1\x00", Transport: GRPC}, invalid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			if tt.invalid {
				require.ErrorIs(t, err, ErrInvalidTarget)
				assert.Nil(t, c)
				return
			}
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			assert.Equal(t, tt.transport, c.Transport())
			assert.Equal(t, tt.cfg, c.Config(), "the config is kept as given")
		})
	}
}

// TestObserverWithoutScheme: the HTTP observer posts to http://addr, every
// other module uses the addr verbatim and fails to build the request.
func TestObserverWithoutScheme(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{}, "/obs", replyWith(200, `{"ok":true}`))
	addr := strings.TrimPrefix(c.Config().Addr, "http://")
	bare, err := New(Config{Addr: addr, Transport: HTTP, CallTimeout: testTimeout})
	require.NoError(t, err)
	t.Cleanup(func() { _ = bare.Close() })

	res := bare.Observe(t.Context(), ObserverRequest{Events: observerEvents()[:1]})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, "http://"+addr, res.Target)
	method, uri, _, _, calls := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/obs", uri)
	assert.Equal(t, 1, calls)

	unsent := bare.Observe(t.Context(), ObserverRequest{})
	assert.False(t, unsent.Sent)
	assert.Equal(t, "http://"+addr, unsent.Target, "the call GOST would have made")

	auth := bare.Authenticate(t.Context(), AuthRequest{})
	assert.Equal(t, FailureRequest, auth.Failure, "GOST's other HTTP clients use the addr verbatim")
	assert.Equal(t, addr, auth.Target)
}

func TestOutcomeClassification(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		obs             Observation
		answered        bool
		noReply         bool
		unauthenticated bool
	}{
		{name: "grpc reply", obs: Observation{Transport: GRPC, module: Auth}, answered: true},
		{name: "http reply", obs: Observation{Transport: HTTP, module: Auth, HTTPStatus: 200}, answered: true},
		{name: "http hop 204 is no node", obs: Observation{Transport: HTTP, module: Hop, Failure: FailureStatus, HTTPStatus: 204}, answered: true},
		{name: "http hop 404 is no node", obs: Observation{Transport: HTTP, module: Hop, Failure: FailureStatus, HTTPStatus: 404}, answered: true},
		{name: "http hop 500", obs: Observation{Transport: HTTP, module: Hop, Failure: FailureStatus, HTTPStatus: 500}},
		{name: "http bypass 404", obs: Observation{Transport: HTTP, module: Bypass, Failure: FailureStatus, HTTPStatus: 404}},
		{name: "grpc hop not found", obs: Observation{Transport: GRPC, module: Hop, Failure: FailureStatus, Code: codes.NotFound}},
		{name: "decode", obs: Observation{Transport: HTTP, module: Auth, Failure: FailureDecode, HTTPStatus: 200}},
		{name: "transport", obs: Observation{Transport: GRPC, module: Auth, Failure: FailureTransport, Code: codes.Unavailable}, noReply: true},
		{name: "timeout", obs: Observation{Transport: HTTP, module: Auth, Failure: FailureTimeout}, noReply: true},
		{name: "request", obs: Observation{Transport: HTTP, module: Auth, Failure: FailureRequest}, noReply: true},
		{name: "grpc unauthenticated", obs: Observation{Transport: GRPC, module: Auth, Failure: FailureStatus, Code: codes.Unauthenticated},
			unauthenticated: true},
		{name: "grpc permission denied", obs: Observation{Transport: GRPC, module: Auth, Failure: FailureStatus, Code: codes.PermissionDenied}},
		{name: "http 401", obs: Observation{Transport: HTTP, module: Auth, Failure: FailureStatus, HTTPStatus: 401}, unauthenticated: true},
		{name: "http 403", obs: Observation{Transport: HTTP, module: Auth, Failure: FailureStatus, HTTPStatus: 403}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			assert.Equal(t, tt.answered, tt.obs.Answered(), "Answered")
			assert.Equal(t, tt.noReply, tt.obs.NoReply(), "NoReply")
			assert.Equal(t, tt.unauthenticated, tt.obs.Unauthenticated(), "Unauthenticated")
		})
	}
}

// TestTypedMethodsRecordTheModule: Answered needs the module, which the
// generic path records for typed methods as for Operation.Do.
func TestTypedMethodsRecordTheModule(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusNoContent, http.StatusNotFound} {
		c, _ := newHTTPTestClient(t, Config{}, "/hop", replyWith(status, ""))
		res := c.Select(t.Context(), HopRequest{})
		assert.Equal(t, FailureStatus, res.Failure)
		assert.True(t, res.Answered(), "HTTP hop %d is GOST's no node", status)

		op, err := LookupOperation(Hop, "")
		require.NoError(t, err)
		out := op.Do(t.Context(), c, op.NewRequest())
		assert.True(t, out.Answered())
	}
	c, _ := newHTTPTestClient(t, Config{}, "/bypass", replyWith(http.StatusNotFound, ""))
	res := c.Bypass(t.Context(), BypassRequest{})
	assert.False(t, res.Answered(), "only hop reads 404 as an answer")
}

func TestReproducerReadsTheTarget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		addr string
		tls  *TLSConfig
		want string
	}{
		{name: "https with serverName", addr: "https://127.0.0.1:8443/auth", tls: &TLSConfig{ServerName: "plugin.example"},
			want: "curl -sS -i -X POST --http1.1 -k --connect-to plugin.example:8443:127.0.0.1:8443 " +
				"-H 'Content-Type: application/json' --data-binary '{}' https://plugin.example:8443/auth"},
		{name: "https default port", addr: "https://127.0.0.1/auth", tls: &TLSConfig{Secure: true, ServerName: "plugin.example"},
			want: "curl -sS -i -X POST --http1.1 --connect-to plugin.example:443:127.0.0.1 " +
				"-H 'Content-Type: application/json' --data-binary '{}' https://plugin.example:443/auth"},
		{name: "http keeps its host", addr: "http://127.0.0.1:8000/auth", tls: &TLSConfig{ServerName: "plugin.example"},
			want: "curl -sS -i -X POST --http1.1 -k -H 'Content-Type: application/json' --data-binary '{}' http://127.0.0.1:8000/auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{Addr: tt.addr, TLS: tt.tls})
			require.NoError(t, err)
			t.Cleanup(func() { _ = c.Close() })
			obs := Observation{Transport: HTTP, Method: http.MethodPost, Target: tt.addr, Sent: true, Request: []byte("{}")}
			assert.Equal(t, tt.want, c.Reproducer(&obs, false))
		})
	}
}

func TestAddressErrorIsBadAddress(t *testing.T) {
	t.Parallel()
	_, err := ParseTarget(Config{Addr: "-x"})
	var ae *AddressError
	require.True(t, errors.As(err, &ae))
	assert.Contains(t, ae.Problem, "flag")
}
