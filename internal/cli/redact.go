package cli

import (
	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/clip"
	"github.com/plugincheck/plugincheck/mockclient"
)

// maxErrorLine bounds the error line on standard error: it may quote what
// the plugin sent.
const maxErrorLine = 4 << 10

// errorLine is the one line printed for err: flattened, cut to
// maxErrorLine, and with the --token of the command that ran redacted
// unless --show-token, since the error may quote the plugin's echo of it.
func errorLine(root *cobra.Command, args []string, err error) string {
	line := oneLine(err)
	if token, show := tokenOf(root, args); !show {
		line = clip.Redact(line, token)
	}
	return clip.Text(line, maxErrorLine)
}

// tokenOf reads --token and --show-token from the command args ran, after
// cobra parsed them; "" when that command has no --token.
func tokenOf(root *cobra.Command, args []string) (token string, show bool) {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return "", false
	}
	if f := cmd.Flags().Lookup("token"); f != nil {
		token = f.Value.String()
	}
	if f := cmd.Flags().Lookup("show-token"); f != nil {
		show = f.Value.String() == "true"
	}
	return token, show
}

// redactedAddr is cfg.Addr for status lines, with the token redacted
// unless show.
func redactedAddr(cfg mockclient.Config, show bool) string {
	if show {
		return cfg.Addr
	}
	return clip.Redact(cfg.Addr, cfg.Token)
}
