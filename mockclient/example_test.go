package mockclient_test

import (
	"context"
	"fmt"

	"github.com/plugincheck/plugincheck/mockclient"
)

// A plugin author checks what GOST would conclude from their auth plugin.
func ExampleClient_Authenticate() {
	c, err := mockclient.New(mockclient.Config{Addr: "127.0.0.1:8000", Token: "gost"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	res := c.Authenticate(context.Background(), mockclient.AuthRequest{
		Username: "gost", Password: "gost", Client: "192.0.2.10:51234", Service: "http-proxy",
	})
	if !res.OK() {
		fmt.Printf("%s failure: %v; GOST denies\n", res.Failure, res.Err)
		return
	}
	fmt.Printf("ok=%v id=%q in %s\n", res.Verdict.OK, res.Verdict.ID, res.Latency)
}

// Any operation can be driven without its Go types, as fixture runners do.
func ExampleLookupOperation() {
	op, err := mockclient.LookupOperation(mockclient.SD, "renew")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(op.GRPCMethod, op.HTTPMethod)
	// Output: /proto.SD/Renew PUT
}
