//go:build tools

// Package tools pins the load generators the benchmark compares with.
package tools

import (
	_ "github.com/bojand/ghz/cmd/ghz"
	_ "github.com/tsenart/vegeta/v12"
)
