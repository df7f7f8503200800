// Package refplugin runs reference GOST plugin servers for all 13 plugin
// modules, over gRPC and HTTP/JSON, with a small fixed policy.
//
// They exist so that plugincheck has a known-good target: `plugincheck demo`
// runs every suite against them, and tests use them as real servers. They
// speak exactly the wire protocol GOST v3 (x v0.15.2, plugin v0.5.0) uses.
// Each module's decision lives in one transport-independent function that
// both the gRPC and the HTTP handler call, so the two transports cannot
// disagree.
package refplugin
