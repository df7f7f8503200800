package main

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/plugincheck/plugincheck/internal/refplugin"
)

// serve runs the reference plugins on 127.0.0.1 until interrupted and
// prints "grpc <addr>" and "http <url>" for the auth module.
func serve(ctx context.Context, out io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	srv, err := refplugin.Start(ctx, refplugin.Options{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "grpc %s\nhttp %s\n", srv.GRPCAddr(), srv.HTTPURL("auth"))
	<-ctx.Done()
	return srv.Close()
}
