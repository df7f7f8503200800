// Command bench checks the performance goals of plugincheck load against
// peer tools measured in the same run, on the same machine, against the same
// plugin, and exits 1 when one is missed. It is a benchmark, not a test:
//
//	go run ./internal/bench                      # every section, about 11 minutes on 2 cores
//	go run ./internal/bench -only grpc,http      # some sections
//	go run ./internal/bench -d 3s -rounds 1 -rss 1e5,1e6   # a quick check of the instrument
//
// Sections: grpc (closed loop against ghz and a bare grpc-go loop), http
// (closed loop against wrk and vegeta), open (open-loop latency against a
// goroutine-per-call reference client), stall (a plugin that stalls every
// 10th call), memory (peak RSS) and suite (a 10,000-case module run and
// the demo). Its helper subcommands are
// `bench serve` (the plugins), `bench raw` (the bare grpc-go loop) and
// `bench ref` (the reference client). See docs/benchmark.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	var ue *usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		os.Exit(2)
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	case errors.Is(err, errMissed):
		os.Exit(1)
	default:
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// usageError is bad input: one line, exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// parse parses args into fs; a bad flag is a usage error.
func parse(fs *flag.FlagSet, args []string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(os.Stderr)
			fs.PrintDefaults()
			return err
		}
		return usageErrorf("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usageErrorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			fs := flag.NewFlagSet("serve", flag.ContinueOnError)
			var o serveOptions
			fs.Int64Var(&o.stallEvery, "stall-every", 0, "stall every n-th call of each transport (0: never)")
			fs.DurationVar(&o.stall, "stall", 200*time.Millisecond, "how long a stalled call waits")
			if err := parse(fs, args[1:]); err != nil {
				return err
			}
			if o.stallEvery < 0 || o.stall < 0 {
				return usageErrorf("serve: -stall-every and -stall must not be negative")
			}
			return serve(ctx, stdout, o)
		case "raw":
			fs := flag.NewFlagSet("raw", flag.ContinueOnError)
			addr := fs.String("addr", "", "plugin address")
			c := fs.Int("c", 16, "concurrency")
			d := fs.Duration("d", 10*time.Second, "duration")
			if err := parse(fs, args[1:]); err != nil {
				return err
			}
			if *addr == "" || *c < 1 || *d <= 0 {
				return usageErrorf("raw: want -addr, and a positive -c and -d")
			}
			return raw(ctx, stdout, *addr, *c, *d)
		case "ref":
			fs := flag.NewFlagSet("ref", flag.ContinueOnError)
			var o refOptions
			fs.StringVar(&o.transport, "transport", "grpc", "grpc or http")
			fs.StringVar(&o.addr, "addr", "", "plugin address: host:port for gRPC, the URL for HTTP")
			fs.Float64Var(&o.rate, "rate", 2000, "calls per second")
			fs.DurationVar(&o.duration, "d", 10*time.Second, "duration")
			if err := parse(fs, args[1:]); err != nil {
				return err
			}
			if o.addr == "" || o.rate <= 0 || o.rate > 1e6 || o.duration <= 0 {
				return usageErrorf("ref: want -addr, a -rate between 0 and 1e6 and a positive -d")
			}
			return ref(ctx, stdout, o)
		}
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	only := fs.String("only", strings.Join(sections, ","), "sections to run, comma-separated: "+strings.Join(sections, ","))
	fs.IntVar(&o.concurrency, "c", 16, "gRPC closed loop: concurrency of every tool (ghz -c, plugincheck -c, raw loop goroutines); also the -rss runs'")
	fs.IntVar(&o.httpC, "http-c", 50, "HTTP closed loop: concurrency of every tool (wrk -c, vegeta -workers, plugincheck -c)")
	fs.IntVar(&o.memC, "mem-c", 1000, "memory: plugincheck -c of the peak-RSS runs over gRPC and HTTP")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of each timed run")
	fs.IntVar(&o.rounds, "rounds", 3, "alternated rounds of the tools; each figure's median round is compared")
	fs.Float64Var(&o.rate, "rate", 2000, "open loop and stall: calls per second")
	fs.Int64Var(&o.stallEvery, "stall-every", 10, "stall: every n-th call of the plugin stalls")
	fs.DurationVar(&o.stall, "stall", 200*time.Millisecond, "stall: how long a stalled call waits")
	fs.StringVar(&o.rss, "rss", "1e6,1e7", "memory: request counts of the flat-RSS runs over gRPC, comma-separated; empty skips them")
	fs.StringVar(&o.httpPlugin, "http-plugin", "fast", "HTTP plugin: fast (the benchmark's minimal server) or ref (internal/refplugin's net/http endpoint)")
	fs.StringVar(&o.work, "work", "", "directory for the binaries and raw results (default: a new temporary directory)")
	if err := parse(fs, args); err != nil {
		return err
	}
	for _, s := range splitList(*only) {
		if !slices.Contains(sections, s) {
			return usageErrorf("-only %q: unknown section %q; want some of %s", *only, s, strings.Join(sections, ","))
		}
		o.only = append(o.only, s)
	}
	switch {
	case len(o.only) == 0:
		return usageErrorf("-only %q: no section", *only)
	case o.rounds < 1 || o.concurrency < 1 || o.httpC < 1 || o.memC < 1 || o.duration <= 0:
		return usageErrorf("-rounds, -c, -http-c, -mem-c and -d must be positive")
	case o.rate <= 0 || o.rate > 1e6:
		return usageErrorf("-rate %g: want a rate between 0 and 1e6", o.rate)
	case o.stallEvery < 1 || o.stall <= 0:
		return usageErrorf("-stall-every and -stall must be positive")
	case o.httpPlugin != "fast" && o.httpPlugin != "ref":
		return usageErrorf("-http-plugin %q: want fast or ref", o.httpPlugin)
	}
	if _, err := parseCounts(o.rss); err != nil {
		return err
	}
	return bench(ctx, o, stdout, stderr)
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
