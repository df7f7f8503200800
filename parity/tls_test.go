package parity

import (
	"crypto/tls"
	"testing"

	"github.com/go-gost/x/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/plugincheck/plugincheck/internal/testcert"
	"github.com/plugincheck/plugincheck/mockclient"
)

// tlsBlocks are the GOST tls blocks compared: `tls: {}`, a serverName, and
// `secure: true` against a private CA, which both sides must refuse.
var tlsBlocks = []struct {
	name  string
	block *config.TLSConfig
}{
	{name: "tls-empty", block: &config.TLSConfig{}},
	{name: "server-name", block: &config.TLSConfig{ServerName: "plugin.example"}},
	{name: "secure-private-ca", block: &config.TLSConfig{Secure: true}},
}

// tlsAdapters are the operations compared over TLS: TLS is set up by the
// shared dial code, so one operation per module is enough.
func tlsAdapters() []adapter {
	return []adapter{authAdapter, admissionAdapter, bypassAdapter, hostsAdapter, resolverAdapter,
		observerAdapter, recorderAdapter, rewriterAdapter, sdRegisterAdapter, sdGetAdapter,
		hopAdapter, ingressGetRuleAdapter, ingressSetRuleAdapter, limiterAdapter, routerAdapter}
}

// TestParityTLS compares SNI, :authority, the HTTP version and the verdicts
// of both clients against TLS plugin servers.
func TestParityTLS(t *testing.T) {
	t.Parallel()
	ca, err := testcert.NewCA("parity CA")
	require.NoError(t, err)
	leaf := testcert.Loopback()
	leaf.DNSNames = append(leaf.DNSNames, "plugin.example")
	cert, err := ca.Issue(leaf)
	require.NoError(t, err)

	for _, a := range tlsAdapters() {
		for _, tr := range mockclient.Transports() {
			for _, tb := range tlsBlocks {
				t.Run(string(a.module)+"/"+a.op+"/"+string(tr)+"/"+tb.name, func(t *testing.T) {
					t.Parallel()
					runTLSCase(t, a, tr, tb.block, cert)
				})
			}
		}
	}
}

func runTLSCase(t *testing.T, a adapter, tr mockclient.Transport, block *config.TLSConfig, cert tls.Certificate) {
	srv := startServer(t, tr, &cert)
	b := *block
	plugin := pluginConfig(srv, a.module, "parity-token", &b)
	gost := a.newGOST(t, plugin)
	mc, err := mockclient.New(mockConfig(plugin))
	require.NoError(t, err)
	t.Cleanup(func() { _ = mc.Close() })
	op, err := mockclient.LookupOperation(a.module, a.op)
	require.NoError(t, err)
	reqs := fixtureRequests(t, a.module, a.op)
	reqs = append(reqs, a.extra...)
	require.NotEmpty(t, reqs)
	gostWire, mockWire := compareOne(t, srv, a, op, gost, mc, "tls", reqs[0], a.ok(tr))
	if block.Secure {
		// Neither side reaches the plugin: the handshake fails against a CA
		// that is not in the system roots.
		assert.Empty(t, gostWire)
		assert.Empty(t, mockWire)
		return
	}
	require.NotEmpty(t, gostWire)
	if block.ServerName != "" {
		assert.Equal(t, block.ServerName, gostWire[0].SNI, "GOST sends serverName as SNI")
	}
	if tr == mockclient.HTTP {
		assert.Equal(t, "HTTP/1.1", gostWire[0].Proto, "a tls block makes GOST speak HTTP/1.1")
	}
}
