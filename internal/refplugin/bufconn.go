package refplugin

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// ServeBufconn serves srv on an in-memory bufconn listener and returns a
// plaintext connection to it, the way a plugin author's own tests reach a
// plugin. stop closes the connection, stops srv and waits for Serve to
// return.
func ServeBufconn(srv *grpc.Server) (cc *grpc.ClientConn, stop func(), err error) {
	lis := bufconn.Listen(1 << 20)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(lis)
	}()
	cc, err = grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		srv.Stop()
		<-served
		return nil, nil, fmt.Errorf("bufconn client: %w", err)
	}
	return cc, func() {
		_ = cc.Close()
		srv.Stop()
		<-served
	}, nil
}
