package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

func newCmdProtoset(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "protoset",
		Short: "Write the go-gost/plugin protos as a FileDescriptorSet (for grpcurl -protoset)",
		Long: `Write a binary FileDescriptorSet of all 13 go-gost/plugin v0.5.0 protos to standard
output. gRPC reproducer lines read it from ` + mockclient.ProtosetFile + ` in the directory they run in
(or from $` + mockclient.ProtosetVariable + `): a run with -o FORMAT=FILE writes it beside the report;
elsewhere, make it first:

  plugincheck protoset > ` + mockclient.ProtosetFile,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			b, err := mockclient.ProtoSet()
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(b)
			return err
		},
	}
}

// protosetHint is the line a verbose text report on standard output starts
// with when it shows gRPC reproducers and no report file was written, so
// no protoset either.
const protosetHint = "gRPC reproducers read " + mockclient.ProtosetFile + ": run `plugincheck protoset > " + mockclient.ProtosetFile + "` where you paste them"

// writeProtosets makes the gRPC reproducers of a report work where its
// report files are: before the outputs are written, it writes the
// ProtosetFile once into each directory that gets a report file, and says
// where on standard error, which keeps standard output for the report
// alone (a table or JSON a script reads). Without a report file it only
// hints how to make one, when a verbose text report on standard output
// shows gRPC reproducers. Results other than a report (load) have no
// reproducers and are left alone. A protoset that cannot be written is a
// warning, not a failed run: the report itself was written.
func writeProtosets(ios *iostreams.IOStreams, outs []output, v any, verbose func(output) bool) {
	rep, ok := v.(*report.Report)
	if !ok || rep == nil {
		return
	}
	if !hasGRPCReproducer(rep) {
		return
	}
	// Only the verbose text prints reproducers; the short one points to
	// -v and JSON for them.
	shown := false
	for _, o := range outs {
		if o.format == "text" && o.file == "" {
			shown = verbose(o)
		}
	}
	var dirs []string
	seen := map[string]bool{}
	for _, o := range outs {
		if o.file == "" {
			continue
		}
		if st, err := os.Stat(o.file); err == nil && !st.Mode().IsRegular() {
			continue // /dev/stdout or a pipe: no directory of its own
		}
		dir := filepath.Dir(o.file)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue // the report's own write says what is wrong
		}
		if abs, err := filepath.Abs(dir); err == nil && !seen[abs] {
			seen[abs] = true
			dirs = append(dirs, dir)
		}
	}
	if len(dirs) == 0 {
		if shown {
			fmt.Fprintln(ios.Out, protosetHint)
		}
		return
	}
	set, err := mockclient.ProtoSet()
	if err != nil {
		fmt.Fprintf(ios.ErrOut, "plugincheck: warning: %s not written: %v\n", mockclient.ProtosetFile, err)
		return
	}
	for _, dir := range dirs {
		name := filepath.Join(dir, mockclient.ProtosetFile)
		if err := writeProtoset(name, set); err != nil {
			fmt.Fprintf(ios.ErrOut, "plugincheck: warning: %v; make it with `plugincheck protoset > %s`\n", err, name)
			continue
		}
		fmt.Fprintln(ios.ErrOut, protosetNotice(dir))
	}
}

// hasGRPCReproducer reports whether rep holds a gRPC reproducer, the only
// kind that reads the protoset.
func hasGRPCReproducer(rep *report.Report) bool {
	for _, run := range rep.Runs {
		if run == nil || run.Transport != string(mockclient.GRPC) {
			continue
		}
		for _, c := range run.Cases {
			for _, st := range c.Steps {
				if st != nil && st.Reproducer != "" {
					return true
				}
			}
		}
	}
	return false
}

// writeProtoset leaves an identical file untouched (a second run, or a
// second report in the same directory) and otherwise replaces it whole:
// written to a temporary file and renamed, so a reader never sees half a
// descriptor set and an interrupted write leaves the old one.
func writeProtoset(name string, set []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, set) {
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: %w", name, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+mockclient.ProtosetFile+".*")
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }() // after the rename, a no-op
	if _, err := tmp.Write(set); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// protosetNotice says where the protoset of a report in dir was written
// and where its reproducers run.
func protosetNotice(dir string) string {
	where := "in " + dir
	if dir == "." {
		where = "here"
	}
	return fmt.Sprintf("gRPC reproducers read %s: run them %s or set %s",
		filepath.Join(dir, mockclient.ProtosetFile), where, mockclient.ProtosetVariable)
}
