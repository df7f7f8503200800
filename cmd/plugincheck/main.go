// Command plugincheck tests GOST plugins the way GOST calls them.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/plugincheck/plugincheck/internal/cli"
	"github.com/plugincheck/plugincheck/internal/iostreams"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], iostreams.System())
	stop()
	os.Exit(int(code))
}
