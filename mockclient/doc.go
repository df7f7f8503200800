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
// Plugin authors can call it from their own tests:
//
//	c, err := mockclient.New(mockclient.Config{Addr: "127.0.0.1:8000", Token: "gost"})
//	if err != nil { ... }
//	defer c.Close()
//	res := c.Authenticate(ctx, mockclient.AuthRequest{Username: "gost", Password: "gost"})
//	if !res.Verdict.OK { ... }
//
// One deliberate difference from GOST: every call carries plugincheck's own
// deadline ([Config.CallTimeout]), because GOST sets none for gRPC plugins and
// a hung plugin would otherwise hang the harness. The deadline is enforced by
// cancellation, not by a context deadline, so no grpc-timeout header is added
// and the bytes on the wire stay GOST's.
package mockclient
