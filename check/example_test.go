package check_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"time"

	authpb "github.com/go-gost/plugin/auth/proto"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"

	"github.com/plugincheck/plugincheck/check"
	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/report"
	"github.com/plugincheck/plugincheck/suites"
)

// authenticate is the example plugin's policy: one user, gost.
func authenticate(username, password string) (id string, ok bool) {
	if username == "gost" && password == "gost" {
		return "gost", true
	}
	return "", false
}

// authServer is the example plugin over gRPC.
type authServer struct {
	authpb.UnimplementedAuthenticatorServer
}

func (authServer) Authenticate(_ context.Context, req *authpb.AuthenticateRequest) (*authpb.AuthenticateReply, error) {
	id, ok := authenticate(req.GetUsername(), req.GetPassword())
	return &authpb.AuthenticateReply{Ok: ok, Id: id}, nil
}

// authHandler is the example plugin over HTTP: GOST POSTs the credentials
// as JSON and reads {"ok": …, "id": …}.
func authHandler(w http.ResponseWriter, r *http.Request) {
	var req struct{ Username, Password string }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, ok := authenticate(req.Username, req.Password)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"ok": ok, "id": id})
}

// options run the built-in auth suite. The latency budget is generous so
// that the output does not depend on how busy the machine is.
var options = check.Options{Run: suites.RunOptions{LatencyBudget: time.Minute}}

func summary(run *report.Run) {
	fmt.Printf("%s over %s: %s (%d passed, %d warned, %d failed)\n",
		run.Module, run.Transport, run.Status, run.Totals.Pass, run.Totals.Warn, run.Totals.Fail)
}

// A plugin author checks a gRPC plugin in its own tests, served on an
// in-memory bufconn listener. In a test, check.Test(t, cfg, mockclient.Auth,
// opts) runs the same check as one subtest per case.
func Example_bufconn() {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	authpb.RegisterAuthenticatorServer(srv, authServer{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	cc, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cc.Close()
	cfg := mockclient.Config{Addr: "bufnet"}
	c, err := mockclient.NewGRPC(cc, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}

	checkAuth(cfg, c)
	// Output: auth over grpc: pass (16 passed, 0 warned, 0 failed)
}

// A plugin author checks an HTTP plugin in its own tests, served by
// httptest. GOST uses the configured addr verbatim as the URL.
func Example_httptest() {
	srv := httptest.NewServer(http.HandlerFunc(authHandler))
	defer srv.Close()

	cfg := mockclient.Config{Addr: srv.URL + "/auth"}
	c, err := mockclient.NewHTTP(srv.Client(), cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	checkAuth(cfg, c)
	// Output: auth over http: pass (16 passed, 0 warned, 0 failed)
}

// checkAuth runs the auth check over the author's client c and prints its
// summary, as both examples do.
func checkAuth(cfg mockclient.Config, c *mockclient.Client) {
	run, err := check.Module(context.Background(), cfg, mockclient.Auth, withClient(c))
	if err != nil {
		fmt.Println(err)
		return
	}
	summary(run)
}
