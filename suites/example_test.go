package suites_test

import (
	"context"
	"fmt"

	"github.com/plugincheck/plugincheck/mockclient"
	"github.com/plugincheck/plugincheck/suites"
)

// Run a policy suite from a plugin's own tests, as csi-sanity's sanity.Test
// is used.
func ExampleRun() {
	s, err := suites.ParseBytes("policy.yaml", []byte(`
name: My Policy
module: auth
cases:
  - name: accepts-gost
    request: {username: gost, password: gost}
    expect: {ok: true, id: gost}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := mockclient.New(mockclient.Config{Addr: "127.0.0.1:8000"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	run, err := suites.Run(context.Background(), c, mockclient.Auth, []*suites.Suite{s}, suites.RunOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, cs := range run.Cases {
		fmt.Println(cs.ID, cs.Status)
	}
}
