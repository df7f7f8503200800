package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/internal/iostreams"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
)

// TLSOptions is one `plugincheck tls` run.
type TLSOptions struct {
	IO     *iostreams.IOStreams
	Now    func() time.Time
	Conn   ConnOptions
	Output CheckOptions
	// Audit replaces the TLS audit; nil audits the plugin at --addr.
	Audit func(ctx context.Context, cfg mockclient.Config) report.TLS
}

func newCmdTLS(f *Factory, runF func(context.Context, *TLSOptions) error) *cobra.Command {
	opts := &TLSOptions{IO: f.IO, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "tls --addr <plugin>",
		Short: "Audit a plugin's TLS and say which GOST configurations can connect",
		Long: `Connect to a plugin as GOST would and report: whether it answers, whether it speaks
TLS or plaintext, the negotiated version, cipher suite and ALPN, the certificate chain
(names, validity, keys, signatures), whether the certificate matches --tls-server-name
or the host of --addr, and whether the chain verifies against the system roots (and
--tls-ca-cert). Then, for every way GOST can be configured (no tls block, tls: {},
secure: true, each with and without serverName; for HTTP also https:// with and
without a tls block), whether GOST would connect, and if not why, in GOST's terms.

--tls-ca-cert, --tls-client-cert and --tls-client-key are plugincheck's own: GOST
has no equivalent (it verifies plugins against the system roots only and never
presents a client certificate). They let plugincheck read an mTLS-only server; the
report still says GOST itself cannot connect to it.

A TLS handshake gets up to 10 s and is judged by GOST's own deadlines: an HTTP
plugin's only by --timeout (GOST's plugin timeout), a gRPC plugin's by the 1 s grpc-go
gives GOST's first connect, which fails GOST's first calls when the connect is slower.

Exits 3 when GOST could not connect with the settings given.`,
		Example: `  plugincheck tls --addr 127.0.0.1:8443 --tls
  plugincheck tls --addr https://plugin.internal:8443/auth --tls-secure -o json
  plugincheck tls --addr 127.0.0.1:8443 --tls --tls-client-cert client.pem --tls-client-key client.key`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := opts.Conn.checkTarget(tlsModule); err != nil {
				return err
			}
			if err := opts.Output.checkOutputs(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return tlsRun(cmd.Context(), opts)
		},
	}
	opts.Conn.addTargetFlags(cmd.Flags())
	cmd.Flags().DurationVar(&opts.Conn.Timeout, "timeout", 0, "GOST's plugin `timeout`: it bounds an HTTP plugin's TLS handshake (GOST sets no other deadline)")
	opts.Output.addOutputFlags(cmd.Flags())
	return cmd
}

// tlsModule stands for the module in the tls command's messages: the
// audit is the same for every module.
const tlsModule = mockclient.Module("plugin")

func tlsRun(ctx context.Context, opts *TLSOptions) error {
	opts.Conn.CallTimeout = check.HandshakeTimeout
	cfg, err := opts.Conn.config(tlsModule)
	if err != nil {
		return err
	}
	audit, err := opts.Conn.auditOptions(opts.Now)
	if err != nil {
		return err
	}
	rep := newReport(opts.Now())
	if opts.IO.IsStderrTTY() {
		fmt.Fprintf(opts.IO.ErrOut, "auditing TLS of %s over %s …\n", cfg.Addr, cfg.Transport)
	}
	run := check.TLS(ctx, cfg, check.Options{TLS: auditOf(audit), Audit: opts.Audit, Now: opts.Now})
	rep.Runs = append(rep.Runs, run)
	return finish(ctx, opts.IO, opts.Now, rep, &opts.Output, ctx.Err())
}
