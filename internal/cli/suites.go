package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/fixtures"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

func newCmdSuites(f *Factory) *cobra.Command {
	var paths []string
	var builtinOnly bool
	cmd := &cobra.Command{
		Use:   "suites [module]",
		Short: "List suites and case IDs (for --run and --skip)",
		Long: `List the built-in, reference and example suites, or the suites in --fixtures,
with every case ID as --run and --skip match it.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var only mockclient.Module
			if len(args) == 1 {
				m, err := suites.ParseModule(args[0])
				if err != nil {
					return &FlagError{Err: err}
				}
				only = m
			}
			var ss []*suites.Suite
			var err error
			if len(paths) > 0 {
				ss, err = parseFixtures(f.IO.In, paths)
			} else {
				dirs := []string{fixtures.BuiltinDir}
				if !builtinOnly {
					dirs = append(dirs, fixtures.ReferenceDir, fixtures.ExamplesDir)
				}
				ss, err = suites.Parse(fixtures.FS, dirs...)
			}
			if err != nil {
				return err
			}
			for _, s := range ss {
				if only != "" && s.Module != only {
					continue
				}
				fmt.Fprintf(f.IO.Out, "%s (%s, module %s)\n", s.Name, s.File, s.Module)
				for _, c := range s.Cases {
					ts := c.Transports
					if len(ts) == 0 {
						ts = s.Transports
					}
					if len(ts) == 0 {
						ts = mockclient.Transports()
					}
					names := make([]string, len(ts))
					for i, t := range ts {
						names[i] = string(t)
					}
					id := s.Slug() + "/{" + strings.Join(names, ",") + "}/" + c.Name
					if len(names) == 1 {
						id = s.Slug() + "/" + names[0] + "/" + c.Name
					}
					if c.Doc != "" {
						fmt.Fprintf(f.IO.Out, "  %s\n      %s\n", id, c.Doc)
					} else {
						fmt.Fprintf(f.IO.Out, "  %s\n", id)
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&paths, "fixtures", nil, "list these fixture files or directories instead")
	cmd.Flags().BoolVar(&builtinOnly, "builtin", false, "list only the built-in suites")
	return cmd
}

func newCmdVersion(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print plugincheck's version and the GOST versions it follows",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprint(f.IO.Out, versionText())
			return nil
		},
	}
}
