// Package mockclient is GOST's side of every plugin call, for all 13 plugin
// modules, over gRPC and HTTP/JSON.
//
// It reproduces the plugin clients of github.com/go-gost/x v0.15.2 (the
// version GOST v3 ships) without linking GOST: the same dial options, the
// same v0.5.0 gRPC stubs, the same HTTP methods, headers and JSON shapes, and
// the same rules for turning a reply, or a failure, into a decision.
//
// Every call returns a [Result]: the [Observation] (what went over the wire
// and what came back) and the GOST verdict (what GOST concludes from it).
// Plugin authors can call it from their own tests, over a real address with
// [New] or over their own bufconn connection or httptest client with
// [NewGRPC] and [NewHTTP]:
//
//	c, err := mockclient.New(mockclient.Config{Addr: "127.0.0.1:8000", Token: "gost"})
//	if err != nil { ... }
//	defer c.Close()
//	res := c.Authenticate(ctx, mockclient.AuthRequest{Username: "gost", Password: "gost"})
//	if !res.Verdict.OK { ... }
//
// Each module file declares its operations as values of one internal type,
// an operation table entry: the gRPC half (the v0.5.0 request built from
// the typed request, the generated stub to call, and the map from its reply),
// the HTTP half (body or GET query, and the JSON type the body decodes
// into, copied field for field from x so that the bytes on the wire stay
// GOST's), GOST's skip rules (an observer with no events, an HTTP recorder
// with empty data, an sd write without a service), and the verdict rule with
// its failure rule. Both halves map their reply to one type, so one rule
// serves both transports, and the tables in verdict_test.go feed it replies
// and failures without a server. A single generic path runs every call:
// skip, bound the call, dispatch to gRPC or HTTP, record the observation
// and its module, then apply the verdict or the failure rule. The typed
// methods (Authenticate, Select, …) and [Operation.Do] are thin wrappers
// over it; [Operations] reads an explicit list of the 13 modules, filled
// without init functions. [ParseTarget] is the one reading of an address:
// [New] detects the transport with it, and the observer's URL and the
// reproducer's TLS facts come from it.
//
// One deliberate difference from GOST: every call carries plugincheck's own
// deadline ([Config.CallTimeout]), because GOST sets none for gRPC plugins and
// a hung plugin would otherwise hang the harness. The deadline is enforced by
// cancellation, not by a context deadline, so no grpc-timeout header is added
// and the bytes on the wire stay GOST's.
package mockclient
