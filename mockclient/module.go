package mockclient

import (
	"errors"
	"fmt"
	"strings"
)

// Module names a GOST plugin module, spelled as plugincheck's subcommands are.
type Module string

// The 13 GOST plugin modules, in the order of the go-gost/plugin tree.
const (
	Admission Module = "admission"
	Auth      Module = "auth"
	Bypass    Module = "bypass"
	Hop       Module = "hop"
	Hosts     Module = "hosts"
	Ingress   Module = "ingress"
	Limiter   Module = "limiter"
	Observer  Module = "observer"
	Recorder  Module = "recorder"
	Resolver  Module = "resolver"
	Rewriter  Module = "rewriter"
	Router    Module = "router"
	SD        Module = "sd"
)

// ErrUnknownModule is returned for a module name GOST does not have.
var ErrUnknownModule = errors.New("unknown module")

// Modules returns every module, in a stable order.
func Modules() []Module {
	return []Module{Admission, Auth, Bypass, Hop, Hosts, Ingress, Limiter, Observer, Recorder, Resolver, Rewriter, Router, SD}
}

// ParseModule returns the module called name.
func ParseModule(name string) (Module, error) {
	for _, m := range Modules() {
		if string(m) == name {
			return m, nil
		}
	}
	return "", fmt.Errorf("%w %q (want one of %s)", ErrUnknownModule, name, moduleList())
}

func moduleList() string {
	names := make([]string, 0, len(Modules()))
	for _, m := range Modules() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}

// Transport is how GOST talks to a plugin.
type Transport string

// The two plugin transports. GOST picks HTTP only when the plugin's type is
// "http" (case-insensitive); anything else, including an empty type, is gRPC.
const (
	GRPC Transport = "grpc"
	HTTP Transport = "http"
)

// ErrUnknownTransport is returned for a transport other than grpc or http.
var ErrUnknownTransport = errors.New("unknown transport")

// Transports returns both transports, gRPC first.
func Transports() []Transport { return []Transport{GRPC, HTTP} }

// ParseTransport parses a transport name. The empty string selects
// automatically from the address, see [DetectTransport].
func ParseTransport(name string) (Transport, error) {
	switch strings.ToLower(name) {
	case "grpc":
		return GRPC, nil
	case "http":
		return HTTP, nil
	case "":
		return "", nil
	}
	return "", fmt.Errorf("%w %q (want grpc or http)", ErrUnknownTransport, name)
}

// DetectTransport returns HTTP for an http:// or https:// address and gRPC
// otherwise. GOST itself never guesses (it reads the plugin's type), but an
// address with a URL scheme is never a valid gRPC target for it either.
func DetectTransport(addr string) Transport {
	if scheme, _, slashes := splitScheme(addr); slashes && (scheme == "http" || scheme == "https") {
		return HTTP
	}
	return GRPC
}
