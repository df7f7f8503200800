package cli

import (
	"time"

	"github.com/plugincheck/plugincheck/internal/iostreams"
)

// Version is plugincheck's version, read from the build information
// (versionFrom) in init. It has no initializer so that
// -ldflags "-X github.com/plugincheck/plugincheck/internal/cli.Version=v1.2.3"
// still overrides it (-X cannot override a function-call initializer).
var Version string

func init() {
	if Version == "" {
		Version = buildVersion()
	}
}

// GOST versions whose behaviour plugincheck reproduces.
const (
	GOSTVersion   = "github.com/go-gost/x v0.15.2"
	PluginVersion = "github.com/go-gost/plugin v0.5.0"
)

// Factory carries what every command needs, so tests can replace it.
type Factory struct {
	IO  *iostreams.IOStreams
	Now func() time.Time
	// Getenv reads the environment (connection flags, PLUGIN_TOKEN); nil
	// means os.Getenv.
	Getenv func(string) string
}
