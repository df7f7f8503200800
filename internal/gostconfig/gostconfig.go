// Package gostconfig reads a GOST v3 config (YAML or JSON, from a file or
// from GOST's web API) exactly as github.com/go-gost/x v0.15.2 does, and
// says what it holds about plugins: every plugin block as the
// mockclient.Config GOST would build from it, the services, chains and
// hops that use it, and the config's problems in GOST's terms.
//
// It never imports go-gost/x or viper: the main module stays free of them,
// and the parity module proves this reading equal to x's own loader.
package gostconfig

import (
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// Kinds lists the config sections that hold plugin blocks, in report order.
var Kinds = []string{
	"authers", "admissions", "bypasses", "hosts", "resolvers", "ingresses",
	"routers", "sds", "recorders", "rewriters", "limiters", "climiters",
	"rlimiters", "observers", "hops",
}

// kindModule maps each kind to the module whose suites check its plugin.
var kindModule = map[string]mockclient.Module{
	"authers":    mockclient.Auth,
	"admissions": mockclient.Admission,
	"bypasses":   mockclient.Bypass,
	"hosts":      mockclient.Hosts,
	"resolvers":  mockclient.Resolver,
	"ingresses":  mockclient.Ingress,
	"routers":    mockclient.Router,
	"sds":        mockclient.SD,
	"recorders":  mockclient.Recorder,
	"rewriters":  mockclient.Rewriter,
	"limiters":   mockclient.Limiter,
	"climiters":  mockclient.Limiter,
	"rlimiters":  mockclient.Limiter,
	"observers":  mockclient.Observer,
	"hops":       mockclient.Hop,
}

// ModuleOf returns the module that checks a plugin block of kind, or ""
// for a name that is not one of Kinds.
func ModuleOf(kind string) mockclient.Module { return kindModule[kind] }

// Deployment is what one GOST config says about its plugins.
type Deployment struct {
	// Source is the file name, "-" for stdin, or the API URL without
	// credentials.
	Source string
	// Plugins are in Kinds order, then config order.
	Plugins []Plugin
	// Findings are config problems in GOST's terms, by line.
	Findings []Finding
}

// Plugin is one plugin block as GOST reads it.
type Plugin struct {
	// Kind is one of Kinds.
	Kind string
	// Name is the component's name ("auth-0").
	Name string
	// Module is the module whose suites check it.
	Module mockclient.Module
	// Config holds Addr, Transport, Module, Token, TLS and Timeout exactly
	// as GOST reads them; CallTimeout and the rest are left zero for the
	// caller.
	Config mockclient.Config
	// Line is the line of the block's `plugin:` key in Source; 0 when
	// unknown.
	Line int
	// Users are the services, chains and hops that use it, in config order.
	Users []User
	// Chain is the chain that holds this hop inline (chains[].hops[] with
	// its own plugin), after the hops section in Plugins; empty for an
	// entry of a section.
	Chain string
	// Ignored says why GOST v0.15.2 never calls this block (climiters and
	// rlimiters read no plugin); empty when GOST calls it.
	Ignored string
}

// ID is "kind/name", what --only selects.
func (p Plugin) ID() string { return p.Kind + "/" + p.Name }

// User is one service (or chain/hop) that uses a plugin.
type User struct {
	// Service is the service's name; empty when only a chain or hop uses
	// the plugin.
	Service string
	// Handler is the service's handler type ("socks5", "http", "tcp",
	// "relay", …), "auto" when the config leaves it empty, as GOST does.
	Handler string
	// Listener is the service's listener type, "tcp" when empty, as GOST
	// does.
	Listener string
	// Chain is the chain the plugin is used through, if any.
	Chain string
	// Hop is the hop the plugin is used through, if any.
	Hop string
	// Via says how the plugin is reached, as a config path
	// ("handler.auther", "admissions", "hop.plugin", "metadata.ingress").
	Via string
}

// Finding is one config problem, in GOST's terms.
type Finding struct {
	// Code is stable: see the Code* constants.
	Code string
	// Severity is report.Fail, report.Warn, or report.Pass for
	// information.
	Severity report.Status
	File     string
	Line     int
	// Plugin is kind/name when the finding concerns one plugin block.
	Plugin string
	// Message says what GOST will do and what to change; tokens are
	// redacted.
	Message string
}

// The finding codes.
const (
	CodeUnusedPlugin        = "unused-plugin"
	CodeUnknownComponent    = "unknown-component"
	CodeIgnoredTLS          = "ignored-tls"
	CodeHTTPNoTimeout       = "http-no-timeout"
	CodeTokenConflict       = "token-conflict"
	CodeGRPCPlaintextRemote = "grpc-plaintext-remote"
	CodeIgnoredPlugin       = "ignored-plugin"
	CodeDuplicateName       = "duplicate-name"
	CodeBadAddress          = "bad-address"
)
