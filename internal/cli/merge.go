package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/internal/load"
)

// MergeOptions is one `plugincheck merge` run.
type MergeOptions struct {
	IO    *iostreams.IOStreams
	Files []string
	// AllowGaps merges runs whose measured windows leave a gap, rating
	// each run over its own window.
	AllowGaps bool
	Gate      GateOptions
	Out       LoadOutputs
}

func newCmdMerge(f *Factory, runF func(context.Context, *MergeOptions) error) *cobra.Command {
	opts := &MergeOptions{IO: f.IO}
	cmd := &cobra.Command{
		Use:   "merge <result.json|log.hlog>...",
		Short: "Merge the load results of several machines exactly",
		Long: `Merge the JSON results (-o json=FILE) of load runs made on several machines
against the same plugin into one result: histograms and counters add exactly,
so the merged percentiles are those of all calls together. The measured
window is the union of the runs' windows, and the achieved rate the combined
rate over it. Runs whose windows leave a gap (made one after the other) are
refused; --allow-gaps merges them, with the achieved rate the sum of each
run's rate over its own window.

HDR histogram logs (--hdr-log) merge too, giving latency only. The gate
flags apply to the merged result (exit 4).`,
		Example: `  plugincheck merge machine-*.json
  plugincheck merge a.json b.json -o json=total.json --max-p99 50ms --min-rps 20000
  plugincheck merge a.hlog b.hlog`,
		Args: fileArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if _, err := opts.Gate.thresholds(); err != nil {
				return err
			}
			if err := opts.Out.checkFiles(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return mergeRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.AllowGaps, "allow-gaps", false, "merge runs whose measured windows leave a gap; the rate is then the sum of each run's rate over its own window")
	opts.Gate.addFlags(cmd.Flags())
	opts.Out.addFlags(cmd.Flags())
	return cmd
}

// ErrMixedInputs is returned when merge is given both JSON results and
// histogram logs.
var ErrMixedInputs = errors.New("merge: give either JSON results or HDR histogram logs, not both")

func mergeRun(ctx context.Context, opts *MergeOptions) error {
	var results []*load.Result
	logs := load.NewMetrics()
	nlogs := 0
	for _, name := range opts.Files {
		in, err := readMergeInput(name, logs)
		if err != nil {
			var fe *FlagError
			if errors.As(err, &fe) {
				return err
			}
			return &FlagError{Err: err}
		}
		if in.isLog {
			nlogs++
			continue
		}
		results = append(results, in.result)
	}
	if len(results) > 0 && nlogs > 0 {
		return &FlagError{Err: ErrMixedInputs}
	}
	var res *load.Result
	var err error
	if len(results) > 0 {
		res, err = load.MergeOptions{Names: opts.Files, AllowGaps: opts.AllowGaps}.Merge(results...)
		switch {
		case errors.Is(err, load.ErrWindowGap):
			return &FlagError{Err: fmt.Errorf("%w (--allow-gaps rates each run over its own window)", err)}
		case errors.Is(err, load.ErrMismatch):
			return &FlagError{Err: err}
		}
	} else {
		logs.Requests = logs.Corrected.TotalCount()
		res, err = load.NewResult(load.Info{Mode: "open", Machines: nlogs, Target: "(histogram logs)"}, logs)
		if err == nil {
			res.Notes = append(res.Notes, "merged from HDR histogram logs: latency only; errors, verdicts and rates need the JSON results")
		}
	}
	if err != nil {
		return err
	}
	return finishLoad(ctx, opts.IO, res, &opts.Gate, &opts.Out, nil)
}
