// Command plugincheck tests GOST plugins the way GOST calls them.
package main

import (
	"context"
	"io"
	"log"
	"os"
	"os/signal"
	"syscall"

	"google.golang.org/grpc/grpclog"

	"github.com/plugincheck/plugincheck/internal/cli"
	"github.com/plugincheck/plugincheck/internal/iostreams"
)

func main() {
	// The process owns the global loggers. net/http and grpc-go write
	// transport chatter to them ("Unsolicited response received on idle
	// HTTP channel" when a gRPC server is addressed over HTTP); plugincheck
	// reports every such condition itself, on one line.
	log.SetOutput(io.Discard)
	grpclog.SetLoggerV2(grpclog.NewLoggerV2(io.Discard, io.Discard, io.Discard))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], iostreams.System())
	stop()
	os.Exit(int(code))
}
