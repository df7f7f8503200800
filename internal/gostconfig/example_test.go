package gostconfig_test

import (
	"fmt"

	"github.com/plugincheck/plugincheck/internal/gostconfig"
)

// ExampleParse reads a gost.yml's plugin blocks as GOST does, with the
// services that use them and the config's problems.
func ExampleParse() {
	d, err := gostconfig.Parse("gost.yml", []byte(`
services:
- name: forward-tcp-8080
  addr: :8080
  handler: {type: tcp, auther: auth-0}
  listener: {type: tcp}
authers:
- name: auth-0
  plugin:
    type: HTTP
    addr: http://127.0.0.1:8000/auth
    token: s3cret
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range d.Plugins {
		fmt.Println(p.ID(), p.Module, p.Config.Transport, p.Config.Addr, "used by", p.Users[0].Service, p.Users[0].Handler)
	}
	for _, f := range d.Findings {
		fmt.Printf("%s:%d: %s %s\n", f.File, f.Line, f.Severity, f.Code)
	}
	// Output:
	// authers/auth-0 auth grpc http://127.0.0.1:8000/auth used by forward-tcp-8080 tcp
	// gost.yml:9: fail bad-address
	// gost.yml:10: warn type-case
}
