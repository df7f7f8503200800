package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// EnvPrefix starts the environment variable of each connection flag:
// PLUGINCHECK_ADDR for --addr, PLUGINCHECK_TLS_SERVER_NAME for
// --tls-server-name. ghz and k6 users set their targets the same way, and
// a CI job can then keep secrets out of the command line.
const EnvPrefix = "PLUGINCHECK_"

// TokenEnv is the token's own variable: the reproducers plugincheck prints
// already say `export PLUGIN_TOKEN=…`, so the same line sets --token.
const TokenEnv = "PLUGIN_TOKEN"

// envFlags are the flags read from the environment: where the plugin is and
// how GOST reaches it, on every command that has them, plus the web API's
// credentials of the config command (not --api itself: a URL from the
// environment would turn every `config FILE` into a usage error). Report and check flags stay on the
// command line, so that a run says what it checked.
var envFlags = []string{
	"addr", "transport", "token", "tls", "tls-secure", "tls-server-name", "timeout", "call-timeout",
	"tls-ca-cert", "tls-client-cert", "tls-client-key", "api-user", "api-password",
}

// envNames are the variables of flag name, first one wins.
func envNames(name string) []string {
	v := EnvPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
	if name == "token" {
		return []string{v, TokenEnv}
	}
	return []string{v}
}

// bindEnv shows each command's environment variables in its help and
// fills, before the command runs, every such flag not given on the command
// line from its variable. A bad value is a usage error naming the
// variable.
func bindEnv(root *cobra.Command, getenv func(string) string) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		for _, name := range envFlags {
			if f := c.Flags().Lookup(name); f != nil {
				f.Usage += " [env " + strings.Join(envNames(name), ", ") + "]"
			}
		}
	}
	walk(root)
	root.Long += "\n\n" + envHelp()
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		return applyEnv(cmd.Flags(), getenv)
	}
}

// applyEnv sets each unset env-bound flag of fs from the environment.
func applyEnv(fs *pflag.FlagSet, getenv func(string) string) error {
	for _, name := range envFlags {
		f := fs.Lookup(name)
		if f == nil || f.Changed {
			continue
		}
		for _, v := range envNames(name) {
			val := getenv(v)
			if val == "" {
				continue
			}
			if err := fs.Set(name, val); err != nil {
				shown := clipArg(val)
				if name == "token" || name == "api-password" {
					shown = "<redacted>"
				}
				return flagErrorf("environment variable %s=%q: not a valid --%s (%s)", v, shown, name, f.Value.Type())
			}
			break
		}
	}
	return nil
}

// envHelp is the help text that lists the variables.
func envHelp() string {
	var b strings.Builder
	b.WriteString("Environment: a connection flag not given on the command line is read from its variable:\n")
	for _, name := range envFlags {
		fmt.Fprintf(&b, "  --%-16s %s\n", name, strings.Join(envNames(name), ", "))
	}
	return strings.TrimSuffix(b.String(), "\n")
}
