package mockclient

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	admissionpb "github.com/go-gost/plugin/admission/proto"
	authpb "github.com/go-gost/plugin/auth/proto"
	bypasspb "github.com/go-gost/plugin/bypass/proto"
	hoppb "github.com/go-gost/plugin/hop/proto"
	hostspb "github.com/go-gost/plugin/hosts/proto"
	ingresspb "github.com/go-gost/plugin/ingress/proto"
	limiterpb "github.com/go-gost/plugin/limiter/traffic/proto"
	observerpb "github.com/go-gost/plugin/observer/proto"
	recorderpb "github.com/go-gost/plugin/recorder/proto"
	resolverpb "github.com/go-gost/plugin/resolver/proto"
	rewriterpb "github.com/go-gost/plugin/rewriter/proto"
	routerpb "github.com/go-gost/plugin/router/proto"
	sdpb "github.com/go-gost/plugin/sd/proto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	protov2 "google.golang.org/protobuf/proto"
)

// verdictCase feeds one reply, or one failure, straight into an
// operation's rules, with no server: a gRPC reply value goes through the
// operation's reply map, an HTTP body is decoded into its reply type as
// callHTTP decodes it.
type verdictCase[Req, V any] struct {
	name      string
	transport Transport
	req       Req
	// grpc is the decoded gRPC reply; body the HTTP 200 body.
	grpc protov2.Message
	body string
	// failure, with status for HTTP, makes the call fail instead.
	failure Failure
	status  int
	// skipped: GOST makes no call for req.
	skipped bool

	want        V
	wantFailure Failure
	notes       []string
}

func checkVerdicts[Req, V, R any](t *testing.T, o *op[Req, V, R], cases []verdictCase[Req, V]) {
	t.Helper()
	for _, tt := range cases {
		t.Run(string(tt.transport)+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			res := decideCase(t, o, tt)
			assert.Equal(t, tt.want, res.Verdict)
			assert.Equal(t, tt.wantFailure, res.Failure, res.Error())
			assert.Equal(t, tt.notes, noteCodes(res.Notes))
			assert.Equal(t, tt.skipped, !res.Sent, "sent")
			assert.Equal(t, o.module, res.module, "the generic path records the module")
		})
	}
}

func decideCase[Req, V, R any](t *testing.T, o *op[Req, V, R], tt verdictCase[Req, V]) Result[V] {
	t.Helper()
	c := &Client{transport: tt.transport}
	if tt.skipped {
		// A skipped call never reaches a transport, so a client without
		// one takes the real path.
		return o.call(t.Context(), c, tt.req)
	}
	obs := Observation{Transport: tt.transport, Sent: true}
	var reply R
	switch {
	case tt.failure != FailureNone:
		obs.Failure, obs.Err, obs.HTTPStatus = tt.failure, errors.New("the call failed"), tt.status
	case tt.transport == GRPC:
		spec, err := o.grpc(tt.req)
		require.NoError(t, err)
		require.NotNil(t, tt.grpc, "a gRPC row needs a reply")
		reply = spec.reply(tt.grpc)
	default:
		spec, err := o.http(tt.req)
		require.NoError(t, err)
		obs.HTTPStatus, obs.Reply = 200, []byte(tt.body)
		if spec.reply != nil {
			if err := json.NewDecoder(strings.NewReader(tt.body)).Decode(spec.reply); err != nil {
				obs.Failure, obs.Err = FailureDecode, err
			}
		}
		if obs.OK() && spec.read != nil {
			reply = spec.read()
		}
	}
	return o.decide(c, tt.req, obs, reply)
}

func TestAdmissionVerdictRules(t *testing.T) {
	t.Parallel()
	checkVerdicts(t, admitOp, []verdictCase[AdmissionRequest, AdmissionVerdict]{
		{name: "ok admits", transport: GRPC, grpc: &admissionpb.AdmissionReply{Ok: true}, want: AdmissionVerdict{Admit: true}},
		{name: "ok false denies", transport: GRPC, grpc: &admissionpb.AdmissionReply{}},
		{name: "failure denies", transport: GRPC, failure: FailureTransport, wantFailure: FailureTransport},
		{name: "ok admits", transport: HTTP, body: `{"ok":true}`, want: AdmissionVerdict{Admit: true}},
		{name: "missing ok denies", transport: HTTP, body: `{}`},
		{name: "ok as a string does not decode", transport: HTTP, body: `{"ok":"true"}`, wantFailure: FailureDecode},
		{name: "status 500 denies", transport: HTTP, failure: FailureStatus, status: 500, wantFailure: FailureStatus},
	})
}

func TestAuthVerdictRules(t *testing.T) {
	t.Parallel()
	checkVerdicts(t, authenticateOp, []verdictCase[AuthRequest, AuthVerdict]{
		{name: "ok with id", transport: GRPC, grpc: &authpb.AuthenticateReply{Ok: true, Id: "u1"}, want: AuthVerdict{OK: true, ID: "u1"}},
		{name: "denied keeps the id", transport: GRPC, grpc: &authpb.AuthenticateReply{Id: "u1"}, want: AuthVerdict{ID: "u1"}},
		{name: "timeout denies", transport: GRPC, failure: FailureTimeout, wantFailure: FailureTimeout},
		{name: "ok with id", transport: HTTP, body: `{"ok":true,"id":"u1"}`, want: AuthVerdict{OK: true, ID: "u1"}},
		{name: "null denies", transport: HTTP, body: `null`},
		{name: "status 401 denies", transport: HTTP, failure: FailureStatus, status: 401, wantFailure: FailureStatus},
	})
}

func TestBypassVerdictRules(t *testing.T) {
	t.Parallel()
	checkVerdicts(t, bypassOp, []verdictCase[BypassRequest, BypassVerdict]{
		{name: "ok matches", transport: GRPC, grpc: &bypasspb.BypassReply{Ok: true}, want: BypassVerdict{Matched: true}},
		{name: "ok false does not match", transport: GRPC, grpc: &bypasspb.BypassReply{}},
		{name: "failure matches", transport: GRPC, failure: FailureStatus, wantFailure: FailureStatus,
			want: BypassVerdict{Matched: true}, notes: []string{NoteFailOpen}},
		{name: "ok false does not match", transport: HTTP, body: `{"ok":false}`},
		{name: "undecodable matches", transport: HTTP, body: `[1]`, wantFailure: FailureDecode,
			want: BypassVerdict{Matched: true}, notes: []string{NoteFailOpen}},
		{name: "status 404 matches", transport: HTTP, failure: FailureStatus, status: 404, wantFailure: FailureStatus,
			want: BypassVerdict{Matched: true}, notes: []string{NoteFailOpen}},
	})
}

func TestHopVerdictRules(t *testing.T) {
	t.Parallel()
	node := &HopNode{Name: "n1", Addr: "192.0.2.1:8080", Connector: "http", Dialer: "tcp"}
	checkVerdicts(t, selectOp, []verdictCase[HopRequest, HopVerdict]{
		{name: "node", transport: GRPC, grpc: &hoppb.SelectReply{Node: []byte(`{"name":"n1","addr":"192.0.2.1:8080"}`)},
			want: HopVerdict{Selected: true, Node: node}},
		{name: "no node is direct", transport: GRPC, grpc: &hoppb.SelectReply{}, notes: []string{NoteHopDirect}},
		{name: "undecodable node", transport: GRPC, grpc: &hoppb.SelectReply{Node: []byte(`{`)}, wantFailure: FailureDecode,
			notes: []string{NoteHopDirect, NoteHopUnusable}},
		{name: "unregistered connector", transport: GRPC,
			grpc:  &hoppb.SelectReply{Node: []byte(`{"name":"n1","addr":"a:1","connector":{"type":"nope"}}`)},
			notes: []string{NoteHopDirect, NoteHopUnusable}},
		{name: "node without addr", transport: GRPC, grpc: &hoppb.SelectReply{Node: []byte(`{"name":"n1"}`)},
			want: HopVerdict{Selected: true, Node: &HopNode{Name: "n1", Connector: "http", Dialer: "tcp"}}, notes: []string{NoteHopEmptyNode}},
		{name: "failure is direct", transport: GRPC, failure: FailureTransport, wantFailure: FailureTransport, notes: []string{NoteHopDirect}},
		{name: "node", transport: HTTP, body: `{"name":"n1","addr":"192.0.2.1:8080"}`, want: HopVerdict{Selected: true, Node: node}},
		{name: "null is an empty node", transport: HTTP, body: `null`,
			want: HopVerdict{Selected: true, Node: &HopNode{Connector: "http", Dialer: "tcp"}}, notes: []string{NoteHopEmptyNode}},
		{name: "undecodable body", transport: HTTP, body: `"n1"`, wantFailure: FailureDecode, notes: []string{NoteHopDirect, NoteHopUnusable}},
		{name: "404 is direct", transport: HTTP, failure: FailureStatus, status: 404, wantFailure: FailureStatus, notes: []string{NoteHopDirect}},
	})
}

func TestHostsVerdictRules(t *testing.T) {
	t.Parallel()
	none := HostsVerdict{IPs: []string{}}
	checkVerdicts(t, lookupOp, []verdictCase[HostsRequest, HostsVerdict]{
		{name: "ips kept, non-ips dropped", transport: GRPC, grpc: &hostspb.LookupReply{Ips: []string{"192.0.2.1", "bad", "::1"}, Ok: true},
			want: HostsVerdict{IPs: []string{"192.0.2.1", "::1"}}, notes: []string{NoteDroppedIP}},
		{name: "ok without ips is ignored", transport: GRPC, grpc: &hostspb.LookupReply{Ok: true}, want: none, notes: []string{NoteReplyIgnored}},
		{name: "ok false with ips is ignored", transport: GRPC, grpc: &hostspb.LookupReply{Ips: []string{"192.0.2.1"}},
			want: HostsVerdict{IPs: []string{"192.0.2.1"}}, notes: []string{NoteReplyIgnored}},
		{name: "failure gives no ips", transport: GRPC, failure: FailureStatus, wantFailure: FailureStatus, want: none},
		{name: "canonical form", transport: HTTP, body: `{"ips":["0:0:0:0:0:0:0:1"],"ok":true}`, want: HostsVerdict{IPs: []string{"::1"}}},
		{name: "neither", transport: HTTP, body: `{}`, want: none},
		{name: "failure gives no ips", transport: HTTP, failure: FailureTransport, wantFailure: FailureTransport, want: none},
	})
}

func TestIngressVerdictRules(t *testing.T) {
	t.Parallel()
	checkVerdicts(t, getRuleOp, []verdictCase[IngressGetRuleRequest, IngressRuleVerdict]{
		{name: "tunnel id", transport: GRPC, grpc: &ingresspb.GetRuleReply{Endpoint: tunnelUUID},
			want: IngressRuleVerdict{Rule: true, Endpoint: tunnelUUID}},
		{name: "private tunnel id", transport: GRPC, grpc: &ingresspb.GetRuleReply{Endpoint: "$" + tunnelUUID},
			want: IngressRuleVerdict{Rule: true, Endpoint: "$" + tunnelUUID}},
		{name: "empty endpoint is no rule", transport: GRPC, grpc: &ingresspb.GetRuleReply{}},
		{name: "zero id", transport: GRPC, grpc: &ingresspb.GetRuleReply{Endpoint: "00000000-0000-0000-0000-000000000000"},
			want: IngressRuleVerdict{Rule: true, Endpoint: "00000000-0000-0000-0000-000000000000"}, notes: []string{NoteBadEndpoint}},
		{name: "failure is no rule", transport: GRPC, failure: FailureTimeout, wantFailure: FailureTimeout},
		{name: "not a uuid", transport: HTTP, body: `{"endpoint":"nope"}`,
			want: IngressRuleVerdict{Rule: true, Endpoint: "nope"}, notes: []string{NoteBadEndpoint}},
		{name: "uuid the entrypoint cannot parse", transport: HTTP, body: `{"endpoint":"` + strings.ReplaceAll(tunnelUUID, "-", "") + `"}`,
			want: IngressRuleVerdict{Rule: true, Endpoint: strings.ReplaceAll(tunnelUUID, "-", "")}, notes: []string{NoteBadEndpoint}},
		{name: "status 500 is no rule", transport: HTTP, failure: FailureStatus, status: 500, wantFailure: FailureStatus},
	})
	checkVerdicts(t, setRuleOp, []verdictCase[IngressSetRuleRequest, IngressSetVerdict]{
		{name: "ok", transport: GRPC, grpc: &ingresspb.SetRuleReply{Ok: true}, want: IngressSetVerdict{OK: true}},
		{name: "failure", transport: GRPC, failure: FailureTransport, wantFailure: FailureTransport},
		{name: "ok false", transport: HTTP, body: `{"ok":false}`},
		{name: "ok", transport: HTTP, body: `{"ok":true}`, want: IngressSetVerdict{OK: true}},
	})
}

func TestLimiterVerdictRules(t *testing.T) {
	t.Parallel()
	failed := []string{NoteUnlimited, NoteNotCached, NoteFailOpen}
	checkVerdicts(t, limitOp, []verdictCase[LimiterRequest, LimiterVerdict]{
		{name: "rates", transport: GRPC, grpc: &limiterpb.LimitReply{In: 2048, Out: 4096}, want: LimiterVerdict{In: 2048, Out: 4096, Cached: true}},
		{name: "zero and negative are unlimited", transport: GRPC, grpc: &limiterpb.LimitReply{Out: -1},
			want: LimiterVerdict{Cached: true}, notes: []string{NoteUnlimited, NoteUnlimited}},
		{name: "failure is unlimited and not cached", transport: GRPC, failure: FailureStatus, wantFailure: FailureStatus, notes: failed},
		{name: "below the floor", transport: HTTP, body: `{"in":100,"out":2048}`,
			want: LimiterVerdict{In: 100, Out: 2048, Cached: true}, notes: []string{NoteLimiterFloor}},
		{name: "undecodable is unlimited", transport: HTTP, body: `{"in":"1"}`, wantFailure: FailureDecode, notes: failed},
	})
}

func TestObserverVerdictRules(t *testing.T) {
	t.Parallel()
	batch := ObserverRequest{Events: observerEvents()[:1]}
	mixed := ObserverRequest{Events: []ObserverEvent{{Kind: "service", Service: "svc", Type: "bogus"}, observerEvents()[0]}}
	checkVerdicts(t, observeOp, []verdictCase[ObserverRequest, ObserverVerdict]{
		{name: "ok", transport: GRPC, req: batch, grpc: &observerpb.ObserveReply{Ok: true}, want: ObserverVerdict{OK: true}},
		{name: "ok false is not delivered", transport: GRPC, req: batch, grpc: &observerpb.ObserveReply{}, notes: []string{NoteNotDelivered}},
		{name: "unknown event type dropped", transport: GRPC, req: mixed, grpc: &observerpb.ObserveReply{Ok: true},
			want: ObserverVerdict{OK: true}, notes: []string{NoteDroppedEvent}},
		{name: "no events, no call", transport: GRPC, skipped: true, want: ObserverVerdict{OK: true}, notes: []string{NoteNotSent}},
		{name: "failure is not delivered", transport: GRPC, req: batch, failure: FailureTransport, wantFailure: FailureTransport,
			notes: []string{NoteNotDelivered}},
		{name: "ok", transport: HTTP, req: batch, body: `{"ok":true}`, want: ObserverVerdict{OK: true}},
		{name: "no ok key", transport: HTTP, req: batch, body: `{"status":"ok"}`, notes: []string{NoteNotDelivered}},
		{name: "no events, no call", transport: HTTP, skipped: true, want: ObserverVerdict{OK: true}, notes: []string{NoteNotSent}},
		{name: "status 500", transport: HTTP, req: batch, failure: FailureStatus, status: 500, wantFailure: FailureStatus,
			notes: []string{NoteNotDelivered}},
	})

	// The note names what the plugin sent instead of ok.
	res := decideCase(t, observeOp, verdictCase[ObserverRequest, ObserverVerdict]{transport: HTTP, req: batch, body: `{"status":"ok"}`})
	require.Len(t, res.Notes, 1)
	assert.Contains(t, res.Notes[0].Text, `the reply has no "ok" key (its keys: status)`)
}

func TestRecorderVerdictRules(t *testing.T) {
	t.Parallel()
	rec := RecorderRequest{Data: []byte("record")}
	checkVerdicts(t, recordOp, []verdictCase[RecorderRequest, RecorderVerdict]{
		{name: "ok", transport: GRPC, req: rec, grpc: &recorderpb.RecordReply{Ok: true}, want: RecorderVerdict{OK: true}},
		{name: "empty data is still sent", transport: GRPC, grpc: &recorderpb.RecordReply{Ok: true}, want: RecorderVerdict{OK: true}},
		{name: "ok false is lost", transport: GRPC, req: rec, grpc: &recorderpb.RecordReply{}, notes: []string{NoteNotDelivered}},
		{name: "failure is lost", transport: GRPC, req: rec, failure: FailureTimeout, wantFailure: FailureTimeout, notes: []string{NoteNotDelivered}},
		{name: "ok", transport: HTTP, req: rec, body: `{"ok":true}`, want: RecorderVerdict{OK: true}},
		{name: "empty object is lost", transport: HTTP, req: rec, body: `{}`, notes: []string{NoteNotDelivered}},
		{name: "empty data, no call", transport: HTTP, skipped: true, want: RecorderVerdict{OK: true}, notes: []string{NoteNotSent}},
	})
}

func TestResolverVerdictRules(t *testing.T) {
	t.Parallel()
	none := ResolverVerdict{IPs: []string{}}
	checkVerdicts(t, resolveOp, []verdictCase[ResolverRequest, ResolverVerdict]{
		{name: "ok", transport: GRPC, grpc: &resolverpb.ResolveReply{Ips: []string{"192.0.2.1"}, Ok: true},
			want: ResolverVerdict{IPs: []string{"192.0.2.1"}, Resolved: true}},
		{name: "ok false is ignored", transport: GRPC, grpc: &resolverpb.ResolveReply{Ips: []string{"192.0.2.1"}},
			want: ResolverVerdict{IPs: []string{"192.0.2.1"}, Resolved: true}, notes: []string{NoteReplyIgnored}},
		{name: "only non-ips", transport: GRPC, grpc: &resolverpb.ResolveReply{Ips: []string{"x"}, Ok: true},
			want: none, notes: []string{NoteDroppedIP}},
		{name: "failure", transport: GRPC, failure: FailureStatus, wantFailure: FailureStatus, want: none},
		{name: "ok false discards the ips", transport: HTTP, body: `{"ips":["192.0.2.1"],"ok":false}`, want: none},
		{name: "mapped v4 is canonical", transport: HTTP, body: `{"ips":["::ffff:192.0.2.1"],"ok":true}`,
			want: ResolverVerdict{IPs: []string{"192.0.2.1"}, Resolved: true}},
		{name: "failure", transport: HTTP, failure: FailureTransport, wantFailure: FailureTransport, want: none},
	})
}

func TestRewriterVerdictRules(t *testing.T) {
	t.Parallel()
	req := RewriterRequest{Data: []byte("orig")}
	orig := RewriterVerdict{Body: "orig"}
	aborted := RewriterVerdict{Body: "orig", Aborted: true}
	replaced := RewriterVerdict{Body: "new", Replaced: true}
	checkVerdicts(t, rewriteOp, []verdictCase[RewriterRequest, RewriterVerdict]{
		{name: "replaced", transport: GRPC, req: req, grpc: &rewriterpb.RewriteReply{Ok: true, Data: []byte("new")}, want: replaced},
		{name: "ok false keeps the body", transport: GRPC, req: req, grpc: &rewriterpb.RewriteReply{Data: []byte("new")}, want: orig},
		{name: "ok without data keeps the body", transport: GRPC, req: req, grpc: &rewriterpb.RewriteReply{Ok: true}, want: orig,
			notes: []string{NoteEmptyReply}},
		{name: "failure aborts", transport: GRPC, req: req, failure: FailureStatus, wantFailure: FailureStatus, want: aborted},
		{name: "replaced", transport: HTTP, req: req, body: `{"ok":true,"data":"bmV3"}`, want: replaced},
		{name: "null data keeps the body", transport: HTTP, req: req, body: `{"ok":true,"data":null}`, want: orig, notes: []string{NoteEmptyReply}},
		{name: "status 500 keeps the body", transport: HTTP, req: req, failure: FailureStatus, status: 500, wantFailure: FailureStatus, want: orig},
		{name: "transport failure aborts", transport: HTTP, req: req, failure: FailureTransport, wantFailure: FailureTransport, want: aborted},
		{name: "undecodable aborts", transport: HTTP, req: req, body: `{"data":"not base64!"}`, wantFailure: FailureDecode, want: aborted},
	})
}

func TestRouterVerdictRules(t *testing.T) {
	t.Parallel()
	checkVerdicts(t, getRouteOp, []verdictCase[RouterRequest, RouterVerdict]{
		{name: "route", transport: GRPC, grpc: &routerpb.GetRouteReply{Dst: "10.1.2.3/8", Gateway: "10.0.0.1"},
			want: RouterVerdict{Route: true, Dst: "10.1.2.3/8", Net: "10.0.0.0/8", Gateway: "10.0.0.1"}},
		{name: "empty dst is no route", transport: GRPC, grpc: &routerpb.GetRouteReply{Gateway: "10.0.0.1"}},
		{name: "not a cidr, no gateway", transport: GRPC, grpc: &routerpb.GetRouteReply{Dst: "10.0.0.1"},
			want: RouterVerdict{Route: true, Dst: "10.0.0.1"}, notes: []string{NoteBadRoute, NoteBadRoute}},
		{name: "failure is no route", transport: GRPC, failure: FailureTransport, wantFailure: FailureTransport},
		{name: "legacy net", transport: HTTP, body: `{"net":"192.168.0.0/16","gateway":"g"}`,
			want: RouterVerdict{Route: true, Dst: "192.168.0.0/16", Net: "192.168.0.0/16", Gateway: "g"}},
		{name: "dst wins over net", transport: HTTP, body: `{"net":"192.168.0.0/16","dst":"10.0.0.0/8","gateway":"g"}`,
			want: RouterVerdict{Route: true, Dst: "10.0.0.0/8", Net: "10.0.0.0/8", Gateway: "g"}},
		{name: "status 404 is no route", transport: HTTP, failure: FailureStatus, status: 404, wantFailure: FailureStatus},
	})
}

func TestSDVerdictRules(t *testing.T) {
	t.Parallel()
	svc := SDServiceRequest{Service: &SDService{ID: "c1", Name: "t1", Node: "n1"}}
	writes := []struct {
		o         *op[SDServiceRequest, SDVerdict, sdWriteReply]
		ok, notOK protov2.Message
	}{
		{registerOp, &sdpb.RegisterReply{Ok: true}, &sdpb.RegisterReply{}},
		{renewOp, &sdpb.RenewReply{Ok: true}, &sdpb.RenewReply{}},
		{deregisterOp, &sdpb.DeregisterReply{Ok: true}, &sdpb.DeregisterReply{}},
	}
	for _, w := range writes {
		t.Run(w.o.name, func(t *testing.T) {
			t.Parallel()
			checkVerdicts(t, w.o, []verdictCase[SDServiceRequest, SDVerdict]{
				{name: "ok", transport: GRPC, req: svc, grpc: w.ok, want: SDVerdict{OK: true}},
				{name: "ok false is ignored", transport: GRPC, req: svc, grpc: w.notOK, want: SDVerdict{OK: true},
					notes: []string{NoteReplyIgnored}},
				{name: "failure", transport: GRPC, req: svc, failure: FailureStatus, wantFailure: FailureStatus},
				{name: "nil service, no call", transport: GRPC, skipped: true, want: SDVerdict{OK: true}, notes: []string{NoteNotSent}},
				{name: "the body is never read", transport: HTTP, req: svc, body: `not json`, want: SDVerdict{OK: true}},
				{name: "status 500", transport: HTTP, req: svc, failure: FailureStatus, status: 500, wantFailure: FailureStatus},
				{name: "nil service, no call", transport: HTTP, skipped: true, want: SDVerdict{OK: true}, notes: []string{NoteNotSent}},
			})
		})
	}
	none := SDGetVerdict{Services: []SDService{}}
	checkVerdicts(t, sdGetOp, []verdictCase[SDGetRequest, SDGetVerdict]{
		{name: "nil entries skipped", transport: GRPC, grpc: &sdpb.GetServiceReply{Services: []*sdpb.Service{{Id: "c1"}, nil}},
			want: SDGetVerdict{OK: true, Services: []SDService{{ID: "c1"}}}},
		{name: "none", transport: GRPC, grpc: &sdpb.GetServiceReply{}, want: SDGetVerdict{OK: true, Services: []SDService{}}},
		{name: "failure", transport: GRPC, failure: FailureStatus, wantFailure: FailureStatus, want: none},
		{name: "nil entries skipped", transport: HTTP, body: `{"services":[{"id":"c1","network":"tcp"},null]}`,
			want: SDGetVerdict{OK: true, Services: []SDService{{ID: "c1", Network: "tcp"}}}},
		{name: "null crashes GOST", transport: HTTP, body: `null`, wantFailure: FailureDecode, want: none, notes: []string{NoteGOSTPanics}},
		{name: "failure", transport: HTTP, failure: FailureTransport, wantFailure: FailureTransport, want: none},
	})
}

// TestRequestEncodingFailure: metadata GOST cannot encode fails before any
// call, and the module's failure rule applies.
func TestRequestEncodingFailure(t *testing.T) {
	t.Parallel()
	md := map[string]any{"f": func() {}}
	for _, tr := range Transports() {
		t.Run(string(tr), func(t *testing.T) {
			t.Parallel()
			c := &Client{transport: tr}
			rec := recordOp.call(t.Context(), c, RecorderRequest{Data: []byte("x"), Metadata: md})
			assert.Equal(t, FailureRequest, rec.Failure)
			assert.False(t, rec.Sent)
			assert.Equal(t, RecorderVerdict{}, rec.Verdict)
			assert.Equal(t, []string{NoteNotDelivered}, noteCodes(rec.Notes))

			rw := rewriteOp.call(t.Context(), c, RewriterRequest{Data: []byte("orig"), Metadata: md})
			assert.Equal(t, FailureRequest, rw.Failure)
			assert.Equal(t, RewriterVerdict{Body: "orig", Aborted: true}, rw.Verdict)
			assert.Empty(t, rw.Notes)
		})
	}
}

// TestRegistry: every module has its operations in an explicit list, the
// default first, and each Do records its module.
func TestRegistry(t *testing.T) {
	t.Parallel()
	want := map[Module][]string{
		Admission: {"admit"}, Auth: {"authenticate"}, Bypass: {"bypass"}, Hop: {"select"}, Hosts: {"lookup"},
		Ingress: {"get_rule", "set_rule"}, Limiter: {"limit"}, Observer: {"observe"}, Recorder: {"record"},
		Resolver: {"resolve"}, Rewriter: {"rewrite"}, Router: {"get_route"}, SD: {"register", "renew", "deregister", "get"},
	}
	require.Len(t, modules, len(Modules()))
	for i, m := range Modules() {
		assert.Equal(t, m, modules[i].module, "registry order")
		var names []string
		for _, op := range Operations(m) {
			assert.Equal(t, m, op.Module)
			names = append(names, op.Name)
		}
		assert.Equal(t, want[m], names, "%s", m)
		def, err := LookupOperation(m, "")
		require.NoError(t, err)
		assert.Equal(t, want[m][0], def.Name)
	}
	_, err := LookupOperation(Auth, "nope")
	require.ErrorIs(t, err, ErrUnknownOperation)
	_, err = LookupOperation("nope", "")
	require.ErrorIs(t, err, ErrUnknownModule)
}
