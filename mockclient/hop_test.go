package mockclient

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/go-gost/plugin/hop/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type hopServer struct {
	proto.UnimplementedHopServer
	reply *proto.SelectReply
	err   error
}

func (s *hopServer) Select(context.Context, *proto.SelectRequest) (*proto.SelectReply, error) {
	return s.reply, s.err
}

// collectNoteCodes returns the codes of notes, in order.
func TestSelectGRPCRequest(t *testing.T) {
	t.Parallel()
	srv := &hopServer{reply: &proto.SelectReply{Node: []byte(`{"name":"n1","addr":"192.0.2.1:8080"}`)}}
	c, seen := newGRPCTestClient(t, Config{Token: "s3cret"}, func(s *grpc.Server) { proto.RegisterHopServer(s, srv) })

	req := HopRequest{Network: "udp", Addr: "127.0.0.1:53", Host: "localhost:53", Client: "u1", Path: "/p?q=1", Src: "[2001:db8::1]:4433"}
	res := c.Select(t.Context(), req)
	require.True(t, res.OK(), res.Error())

	method, md, calls := seen.last()
	assert.Equal(t, "/proto.Hop/Select", method)
	assert.Equal(t, 1, calls)
	assert.Equal(t, []string{"s3cret"}, md.Get("token"))
	assert.Empty(t, md.Get("grpc-timeout"), "GOST sets no deadline, and neither may the wire")

	got := seen.messages[0].(*proto.SelectRequest)
	assert.Equal(t, "udp", got.Network)
	assert.Equal(t, "127.0.0.1:53", got.Addr)
	assert.Equal(t, "localhost:53", got.Host)
	assert.Equal(t, "u1", got.Client)
	assert.Equal(t, "/p?q=1", got.Path)
	assert.Equal(t, "[2001:db8::1]:4433", got.Src)
	assert.Equal(t, HopVerdict{Selected: true, Node: &HopNode{Name: "n1", Addr: "192.0.2.1:8080", Connector: "http", Dialer: "tcp"}}, res.Verdict)
	assert.Empty(t, res.Notes)
}

// hopCase is one reply's expected verdict; shared by both transports where
// the node JSON is the same.
type hopCase struct {
	name    string
	node    string
	want    HopVerdict
	failure Failure
	notes   []string
}

func selected(n HopNode) HopVerdict { return HopVerdict{Selected: true, Node: &n} }

// hopNodeCases are node JSON documents with GOST's verdict, valid for the
// gRPC node bytes and the HTTP body alike.
var hopNodeCases = []hopCase{
	{name: "defaults", node: `{"name":"n","addr":"a:1"}`,
		want: selected(HopNode{Name: "n", Addr: "a:1", Connector: "http", Dialer: "tcp"})},
	{name: "types and network", node: `{"name":"n","addr":"a:1","network":"udp","connector":{"type":"socks5"},"dialer":{"type":"tls"}}`,
		want: selected(HopNode{Name: "n", Addr: "a:1", Network: "udp", Connector: "socks5", Dialer: "tls"})},
	{name: "empty types default", node: `{"addr":"a:1","connector":{"type":""},"dialer":{}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "http", Dialer: "tcp"})},
	{name: "upper-case keys", node: `{"NAME":"n","Addr":"a:1","CONNECTOR":{"TYPE":"relay"},"Dialer":{"Type":"wss"}}`,
		want: selected(HopNode{Name: "n", Addr: "a:1", Connector: "relay", Dialer: "wss"})},
	{name: "trailing garbage ignored", node: `{"name":"n","addr":"a:1"}garbage`,
		want: selected(HopNode{Name: "n", Addr: "a:1", Connector: "http", Dialer: "tcp"})},
	{name: "full node", node: `{"name":"n","addr":"a:1","bypass":"b","bypasses":["c"],"sockopts":{"mark":1},` +
		`"filter":{"host":"*.example.com"},"matcher":{"rule":"Host(` + "`x`" + `)","priority":2,"bodySize":3},` +
		`"http":{"host":"h","header":{"a":"b"},"rewriteURL":[{"Match":"^/a","Replacement":"/b"}],"rewriteBody":[{"type":"text/html","match":"x"}],"auth":{"username":"u"}},` +
		`"tls":{"serverName":"s","secure":true,"options":{"alpn":["h2"]}},"probe":{"type":"tcp","addr":"a:1","interval":1000000000,"timeout":0},"metadata":{"k":1}}`,
		want: selected(HopNode{Name: "n", Addr: "a:1", Connector: "http", Dialer: "tcp"})},
	{name: "empty object has no addr", node: `{}`,
		want: selected(HopNode{Connector: "http", Dialer: "tcp"}), notes: []string{NoteHopEmptyNode}},
	{name: "null is an empty node", node: `null`,
		want: selected(HopNode{Connector: "http", Dialer: "tcp"}), notes: []string{NoteHopEmptyNode}},
	{name: "unregistered connector", node: `{"name":"n","addr":"a:1","connector":{"type":"nosuch"}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "connector types are case-sensitive", node: `{"addr":"a:1","connector":{"type":"HTTP"}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "unregistered dialer", node: `{"addr":"a:1","dialer":{"type":"nosuch"}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "ss needs auth", node: `{"addr":"a:1","connector":{"type":"ss"}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "ssu needs a username", node: `{"addr":"a:1","connector":{"type":"ssu","auth":{"password":"p"}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "ss with auth", node: `{"addr":"a:1","connector":{"type":"ss","auth":{"username":"aes-128-gcm","password":"p"}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "ss", Dialer: "tcp"})},
	{name: "ss cipher any case", node: `{"addr":"a:1","connector":{"type":"ss","auth":{"username":"CHACHA20-IETF-POLY1305"}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "ss", Dialer: "tcp"})},
	{name: "ss none cipher", node: `{"addr":"a:1","connector":{"type":"ssu","auth":{"username":"Dummy"}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "ssu", Dialer: "tcp"})},
	{name: "ss unsupported cipher", node: `{"addr":"a:1","connector":{"type":"ss","auth":{"username":"rc4-md5","password":"p"}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "ss 2022 cipher with a base64 key", node: `{"addr":"a:1","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-256-gcm","password":"AAECAwQFBgcICQoLDA0ODw==:AAECAwQFBgcICQoLDA0ODwABAgMEBQYHCAkKCwwNDg8="}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "ss", Dialer: "tcp"})},
	{name: "ss 2022 cipher with a plain password", node: `{"addr":"a:1","connector":{"type":"ss","auth":{"username":"2022-blake3-aes-128-gcm","password":"p"}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "ss 2022 cipher with a short key", node: `{"addr":"a:1","connector":{"type":"ssu","auth":{"username":"2022-blake3-aes-128-gcm","password":"AAECAw=="}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "tunnel ID", node: `{"addr":"a:1","connector":{"type":"tunnel","metadata":{"TunnelID":"6ba7b810-9dad-11d1-80b4-00c04fd430c8"}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "tunnel", Dialer: "tcp"})},
	{name: "tunnel ID not a UUID", node: `{"addr":"a:1","connector":{"type":"tunnel","metadata":{"tunnel.id":"t1"}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "router ID number", node: `{"addr":"a:1","connector":{"type":"router","metadata":{"router.id":1}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "router ID of another type is unset", node: `{"addr":"a:1","connector":{"type":"router","metadata":{"router.id":["x"]}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "router", Dialer: "tcp"})},
	{name: "kcp config", node: `{"addr":"a:1","dialer":{"type":"kcp","metadata":{"kcp.config":{"mtu":1350,"nocomp":true}}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "http", Dialer: "kcp"})},
	{name: "kcp config of the wrong type", node: `{"addr":"a:1","dialer":{"type":"kcp","metadata":{"config":{"mtu":"1350"}}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "ss auth from a file on GOST's host", node: `{"addr":"a:1","connector":{"type":"ss","auth":{"file":"/etc/ss"}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "ss", Dialer: "tcp"}), notes: []string{NoteHopFileRef}},
	{name: "cert and key files", node: `{"addr":"a:1","connector":{"tls":{"certFile":"c.pem","keyFile":"k.pem"}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "http", Dialer: "tcp"}), notes: []string{NoteHopFileRef, NoteHopFileRef}},
	{name: "ca file", node: `{"addr":"a:1","dialer":{"type":"tls","tls":{"caFile":"ca.pem"}}}`,
		want: selected(HopNode{Addr: "a:1", Connector: "http", Dialer: "tls"}), notes: []string{NoteHopFileRef}},
	{name: "cert file without key file", node: `{"addr":"a:1","dialer":{"tls":{"certFile":"c.pem"}}}`,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "wrong type", node: `{"name":1}`, failure: FailureDecode,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "duration as string", node: `{"addr":"a:1","probe":{"interval":"30s"}}`, failure: FailureDecode,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
	{name: "not json", node: `node-1`, failure: FailureDecode,
		notes: []string{NoteHopDirect, NoteHopUnusable}},
}

func TestSelectGRPCVerdicts(t *testing.T) {
	t.Parallel()
	tests := slices.Clone(hopNodeCases)
	tests = append(tests,
		hopCase{name: "empty node selects none", node: "", notes: []string{NoteHopDirect}},
		hopCase{name: "status error selects none", failure: FailureStatus, notes: []string{NoteHopDirect}},
		hopCase{name: "unavailable selects none", failure: FailureStatus, notes: []string{NoteHopDirect}},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := &hopServer{reply: &proto.SelectReply{}}
			if tt.node != "" {
				srv.reply.Node = []byte(tt.node)
			}
			switch tt.name {
			case "status error selects none":
				srv.err = status.Error(codes.Internal, "boom")
			case "unavailable selects none":
				srv.err = status.Error(codes.Unavailable, "down")
			}
			c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterHopServer(s, srv) })
			res := c.Select(t.Context(), HopRequest{Addr: "x:1"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
}

func TestSelectHTTPRequest(t *testing.T) {
	t.Parallel()
	c, seen := newHTTPTestClient(t, Config{Token: "s3cret"}, "/hop?x=1", replyWith(200, `{"name":"n1","addr":"192.0.2.1:8080"}`))

	res := c.Select(t.Context(), HopRequest{Network: "tcp", Addr: "127.0.0.1:80", Host: "localhost:80", Client: "u1", Path: "/p", Src: "10.0.0.1:1234"})
	require.True(t, res.OK(), res.Error())
	assert.Equal(t, HopVerdict{Selected: true, Node: &HopNode{Name: "n1", Addr: "192.0.2.1:8080", Connector: "http", Dialer: "tcp"}}, res.Verdict)

	method, uri, header, body, _ := seen.last()
	assert.Equal(t, http.MethodPost, method)
	assert.Equal(t, "/hop?x=1", uri, "GOST uses addr verbatim")
	assert.Equal(t, "application/json", header.Get("Content-Type"))
	assert.Equal(t, "Bearer s3cret", header.Get("Authorization"))
	assert.Equal(t, `{"network":"tcp","addr":"127.0.0.1:80","host":"localhost:80","path":"/p","client":"u1","src":"10.0.0.1:1234"}`, string(body))

	res = c.Select(t.Context(), HopRequest{})
	require.True(t, res.OK(), res.Error())
	_, _, _, body, _ = seen.last()
	assert.Equal(t, `{"network":"","addr":"","host":"","path":"","client":"","src":""}`, string(body))
}

func TestSelectHTTPVerdicts(t *testing.T) {
	t.Parallel()
	type httpCase struct {
		hopCase
		status int
	}
	var tests []httpCase
	for _, tc := range hopNodeCases {
		tests = append(tests, httpCase{hopCase: tc, status: 200})
	}
	direct := []string{NoteHopDirect}
	tests = append(tests,
		httpCase{hopCase: hopCase{name: "201 selects none", node: `{"addr":"a:1"}`, failure: FailureStatus, notes: direct}, status: 201},
		httpCase{hopCase: hopCase{name: "204 selects none", failure: FailureStatus, notes: direct}, status: 204},
		httpCase{hopCase: hopCase{name: "403 selects none", node: `{"addr":"a:1"}`, failure: FailureStatus, notes: direct}, status: 403},
		httpCase{hopCase: hopCase{name: "500 selects none", failure: FailureStatus, notes: direct}, status: 500},
		httpCase{hopCase: hopCase{name: "empty body selects none", failure: FailureDecode, notes: []string{NoteHopDirect, NoteHopUnusable}}, status: 200},
	)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, _ := newHTTPTestClient(t, Config{}, "/hop", replyWith(tt.status, tt.node))
			res := c.Select(t.Context(), HopRequest{Addr: "x:1"})
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.failure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes), res.Notes)
		})
	}
}

func TestSelectUnusableReason(t *testing.T) {
	t.Parallel()
	srv := &hopServer{reply: &proto.SelectReply{Node: []byte(`{"addr":"a:1","connector":{"type":"nosuch"}}`)}}
	c, _ := newGRPCTestClient(t, Config{}, func(s *grpc.Server) { proto.RegisterHopServer(s, srv) })
	res := c.Select(t.Context(), HopRequest{})
	require.Len(t, res.Notes, 2)
	assert.Contains(t, res.Notes[1].Text, "unregistered connector: nosuch", "x's own error text")

	srv.reply.Node = []byte(`{"addr":"a:1","connector":{"tls":{"certFile":"/c.pem","keyFile":"/k.pem"}}}`)
	res = c.Select(t.Context(), HopRequest{})
	require.Len(t, res.Notes, 2)
	assert.Equal(t, `GOST loads connector.tls.certFile "/c.pem" on its own host; if missing, the node is dropped`, res.Notes[0].Text)

	srv.reply.Node = []byte(`{"addr":"a:1","dialer":{"type":"kcp","metadata":{"c":"/etc/kcp.json"}}}`)
	res = c.Select(t.Context(), HopRequest{})
	assert.True(t, res.Verdict.Selected)
	assert.Equal(t, []string{NoteHopFileRef}, noteCodes(res.Notes))
	assert.Contains(t, res.Notes[0].Text, `kcp config file "/etc/kcp.json"`)

	srv.reply.Node = []byte(`{"addr":"a:1","dialer":{"type":"sshd","metadata":{"privateKeyFile":"/k"}}}`)
	res = c.Select(t.Context(), HopRequest{})
	assert.True(t, res.Verdict.Selected)
	assert.Equal(t, []string{NoteHopFileRef}, noteCodes(res.Notes))
}

// TestHopRegisteredTypes keeps the registered type lists sorted; the parity
// module checks them against GOST's own registry.
func TestHopRegisteredTypes(t *testing.T) {
	t.Parallel()
	assert.True(t, slices.IsSorted(hopConnectorTypes))
	assert.True(t, slices.IsSorted(hopDialerTypes))
}
