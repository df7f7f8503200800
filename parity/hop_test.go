package parity

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/go-gost/core/hop"
	"github.com/go-gost/core/logger"
	hoppb "github.com/go-gost/plugin/hop/proto"
	"github.com/go-gost/x/config"
	hop_parser "github.com/go-gost/x/config/parsing/hop"
	xctx "github.com/go-gost/x/ctx"
	xlogger "github.com/go-gost/x/logger"
	"github.com/go-gost/x/registry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"

	"github.com/plugincheck/plugincheck/mockclient"

	// GOST builds a hop plugin's node with node_parser.ParseNode, which looks
	// the connector and dialer up in x's registries. The gost binary links
	// every connector and dialer package of x; these are all of them (every
	// non-test file of x v0.15.2 that calls ConnectorRegistry().Register or
	// DialerRegistry().Register), so that GOST's registry here is the one a
	// real GOST has and mockclient's copy of the names is checked against it
	// (hopRegistryFaults).
	_ "github.com/go-gost/x/connector/direct"
	_ "github.com/go-gost/x/connector/forward"
	_ "github.com/go-gost/x/connector/http"
	_ "github.com/go-gost/x/connector/http2"
	_ "github.com/go-gost/x/connector/masque"
	_ "github.com/go-gost/x/connector/relay"
	_ "github.com/go-gost/x/connector/router"
	_ "github.com/go-gost/x/connector/serial"
	_ "github.com/go-gost/x/connector/sni"
	_ "github.com/go-gost/x/connector/socks/v4"
	_ "github.com/go-gost/x/connector/socks/v5"
	_ "github.com/go-gost/x/connector/ss"
	_ "github.com/go-gost/x/connector/ss/udp"
	_ "github.com/go-gost/x/connector/sshd"
	_ "github.com/go-gost/x/connector/tcp"
	_ "github.com/go-gost/x/connector/tunnel"
	_ "github.com/go-gost/x/connector/unix"
	_ "github.com/go-gost/x/dialer/direct"
	_ "github.com/go-gost/x/dialer/dtls"
	_ "github.com/go-gost/x/dialer/ftcp"
	_ "github.com/go-gost/x/dialer/grpc"
	_ "github.com/go-gost/x/dialer/http2"
	_ "github.com/go-gost/x/dialer/http2/h2"
	_ "github.com/go-gost/x/dialer/http3"
	_ "github.com/go-gost/x/dialer/http3/masque"
	_ "github.com/go-gost/x/dialer/http3/wt"
	_ "github.com/go-gost/x/dialer/icmp"
	_ "github.com/go-gost/x/dialer/kcp"
	_ "github.com/go-gost/x/dialer/mtcp"
	_ "github.com/go-gost/x/dialer/mtls"
	_ "github.com/go-gost/x/dialer/mws"
	_ "github.com/go-gost/x/dialer/obfs/http"
	_ "github.com/go-gost/x/dialer/obfs/tls"
	_ "github.com/go-gost/x/dialer/pht"
	_ "github.com/go-gost/x/dialer/quic"
	_ "github.com/go-gost/x/dialer/serial"
	_ "github.com/go-gost/x/dialer/ssh"
	_ "github.com/go-gost/x/dialer/sshd"
	_ "github.com/go-gost/x/dialer/tcp"
	_ "github.com/go-gost/x/dialer/tls"
	_ "github.com/go-gost/x/dialer/udp"
	_ "github.com/go-gost/x/dialer/unix"
	_ "github.com/go-gost/x/dialer/utls"
	_ "github.com/go-gost/x/dialer/wg"
	_ "github.com/go-gost/x/dialer/ws"
)

// hopSeen is what GOST's *chain.Node exposes of the selected node: whether
// there is one, its name and address, and its network
// (node.Options().Network). The connector and dialer types are inside the
// node's transport, which chain.Node does not expose, so they are not
// compared (the registry faults still check that the same types are
// accepted and rejected).
type hopSeen struct {
	Selected bool   `json:"selected"`
	Name     string `json:"name,omitempty"`
	Addr     string `json:"addr,omitempty"`
	Network  string `json:"network,omitempty"`
}

// hopOKNode is the accepting plugin's node.
const hopOKNode = `{"name":"parity-node","addr":"192.0.2.1:1080","network":"tcp","connector":{"type":"socks5"},"dialer":{"type":"tcp"}}`

var hopAdapter = adapter{
	module: mockclient.Hop,
	op:     "select",
	newGOST: func(t *testing.T, p *config.PluginConfig) any {
		h, err := hop_parser.ParseHop(&config.HopConfig{Name: "parity", Plugin: p}, logger.Default())
		require.NoError(t, err)
		require.NotNil(t, h)
		if c, ok := h.(io.Closer); ok {
			t.Cleanup(func() { _ = c.Close() })
		}
		return h
	},
	callGOST: func(ctx context.Context, client any, req any) any {
		r := req.(*mockclient.HopRequest)
		// As the handlers do: the ClientID only after authentication, the
		// source address only when the connection has one.
		if r.Client != "" {
			ctx = xctx.ContextWithClientID(ctx, xctx.ClientID(r.Client))
		}
		if r.Src != "" {
			ctx = xctx.ContextWithSrcAddr(ctx, strAddr(r.Src))
		}
		node := client.(hop.Hop).Select(ctx,
			hop.NetworkSelectOption(r.Network),
			hop.AddrSelectOption(r.Addr),
			hop.HostSelectOption(r.Host),
			hop.PathSelectOption(r.Path),
		)
		if node == nil {
			return hopSeen{}
		}
		return hopSeen{Selected: true, Name: node.Name, Addr: node.Addr, Network: node.Options().Network}
	},
	project: func(v any) any {
		hv := v.(mockclient.HopVerdict)
		if !hv.Selected || hv.Node == nil {
			return hopSeen{Selected: hv.Selected}
		}
		return hopSeen{Selected: true, Name: hv.Node.Name, Addr: hv.Node.Addr, Network: hv.Node.Network}
	},
	ok: func(t mockclient.Transport) reply {
		if t == mockclient.GRPC {
			return reply{Name: "ok", GRPC: &hoppb.SelectReply{Node: []byte(hopOKNode)}}
		}
		return reply{Name: "ok", Body: hopOKNode}
	},
	faults: func(t mockclient.Transport) []reply {
		// Node JSON shapes, sent as the gRPC node bytes or as the HTTP body.
		nodes := []struct{ name, node string }{
			{"empty-node-object", `{}`},
			{"null-node", `null`},
			{"unknown-connector", `{"name":"n","addr":"192.0.2.1:1080","connector":{"type":"no-such-connector"}}`},
			{"unknown-dialer", `{"name":"n","addr":"192.0.2.1:1080","dialer":{"type":"no-such-dialer"}}`},
			{"upper-case-connector-type", `{"name":"n","addr":"192.0.2.1:1080","connector":{"type":"SOCKS5"}}`},
			{"blank-connector-type", `{"name":"n","addr":"192.0.2.1:1080","connector":{"type":" "}}`},
			{"empty-types-default", `{"name":"n","addr":"192.0.2.1:1080","connector":{"type":""},"dialer":{"type":""}}`},
			{"upper-case-keys", `{"NAME":"up","ADDR":"192.0.2.1:1080","NETWORK":"udp","CONNECTOR":{"TYPE":"socks5"}}`},
			{"ipv6-addr", `{"name":"v6","addr":"[2001:db8::1]:1080","network":"tcp6"}`},
			{"non-ascii-name", `{"name":"节点-ü","addr":"bücher.example:1080"}`},
			{"ss-without-auth", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss"}}`},
			{"ss-with-auth", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"aes-128-gcm","password":"pw"}}}`},
			{"ssu-empty-username", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ssu","auth":{"password":"pw"}}}`},
			{"ss-unsupported-cipher", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"rc4-md5","password":"pw"}}}`},
			{"ssu-unsupported-cipher", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ssu","auth":{"username":"not-a-cipher"}}}`},
			{"ss-upper-case-cipher", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"AES-256-GCM","password":"pw"}}}`},
			{"ss-none-cipher", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"None"}}}`},
			{"ss-2022-bad-key", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-128-gcm","password":"pw"}}}`},
			{"ss-2022-good-key", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-128-gcm","password":"AAECAwQFBgcICQoLDA0ODw=="}}}`},
			{"tunnel-bad-id", `{"name":"t","addr":"192.0.2.1:8443","connector":{"type":"tunnel","metadata":{"tunnel.id":"not-a-uuid"}}}`},
			{"tunnel-good-id", `{"name":"t","addr":"192.0.2.1:8443","connector":{"type":"tunnel","metadata":{"tunnelID":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}}}`},
			{"router-bad-id", `{"name":"r","addr":"192.0.2.1:8443","connector":{"type":"router","metadata":{"router.id":"not-a-uuid"}}}`},
			{"kcp-bad-config", `{"name":"k","addr":"192.0.2.1:8443","dialer":{"type":"kcp","metadata":{"kcp.config":{"mtu":"big"}}}}`},
			{"ss-dummy-cipher-any-case", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ssu","auth":{"username":"DuMmY"}}}`},
			{"ss-2022-short-key", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-256-gcm","password":"AAECAw=="}}}`},
			{"ss-2022-multi-key", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-256-gcm","password":"AAECAw==:AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8="}}}`},
			{"ss-2022-empty-password", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-128-gcm"}}}`},
			{"ss-2022-unpadded-key", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-128-gcm","password":"AAECAwQFBgcICQoLDA0ODw"}}}`},
			{"ss-2022-chacha-unsupported", `{"name":"ss","addr":"192.0.2.1:8388","connector":{"type":"ss","auth":{"username":"2022-blake3-chacha20-poly1305","password":"AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8="}}}`},
			{"tunnel-id-upper-case-key", `{"name":"t","addr":"192.0.2.1:8443","connector":{"type":"tunnel","metadata":{"TUNNEL.ID":"x"}}}`},
			{"tunnel-id-number", `{"name":"t","addr":"192.0.2.1:8443","connector":{"type":"tunnel","metadata":{"tunnelID":12}}}`},
			{"tunnel-id-object", `{"name":"t","addr":"192.0.2.1:8443","connector":{"type":"tunnel","metadata":{"tunnelID":{"id":"x"},"tunnel.id":"x"}}}`},
			{"tunnel-id-urn", `{"name":"t","addr":"192.0.2.1:8443","connector":{"type":"tunnel","metadata":{"tunnel.id":"urn:uuid:6ba7b810-9dad-11d1-80b4-00c04fd430c8"}}}`},
			{"tunnel-id-on-node-metadata", `{"name":"t","addr":"192.0.2.1:8443","connector":{"type":"tunnel"},"metadata":{"tunnel.id":"x"}}`},
			{"router-good-id", `{"name":"r","addr":"192.0.2.1:8443","connector":{"type":"router","metadata":{"router.id":"6ba7b8109dad11d180b400c04fd430c8"}}}`},
			{"router-id-bool", `{"name":"r","addr":"192.0.2.1:8443","connector":{"type":"router","metadata":{"router.id":true}}}`},
			{"kcp-good-config", `{"name":"k","addr":"192.0.2.1:8443","dialer":{"type":"kcp","metadata":{"config":{"mtu":1350,"nocomp":true,"crypt":"aes"}}}}`},
			{"kcp-config-float", `{"name":"k","addr":"192.0.2.1:8443","dialer":{"type":"kcp","metadata":{"kcp.config":{"mtu":1350.5}}}}`},
			{"kcp-config-not-object", `{"name":"k","addr":"192.0.2.1:8443","dialer":{"type":"kcp","metadata":{"kcp.config":"mtu=1350","config":{"mtu":"x"}}}}`},
			{"kcp-config-empty", `{"name":"k","addr":"192.0.2.1:8443","dialer":{"type":"kcp","metadata":{"kcp.config":{}}}}`},
			{"bad-matcher-rule", `{"name":"m","addr":"192.0.2.1:1080","matcher":{"rule":"Host(("}}`},
			{"tls-cert-without-key", `{"name":"n","addr":"192.0.2.1:443","connector":{"tls":{"certFile":"/nonexistent/cert.pem"}}}`},
			{"dialer-tls-key-without-cert", `{"name":"n","addr":"192.0.2.1:443","dialer":{"type":"tls","tls":{"keyFile":"/nonexistent/key.pem"}}}`},
			{"wrong-type-name", `{"name":1,"addr":"192.0.2.1:1080"}`},
			{"wrong-type-connector", `{"name":"n","connector":"socks5"}`},
			{"wrong-type-metadata", `{"name":"n","metadata":"x"}`},
			{"wrong-type-probe-duration", `{"name":"n","probe":{"type":"tcp","interval":"5s"}}`},
			{"wrong-type-array", `[{"name":"n"}]`},
			{"string-node", `"socks5://192.0.2.1:1080"`},
			{"trailing-garbage", `{"name":"tg","addr":"192.0.2.1:1080"} trailing`},
			{"not-json", `socks5://192.0.2.1:1080`},
			{"unknown-keys-only", `{"node":{"name":"wrapped","addr":"192.0.2.1:1080"}}`},
		}
		nodes = append(nodes, hopRegistryNodes()...)
		var out []reply
		if t == mockclient.GRPC {
			out = append(out,
				reply{Name: "empty-node", GRPC: &hoppb.SelectReply{}},
				reply{Name: "zero-length-node", GRPC: &hoppb.SelectReply{Node: []byte{}}},
				reply{Name: "oversized-node", GRPC: &hoppb.SelectReply{Node: []byte(`{"name":"` + strings.Repeat("x", 5<<20) + `"}`)}},
			)
			for _, n := range nodes {
				out = append(out, reply{Name: n.name, GRPC: &hoppb.SelectReply{Node: []byte(n.node)}})
			}
			return out
		}
		out = append(out,
			reply{Name: "http-404", Status: 404, Body: hopOKNode},
			reply{Name: "http-200-wrapped-node", Body: `{"node":` + hopOKNode + `}`},
		)
		for _, n := range nodes {
			out = append(out, reply{Name: n.name, Body: n.node})
		}
		return out
	},
	extra: []any{
		&mockclient.HopRequest{},
		&mockclient.HopRequest{Network: "udp6", Addr: "[::1]:53", Host: "bücher.例え.example:53", Client: "用户", Path: "/ä ö?q=1", Src: "[fe80::1%eth0]:1234"},
		&mockclient.HopRequest{Network: "tcp", Addr: "192.0.2.1:80", Host: "192.0.2.1:80", Client: "c", Path: "/", Src: "192.0.2.2:0"},
	},
}

// hopRegistryNodes is one node per connector and per dialer registered in
// GOST's registries, plus their upper-case spellings (the registries match
// names exactly), so that mockclient's copy of the names is checked against
// GOST's own.
func hopRegistryNodes() []struct{ name, node string } {
	var out []struct{ name, node string }
	conns := registry.ConnectorRegistry().GetAll()
	names := make([]string, 0, len(conns))
	for k := range conns {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, n := range names {
		auth := ""
		if n == "ss" || n == "ssu" {
			auth = `,"auth":{"username":"aes-128-gcm","password":"pw"}`
		}
		out = append(out,
			struct{ name, node string }{"connector-" + n, `{"name":"c","addr":"192.0.2.1:1","connector":{"type":"` + n + `"` + auth + `}}`},
			struct{ name, node string }{"connector-upper-" + n, `{"name":"c","addr":"192.0.2.1:1","connector":{"type":"` + strings.ToUpper(n) + `"` + auth + `}}`},
		)
	}
	dials := registry.DialerRegistry().GetAll()
	names = names[:0]
	for k := range dials {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, n := range names {
		out = append(out,
			struct{ name, node string }{"dialer-" + n, `{"name":"d","addr":"192.0.2.1:1","dialer":{"type":"` + n + `"}}`},
			struct{ name, node string }{"dialer-upper-" + n, `{"name":"d","addr":"192.0.2.1:1","dialer":{"type":"` + strings.ToUpper(n) + `"}}`},
		)
	}
	return out
}

func TestParityHop(t *testing.T) {
	t.Parallel()
	runDifferential(t, hopAdapter)
}

// TestParityResourceExhaustedHopIngressLimiterRouter checks that the
// oversized gRPC replies of the hop, ingress, limiter and router adapters
// fail on both sides for the same reason, grpc-go's 4 MiB receive limit
// (ResourceExhausted); the differential tests only see that both verdicts
// are failures. GOST only logs the error, so its client is built with a
// default logger that writes to a buffer: the plugin clients take their
// logger from logger.Default() when they are built. The test is not
// parallel, so no other test builds a client while the default logger is
// swapped (parallel tests start only after the sequential ones finish).
func TestParityResourceExhaustedHopIngressLimiterRouter(t *testing.T) {
	for _, a := range []adapter{hopAdapter, ingressGetRuleAdapter, ingressSetRuleAdapter, limiterAdapter, routerAdapter} {
		t.Run(string(a.module)+"/"+a.op, func(t *testing.T) {
			var oversized []reply
			for _, f := range a.faults(mockclient.GRPC) {
				if strings.HasPrefix(f.Name, "oversized") {
					oversized = append(oversized, f)
				}
			}
			require.Len(t, oversized, 1, "one oversized gRPC reply")
			srv := startServer(t, mockclient.GRPC, nil)
			srv.reply(oversized[0])
			plugin := pluginConfig(srv, a.module, "parity-token", nil)

			var gostLog bytes.Buffer
			prev := logger.Default()
			logger.SetDefault(xlogger.NewLogger(xlogger.OutputOption(&gostLog)))
			gost := a.newGOST(t, plugin)
			logger.SetDefault(prev)

			mc, err := mockclient.New(mockConfig(plugin))
			require.NoError(t, err)
			t.Cleanup(func() { _ = mc.Close() })
			op, err := mockclient.LookupOperation(a.module, a.op)
			require.NoError(t, err)

			req := fixtureRequests(t, a.module, a.op)[0]
			ctx, cancel := context.WithTimeout(background(), callTimeout)
			defer cancel()
			a.callGOST(ctx, gost, req)
			out := op.Do(ctx, mc, req)

			assert.Contains(t, gostLog.String(), "code = ResourceExhausted", "GOST's logged error")
			assert.Equal(t, codes.ResourceExhausted, out.Code, "plugincheck's status code: %v", out.Err)
		})
	}
}
