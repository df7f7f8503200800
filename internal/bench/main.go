// Command bench compares plugincheck load with ghz and a raw grpc-go loop,
// one after the other, against the same fast auth plugin on 127.0.0.1 with
// equal concurrency and duration, and measures plugincheck's peak RSS at 1 M
// and 10 M requests. It is a benchmark, not a test:
//
//	go run ./internal/bench            # the full run, about 7 minutes on 2 cores
//	go run ./internal/bench -rss ""    # the comparison only
//
// See docs/benchmark.md for the method and the recorded figures.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:])
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return serve(ctx, os.Stdout)
		case "raw":
			fs := flag.NewFlagSet("raw", flag.ContinueOnError)
			addr := fs.String("addr", "", "plugin address")
			c := fs.Int("c", 16, "concurrency")
			d := fs.Duration("d", 10*time.Second, "duration")
			if err := fs.Parse(args[1:]); err != nil {
				return err
			}
			return raw(ctx, os.Stdout, *addr, *c, *d)
		}
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.concurrency, "c", 16, "concurrency of every tool (ghz -c, plugincheck -c, raw loop goroutines)")
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of each comparison run")
	fs.IntVar(&o.rounds, "rounds", 3, "rounds of the three tools; the median round of each is compared")
	fs.StringVar(&o.rss, "rss", "1000000,10000000", "request counts of the peak-RSS runs, comma-separated; empty skips them")
	fs.StringVar(&o.work, "work", "", "directory for the binaries and raw results (default: a new temporary directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.rounds < 1 || o.concurrency < 1 || o.duration <= 0 {
		return fmt.Errorf("-rounds, -c and -d must be positive")
	}
	return bench(ctx, o, os.Stdout, os.Stderr)
}
