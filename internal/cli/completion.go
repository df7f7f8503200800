package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// registerCompletions adds value completions to every command's flags, by
// flag name, so that a flag added later to any command completes the same
// way. Cobra's own `completion` command renders them for each shell.
func registerCompletions(root *cobra.Command) {
	walk(root, func(cmd *cobra.Command) {
		fixed := func(flag string, values ...string) {
			if cmd.Flags().Lookup(flag) != nil {
				_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
			}
		}
		fixed("transport", string(mockclient.GRPC), string(mockclient.HTTP))
		if f := cmd.Flags().Lookup("output"); f != nil {
			names := report.Reports.Names()
			if cmd.Name() == "load" {
				names = loadResults.Names()
			}
			_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return outputCompletions(names), cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
			})
		}
		if cmd.Flags().Lookup("fixtures") != nil {
			_ = cmd.RegisterFlagCompletionFunc("fixtures", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return []cobra.Completion{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
			})
		}
		for _, flag := range []string{"run", "skip"} {
			if cmd.Flags().Lookup(flag) == nil {
				continue
			}
			_ = cmd.RegisterFlagCompletionFunc(flag, func(c *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return caseCompletions(moduleOf(c, args)), cobra.ShellCompDirectiveNoFileComp
			})
		}
		fixed("modules", moduleStrings()...)
	})
	modules := func(_ *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return moduleStrings(), cobra.ShellCompDirectiveNoFileComp
	}
	for _, c := range root.Commands() {
		switch c.Name() {
		case "load", "suites":
			c.ValidArgsFunction = modules
		case "config":
			c.ValidArgsFunction = func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
				return []cobra.Completion{"yaml", "yml", "json"}, cobra.ShellCompDirectiveFilterFileExt
			}
		}
	}
	// The root's subcommands are the modules and commands; cobra lists them.
	root.ValidArgsFunction = cobra.NoFileCompletions
}

// walk calls f on cmd and every command below it.
func walk(cmd *cobra.Command, f func(*cobra.Command)) {
	f(cmd)
	for _, c := range cmd.Commands() {
		walk(c, f)
	}
}

// outputCompletions offers each format bare (standard output) and with
// "=" for a file.
func outputCompletions(names []string) []cobra.Completion {
	out := make([]cobra.Completion, 0, 2*len(names))
	for _, n := range names {
		out = append(out, n, n+"=")
	}
	return out
}

func moduleStrings() []string {
	out := make([]string, 0, len(mockclient.Modules()))
	for _, m := range mockclient.Modules() {
		out = append(out, string(m))
	}
	return out
}

// moduleOf is the module a command runs: the command's own name for
// `plugincheck <module>`, the first argument for `plugincheck load <module>`.
func moduleOf(cmd *cobra.Command, args []string) string {
	if cmd.Name() == "load" {
		if len(args) == 0 {
			return ""
		}
		return args[0]
	}
	return cmd.Name()
}

// caseCompletions lists patterns for the cases of module's built-in
// suites (suite/*/case, and suite/** for a whole suite): they are embedded,
// so listing them needs no plugin.
func caseCompletions(module string) []cobra.Completion {
	m, err := mockclient.ParseModule(module)
	if err != nil {
		return nil
	}
	ss, err := check.EmbeddedSuites(fixtures.BuiltinDir, m)
	if err != nil {
		return nil
	}
	var out []cobra.Completion
	for _, s := range ss {
		out = append(out, s.Slug()+"/**")
		for _, c := range s.Cases {
			out = append(out, s.Slug()+"/*/"+strings.ReplaceAll(c.Name, " ", "?"))
		}
	}
	return out
}
