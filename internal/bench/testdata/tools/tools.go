//go:build tools

// Package tools pins the load generator the benchmark compares with.
package tools

import (
	_ "github.com/bojand/ghz/cmd/ghz"
)
