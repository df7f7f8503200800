// Package cli wires plugincheck's commands together. It maps flags to
// options, calls the libraries (package check runs a module or TLS check,
// internal/load makes traffic), renders the report and maps errors to exit
// codes; it holds no checking logic of its own.
package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/mockclient"
)

// Main runs plugincheck with args and returns the exit code.
func Main(ctx context.Context, args []string, io *iostreams.IOStreams) ExitCode {
	defer limitMemory()()
	f := &Factory{IO: io, Now: time.Now}
	root := NewCmdRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if errors.Is(err, errNoModule) {
		if len(args) == 0 {
			return exitCodeFor(ctx, root.Help())
		}
		// Only flags, which the root ignores: plugincheck --addr … forgot
		// the module.
		err = flagErrorf("missing module or command: plugincheck <module> --addr …; modules: %s", moduleNames())
	}
	code := exitCodeFor(ctx, err)
	switch {
	case code == ExitInterrupted:
		fmt.Fprintln(io.ErrOut, interruptedLine(root, args, err))
	case err != nil && !errors.Is(err, ErrChecksFailed):
		fmt.Fprintf(io.ErrOut, "plugincheck: %s\n", errorLine(root, args, err))
	}
	return code
}

// errNoModule is the root command's answer to no module or command; Main
// shows the help for no arguments at all, and a usage error for flags alone.
var errNoModule = errors.New("no module or command")

// NewCmdRoot builds the command tree.
func NewCmdRoot(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "plugincheck <module> --addr <plugin>",
		Short: "Test a GOST plugin the way GOST calls it",
		Long: `plugincheck plays GOST's role against a GOST v3 plugin server, over gRPC or HTTP,
runs fixture suites for the module, and reports TLS, latency and correctness.

Verdicts follow ` + GOSTVersion + ` and ` + PluginVersion + `.
Exit codes: 0 passed, 1 a check failed, 2 bad usage or fixture or no case ran,
3 GOST could not reach or speak to the plugin with the settings given (TLS
included), 4 load threshold breached, 130 interrupted.`,
		Example: `  plugincheck auth --addr 127.0.0.1:8000 --token gost
  plugincheck bypass --addr http://127.0.0.1:8000/bypass --output junit=report.xml
  plugincheck tls --addr 127.0.0.1:8443 --tls
  plugincheck demo`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		Version:       Version,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return errNoModule
			}
			hint := ""
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				hint = fmt.Sprintf(" (did you mean %s?)", strings.Join(s, " or "))
			}
			return flagErrorf("unknown module or command %q%s; modules: %s", args[0], hint, moduleNames())
		},
	}
	// An unknown module name comes with module flags (--addr …); let the
	// name reach RunE instead of failing on the flags.
	root.FParseErrWhitelist.UnknownFlags = true
	root.SuggestionsMinimumDistance = 2
	root.SetVersionTemplate(versionText())
	// Defined here so that cobra does not add its -v shorthand: -v is
	// --verbose on the commands.
	root.Flags().Bool("version", false, "print plugincheck's version and the GOST versions it follows")
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return flagErrorf("%v (see %s --help)", err, cmd.CommandPath())
	})
	for _, m := range mockclient.Modules() {
		root.AddCommand(newCmdModule(f, m, nil))
	}
	root.AddCommand(newCmdTLS(f, nil), newCmdDemo(f, nil), newCmdSuites(f), newCmdProtoset(f), newCmdVersion(f),
		newCmdLoad(f, nil), newCmdMerge(f, nil), newCmdConfig(f, nil))
	usageArgs(root)
	registerCompletions(root)
	bindEnv(root, f.Getenv)
	return root
}

func moduleNames() string {
	names := make([]string, 0, len(mockclient.Modules()))
	for _, m := range mockclient.Modules() {
		names = append(names, string(m))
	}
	return strings.Join(names, ", ")
}
