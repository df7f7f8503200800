package cli

import (
	"strings"
	"unicode/utf8"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/suites"
)

// maxServices bounds --service: each name adds a copy of the cases that
// carry a service name.
const maxServices = 64

// maxServiceName bounds one --service name, far above any name a GOST
// config holds.
const maxServiceName = 1024

// validServices checks the --service names.
func validServices(names []string) error {
	if len(names) > maxServices {
		return flagErrorf("--service given %d times; at most %d", len(names), maxServices)
	}
	for _, n := range names {
		switch {
		case strings.TrimSpace(n) == "":
			return flagErrorf("--service: empty service name")
		case len(n) > maxServiceName:
			return flagErrorf("--service %q: longer than %d bytes", clipArg(n), maxServiceName)
		case !utf8.ValidString(n):
			return flagErrorf("--service %q: not UTF-8", clipArg(n))
		}
	}
	return nil
}

// withServices sends the built-in suites' requests also with the --service
// names, whose handlers are unknown, so every shape of the module goes out
// with each name. User fixtures are left as written: their expectations
// may hold for their own service names only.
func withServices(ss []*suites.Suite, names []string) []*suites.Suite {
	if len(names) == 0 {
		return ss
	}
	svcs := make([]suites.Service, 0, len(names))
	for _, n := range names {
		svcs = append(svcs, suites.Service{Name: n})
	}
	return forBuiltin(ss, svcs)
}

// forBuiltin applies suites.ForServices to the built-in suites of ss.
func forBuiltin(ss []*suites.Suite, svcs []suites.Service) []*suites.Suite {
	out := make([]*suites.Suite, len(ss))
	for i, s := range ss {
		out[i] = s
		if strings.HasPrefix(s.File, fixtures.BuiltinDir+"/") {
			out[i] = suites.ForServices([]*suites.Suite{s}, svcs)[0]
		}
	}
	return out
}
